"""Query side: the SQL functions in sql/ rank and fuse; this package prepares and explains."""

from app.search.service import Hit, Mode, SearchRequest, SearchResult, SearchService

__all__ = ["Hit", "Mode", "SearchRequest", "SearchResult", "SearchService"]
