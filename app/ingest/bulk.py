"""Bulk loads into an empty database: the indexes only searches read are dropped before the load and
built once after it (sql/19_bulk_load.sql), which writes several times faster than keeping them up to
date row by row. One bulk load at a time (an advisory lock held for its length, on a connection of its
own); an interrupted one leaves its indexes recorded in search.deferred_indexes, built by the next
ingest or service start."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

BULK_LOCK = 0x4255_4C4B  # pg advisory lock: held by the one bulk load running
BUILD_MEMORY = "1GB"  # maintenance_work_mem for the builds (an HNSW graph builds fastest in memory)


class BulkLoadRunning(RuntimeError):
    """Another bulk load holds the lock."""


def is_empty(pool: ConnectionPool) -> bool:
    with pool.connection() as conn:
        return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM public.documents)").fetchone() == (True,)


@contextmanager
def deferred_indexes(pool: ConnectionPool, say: Callable[[str], None] = log.info) -> Iterator[dict[str, Any]]:
    """Drop the search indexes for the length of the block, then build them (also when the block
    raises); yields a dict that receives the indexes deferred, the seconds their build took, and
    each one's (`built_s`)."""
    out: dict[str, Any] = {"deferred": [], "build_s": None, "built_s": {}}
    with _bulk_lock(pool) as conn:
        if conn is None:
            raise BulkLoadRunning("another bulk load is running; try again when it has finished")
        try:
            out["deferred"] = [r[0] for r in conn.execute("SELECT search.defer_indexes()").fetchall()]
            yield out
        finally:
            t0 = time.perf_counter()
            out["built_s"] = build(conn, say)
            out["build_s"] = round(time.perf_counter() - t0, 2)


def build(conn: psycopg.Connection[Any], say: Callable[[str], None] = log.info) -> dict[str, float]:
    """Build every deferred index, each in its own transaction, with memory for it and no time limit;
    then ANALYZE, so the planner sees the loaded tables. `conn` is in autocommit mode. Returns each
    index's build time in seconds."""
    names = [r[0] for r in conn.execute("SELECT name FROM search.deferred_indexes ORDER BY name")]
    if not names:
        return {}
    conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
    conn.execute("SET statement_timeout = 0")
    seconds: dict[str, float] = {}
    for name in names:
        say(f"building index {name} ...")
        t0 = time.perf_counter()
        conn.execute("SELECT search.restore_indexes(%s)", (name,))
        seconds[name] = round(time.perf_counter() - t0, 2)
    conn.execute("ANALYZE public.documents, search.postings, search.passages")
    conn.execute("RESET maintenance_work_mem")
    conn.execute("RESET statement_timeout")
    return seconds


def restore_interrupted(pool: ConnectionPool) -> list[str]:
    """Build the indexes an interrupted bulk load left deferred, unless a bulk load is running. The
    usual case, nothing deferred, costs one read on a pooled connection."""
    with pool.connection() as conn:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM search.deferred_indexes)").fetchone() != (True,):
            return []
    with _bulk_lock(pool) as conn:
        built = list(build(conn)) if conn is not None else []
    if built:
        log.warning("built the indexes an interrupted bulk load had deferred: %s", ", ".join(built))
    return built


@contextmanager
def _bulk_lock(pool: ConnectionPool) -> Iterator[psycopg.Connection[Any] | None]:
    """A connection of its own (autocommit) holding the bulk-load lock for the block, or None when
    another bulk load holds it."""
    with psycopg.connect(_conninfo(pool), autocommit=True) as conn:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (BULK_LOCK,)).fetchone() != (True,):
            yield None
            return
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (BULK_LOCK,))


def _conninfo(pool: ConnectionPool) -> str:
    """The pool's database, for a connection of the load's own (the pool's may all be busy writing)."""
    info = pool.conninfo
    return info if isinstance(info, str) else info()
