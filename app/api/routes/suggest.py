"""GET /suggest?q=PREFIX: completions for a search box while people type (app/search/suggest.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from app.api.auth import require_reader
from app.api.deps import StateDep
from app.api.responses import model_response
from app.search.suggest import MAX_SUGGESTIONS, Suggestion, suggest

router = APIRouter(tags=["search"], dependencies=[Depends(require_reader)])


class SuggestOut(BaseModel):
    query: str
    suggestions: list[Suggestion] = Field(
        description="Most searched first (distinct clients), then titles, shorter first."
    )


@router.get("/suggest", response_model=SuggestOut)
def suggest_get(
    state: StateDep,
    q: Annotated[str, Query(max_length=100, description="What has been typed so far.")],
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 8,
) -> Response:
    with state.search.reads.connection() as conn:  # a replica when there are some, as searches
        found = suggest(conn, q, limit)
    return model_response(SuggestOut(query=q, suggestions=found), state.settings.search_cache_seconds)
