"""Query side: the SQL functions in sql/ rank and fuse; this package prepares and explains."""

from app.search.request import Fusion, Hit, Mode, SearchRequest, SearchResult
from app.search.service import SearchService

__all__ = ["Fusion", "Hit", "Mode", "SearchRequest", "SearchResult", "SearchService"]
