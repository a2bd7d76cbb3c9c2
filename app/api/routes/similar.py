"""Similar items: GET /documents/{id}/similar (a stored document's neighbours) and POST /similar (a
free text's, like a word-similarity service: 教师 -> 教学, 任课教师)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.auth import require_reader
from app.api.deps import StateDep
from app.api.schemas import SimilarBody, SimilarOut
from app.search.filters import parse_filters_json
from app.search.similar import SimilarHit

router = APIRouter(tags=["similar"], dependencies=[Depends(require_reader)])


def _out(of: str, hits: list[SimilarHit]) -> SimilarOut:
    return SimilarOut(of=of, hits=hits)


@router.get("/documents/{doc_id}/similar", response_model=SimilarOut)
def similar_to_document(
    state: StateDep,
    doc_id: str,
    limit: Annotated[int, Query(ge=1)] = 10,
    filters: Annotated[str | None, Query(max_length=10_000, description="Metadata filters as JSON.")] = None,
) -> SimilarOut:
    """The documents nearest this one (itself left out), by embedding; needs no model."""
    hits = state.similar.to_document(doc_id, limit, parse_filters_json(filters))
    return _out(doc_id, hits)


@router.post("/similar", response_model=SimilarOut)
def similar_to_text(state: StateDep, body: SimilarBody) -> SimilarOut:
    """The documents nearest a free text, embedded as a query (needs the model: 503 without it)."""
    return _out(body.text, state.similar.to_text(body.text, body.limit, body.filters))
