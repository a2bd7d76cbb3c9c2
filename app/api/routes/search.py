"""GET /search for the site search box (query parameters), POST /search with a JSON body."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from app.api.auth import require_reader
from app.api.deps import AppState, StateDep
from app.api.metrics import observe_search
from app.api.schemas import SearchBody, SearchOut
from app.errors import InvalidQuery
from app.search import Fusion, Mode, SearchRequest
from app.search.filters import parse_filters_json
from app.search.query_log import LoggedSearch
from app.search.service import MAX_RRF_K

router = APIRouter(tags=["search"], dependencies=[Depends(require_reader)])


def _run(state: AppState, body: SearchBody, cache_seconds: int = 0) -> Response:
    """Validated once and serialised once (`response_model` stays for the OpenAPI schema): returning
    the model would validate it again and go through FastAPI's generic encoder. GET answers may be
    cached for `cache_seconds` (SEARCH_CACHE_SECONDS), degraded ones not."""
    at = dt.datetime.now(dt.UTC)
    result = state.search.search(SearchRequest(**body.model_dump()))
    observe_search(result.mode.value, result.degraded, result.timings_ms)
    if state.query_log is not None:
        state.query_log.record(
            LoggedSearch(
                at=at,
                query=body.q,
                mode=result.mode.value,
                filters=body.filters,
                page_offset=body.offset,
                page_limit=body.limit,
                latency_ms=result.timings_ms.get("total", 0.0),
                hits=len(result.hits),
                top_ids=[h.id for h in result.hits],
                degraded=result.degraded,
            )
        )
    out = SearchOut.model_validate(result, from_attributes=True)
    cacheable = cache_seconds > 0 and not result.degraded
    cache = f"public, max-age={cache_seconds}" if cacheable else "no-cache"
    return Response(out.model_dump_json(), media_type="application/json", headers={"Cache-Control": cache})


# Plain `def`: FastAPI runs these in its thread pool, so encoding and database calls never block the loop.
@router.get("/search", response_model=SearchOut)
def search_get(
    state: StateDep,
    q: Annotated[str, Query(min_length=1, description="The query text.")],
    mode: Mode = Mode.hybrid,
    limit: Annotated[int, Query(ge=1)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    rrf_k: Annotated[int | None, Query(ge=1, le=MAX_RRF_K)] = None,
    keyword_weight: Annotated[float, Query(ge=0, le=1000)] = 1.0,
    semantic_weight: Annotated[float, Query(ge=0, le=1000)] = 1.0,
    sparse: Annotated[bool | None, Query(description="Hybrid: fuse the learned sparse leg too.")] = None,
    sparse_weight: Annotated[float, Query(ge=0, le=1000)] = 1.0,
    title_weight: Annotated[float | None, Query(ge=0, le=100)] = None,
    fusion: Fusion = Fusion.rrf,
    min_score: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    filters: Annotated[
        str | None, Query(max_length=10_000, description='Metadata filters as JSON, e.g. {"brand": "X"}.')
    ] = None,
) -> Response:
    try:
        body = SearchBody(
            q=q,
            mode=mode,
            limit=limit,
            offset=offset,
            rrf_k=rrf_k,
            keyword_weight=keyword_weight,
            semantic_weight=semantic_weight,
            sparse=sparse,
            sparse_weight=sparse_weight,
            title_weight=title_weight,
            fusion=fusion,
            min_score=min_score,
            filters=parse_filters_json(filters),
        )
    except ValidationError as exc:
        raise InvalidQuery("; ".join(str(e["msg"]) for e in exc.errors())) from exc
    return _run(state, body, state.settings.search_cache_seconds)


@router.post("/search", response_model=SearchOut)
def search_post(state: StateDep, body: SearchBody) -> Response:
    return _run(state, body)
