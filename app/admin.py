"""Admin operations behind `hybrid-search stats` and `hybrid-search db reindex`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from app.db import query
from app.errors import InvalidQuery


def database_stats(url: str) -> dict[str, Any]:
    """Documents, BM25 corpus, model, last ingest, and the size of every table and index."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        stats: dict[str, Any] = dict(conn.execute(query("database_stats")).fetchone() or {})
        stats["model"] = conn.execute(query("recorded_model")).fetchone()
        stats["relations"] = conn.execute(query("index_sizes")).fetchall()
    return stats


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def format_stats(stats: dict[str, Any]) -> str:
    model = stats.get("model")
    model_line = (
        f"{model['name']} ({model['dim']}-d, {model['storage']}, HNSW m={model['hnsw_m']}"
        f" ef_construction={model['hnsw_ef_construction']})"
        if model
        else "none registered yet (registered by the first ingest)"
    )
    lines = [
        f"documents        {stats['documents']:,} ({stats['with_embedding']:,} embedded, "
        f"{stats['passages']:,} passages)",
        f"BM25 corpus      N={stats['bm25_n_docs']:,}, {stats['terms']:,} terms, "
        f"avg {stats['avg_doc_tokens'] or 0} tokens per document",
        f"model            {model_line}",
        f"last ingest      {stats['last_ingest'] or 'never'}",
        f"query log        {stats['logged_searches']:,} searches",
        f"schema revision  {stats['revision']}",
        f"database size    {_size(stats['database_bytes'])}",
        "",
        f"{'relation':<44} {'kind':<12} {'size':>10}",
    ]
    for r in stats["relations"]:
        kind = f"index/{r['method']}" if r["is_index"] else "table"
        lines.append(f"{r['name']:<44} {kind:<12} {_size(r['bytes']):>10}")
    return "\n".join(lines)


def reindex(url: str, names: Sequence[str]) -> Iterator[tuple[str, float]]:
    """Rebuild the named indexes (default: every index of the search tables), smallest first, with
    REINDEX ... CONCURRENTLY: searches and writes go on meanwhile. Yields (index, seconds) as each ends.
    An interrupted rebuild leaves an invalid `*_ccnew` index behind, which the next run replaces."""
    with psycopg.connect(url, autocommit=True) as conn:  # CONCURRENTLY cannot run in a transaction
        found = conn.execute(query("search_indexes"), {"names": list(names)}).fetchall()
        missing = set(names) - {r[1] for r in found} - {f"{r[0]}.{r[1]}" for r in found}
        if missing:
            raise InvalidQuery(f"no such index in the search tables: {', '.join(sorted(missing))}")
        for schema, name in found:
            t0 = time.perf_counter()
            conn.execute(sql.SQL("REINDEX INDEX CONCURRENTLY {}").format(sql.Identifier(schema, name)))
            yield f"{schema}.{name}", time.perf_counter() - t0
