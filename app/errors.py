"""Domain errors. The core raises these; only the HTTP and CLI edges translate them."""

from __future__ import annotations


class HybridSearchError(Exception):
    """Base class of every error the core raises on purpose."""


class InvalidQuery(HybridSearchError):
    """The query text or its parameters cannot be searched (empty, too long, out of range)."""


class EmptyQuery(InvalidQuery):
    """The query has no searchable token after normalisation."""


class NotFound(HybridSearchError):
    """Nothing has the requested id (404)."""


class DocumentNotFound(NotFound):
    """No document has the requested id."""


class InvalidDocument(HybridSearchError):
    """A document to ingest is malformed (no id, no text, wrong types)."""


class ModelUnavailable(HybridSearchError):
    """The embedding model is not loaded (still loading, or failed to load: the reason is the message)."""


class ModelMismatch(HybridSearchError):
    """The configured embedding model differs from the one the database's vectors were made with."""


class DatabaseUnavailable(HybridSearchError):
    """The database cannot be reached."""


class SchemaOutdated(HybridSearchError):
    """The database's schema is not at the revision this code needs (and was not to be migrated)."""
