"""GET /search for the site search box (query parameters), POST /search with a JSON body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import ServiceDep
from app.api.schemas import SearchBody, SearchOut
from app.search import Mode, SearchRequest

router = APIRouter(tags=["search"])


def _run(service: ServiceDep, body: SearchBody) -> SearchOut:
    result = service.search(SearchRequest(**body.model_dump()))
    return SearchOut.model_validate(result.as_dict())


# Plain `def`: FastAPI runs these in its thread pool, so encoding and database calls never block the loop.
@router.get("/search", response_model=SearchOut)
def search_get(
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, description="The query text.")],
    mode: Mode = Mode.hybrid,
    limit: Annotated[int, Query(ge=1)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    rrf_k: Annotated[int | None, Query(ge=1)] = None,
    keyword_weight: Annotated[float, Query(ge=0)] = 1.0,
    semantic_weight: Annotated[float, Query(ge=0)] = 1.0,
) -> SearchOut:
    body = SearchBody(
        q=q,
        mode=mode,
        limit=limit,
        offset=offset,
        rrf_k=rrf_k,
        keyword_weight=keyword_weight,
        semantic_weight=semantic_weight,
    )
    return _run(service, body)


@router.post("/search", response_model=SearchOut)
def search_post(service: ServiceDep, body: SearchBody) -> SearchOut:
    return _run(service, body)
