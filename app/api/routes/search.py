"""GET /search for the site search box (query parameters), POST /search with a JSON body: both take
the one SearchRequest model (app/search/request.py), so their options and bounds cannot differ."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field, WithJsonSchema

from app.api.auth import require_reader
from app.api.deps import AppState, StateDep, request_client
from app.api.metrics import observe_search
from app.api.responses import model_response
from app.search import SearchRequest, SearchResult
from app.search.events import new_search_id
from app.search.query_log import LoggedSearch
from app.search.request import MAX_FILTERS_CHARS

router = APIRouter(tags=["search"], dependencies=[Depends(require_reader)])


class SearchQuery(SearchRequest, extra="ignore"):
    """The same options as query parameters; a parameter it does not know (a cache-buster, a tracking
    tag) is ignored rather than refused, as links carry such things. `filters` is JSON text there: only
    its schema is restated, for /docs (SearchRequest's validator reads the text)."""

    filters: Annotated[
        dict[str, Any] | None, WithJsonSchema({"type": "string", "maxLength": MAX_FILTERS_CHARS})
    ] = Field(default=None, description=SearchRequest.model_fields["filters"].description)


def _run(state: AppState, req: SearchRequest, request: Request, cache_seconds: int = 0) -> Response:
    """Serialised once (`response_model` stays for the OpenAPI schema): returning the model would
    validate it again and go through FastAPI's generic encoder. GET answers may be cached for
    `cache_seconds` (SEARCH_CACHE_SECONDS), degraded ones not (a cached answer's clicks name the
    search that was logged)."""
    at = dt.datetime.now(dt.UTC)
    result = state.search.search(req)
    result.search_id = new_search_id()
    observe_search(result.mode.value, result.degraded, result.timings_ms)
    if state.query_log is not None:
        state.query_log.record(
            LoggedSearch(
                at=at,
                query=req.q,
                mode=result.mode.value,
                filters=req.filters,
                page_offset=req.offset,
                page_limit=req.limit,
                latency_ms=result.timings_ms.get("total", 0.0),
                hits=len(result.hits),
                top_ids=[h.id for h in result.hits],
                degraded=result.degraded,
                search_id=result.search_id,
                client=request_client(request),
            )
        )
    return model_response(result, 0 if result.degraded else cache_seconds)


# Plain `def`: FastAPI runs these in its thread pool, so encoding and database calls never block the loop.
@router.get("/search", response_model=SearchResult)
def search_get(state: StateDep, req: Annotated[SearchQuery, Query()], request: Request) -> Response:
    return _run(state, req, request, state.settings.search_cache_seconds)


@router.post("/search", response_model=SearchResult)
def search_post(state: StateDep, req: SearchRequest, request: Request) -> Response:
    return _run(state, req, request)
