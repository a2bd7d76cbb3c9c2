"""hybrid-search: hybrid keyword + semantic search on PostgreSQL for Chinese and mixed text."""

__version__ = "0.1.0"
