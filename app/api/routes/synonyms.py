"""Synonyms for admins (an API key, as writes): GET /synonyms, POST /synonyms, DELETE /synonyms/{id}.
A change applies from the next search of every worker (searches read the rules, nothing is cached)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.auth import require_writer
from app.api.deps import StateDep
from app.api.schemas import SynonymOut, SynonymsIn
from app.errors import InvalidQuery, NotFound
from app.search.synonyms import add_rules, list_rules, parse_rule, remove_rules

router = APIRouter(prefix="/synonyms", tags=["synonyms"], dependencies=[Depends(require_writer)])


@router.get("", response_model=list[SynonymOut])
def list_synonyms(state: StateDep) -> list[SynonymOut]:
    with state.pool.connection() as conn:
        return [SynonymOut(**r) for r in list_rules(conn)]


@router.post("", response_model=list[SynonymOut])
def add_synonyms(state: StateDep, body: SynonymsIn) -> list[SynonymOut]:
    """Rules in Solr's synonym syntax; all are checked before any is stored (422 names the bad one)."""
    rules = [r for r in map(parse_rule, body.rules) if r is not None]
    if not rules:
        raise InvalidQuery("no rule given (blank and # comment lines are not rules)")
    with state.pool.connection() as conn:
        ids = add_rules(conn, rules)
    return [
        SynonymOut(id=i, rule=r.text, forms=r.forms, targets=r.targets)
        for i, r in zip(ids, rules, strict=True)
    ]


@router.delete("/{rule_id}", status_code=204)
def remove_synonym(state: StateDep, rule_id: int) -> None:
    with state.pool.connection() as conn:
        if not remove_rules(conn, [rule_id]):
            raise NotFound(f"no synonym rule {rule_id}")
