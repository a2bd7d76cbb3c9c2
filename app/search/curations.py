"""Curations managed by admins (search.curations, sql/15_curations.sql): documents pinned to the top of
one query's results, in order, and documents hidden from them, optionally between two times. The
service applies them after fusion in every mode (search.curate), so pages stay slices of one list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from app.db import query
from app.errors import InvalidQuery
from app.ingest.documents import clean_text

MAX_IDS = 100  # pinned or hidden ids in one curation


def add_curation(
    conn: psycopg.Connection[Any],
    query_text: str,
    pinned: list[str],
    hidden: list[str],
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> dict[str, Any]:
    """Store a curation; it applies from the next search of every worker."""
    if not query_text.strip():
        raise InvalidQuery("a curation needs a query")
    if not pinned and not hidden:
        raise InvalidQuery("a curation pins or hides at least one document")
    if len(pinned) > MAX_IDS or len(hidden) > MAX_IDS:
        raise InvalidQuery(f"at most {MAX_IDS} pinned and {MAX_IDS} hidden documents")
    if set(pinned) & set(hidden):
        raise InvalidQuery(f"pinned and hidden at once: {', '.join(sorted(set(pinned) & set(hidden)))}")
    if starts_at is not None and ends_at is not None and starts_at >= ends_at:
        raise InvalidQuery("the curation must start before it ends")
    params = {
        "query": clean_text(query_text),
        "pinned": list(dict.fromkeys(pinned)),
        "hidden": list(dict.fromkeys(hidden)),
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query("curations_add"), params).fetchone()
    assert row is not None
    return dict(row)


def list_curations(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return [dict(r) for r in cur.execute(query("curations_list")).fetchall()]


def remove_curations(conn: psycopg.Connection[Any], ids: list[int]) -> int:
    return conn.execute(query("curations_remove"), {"ids": ids}).rowcount
