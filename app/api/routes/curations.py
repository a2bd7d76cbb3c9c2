"""Curations for admins (an API key, as writes): GET /curations, POST /curations, DELETE /curations/{id}.
A change applies from the next search of every worker (searches read them, nothing is cached)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.auth import require_writer
from app.api.deps import StateDep
from app.api.schemas import CurationIn, CurationOut
from app.errors import NotFound
from app.search.curations import add_curation, list_curations, remove_curations

router = APIRouter(prefix="/curations", tags=["curations"], dependencies=[Depends(require_writer)])


@router.get("", response_model=list[CurationOut])
def list_all(state: StateDep) -> list[CurationOut]:
    with state.pool.connection() as conn:
        return [CurationOut(**r) for r in list_curations(conn)]


@router.post("", response_model=CurationOut)
def add(state: StateDep, body: CurationIn) -> CurationOut:
    """Pinned ids in order and hidden ids for one query; 422 says what is wrong."""
    with state.pool.connection() as conn:
        row = add_curation(conn, body.query, body.pinned, body.hidden, body.starts_at, body.ends_at)
    return CurationOut(**row)


@router.delete("/{curation_id}", status_code=204)
def remove(state: StateDep, curation_id: int) -> None:
    with state.pool.connection() as conn:
        if not remove_curations(conn, [curation_id]):
            raise NotFound(f"no curation {curation_id}")
