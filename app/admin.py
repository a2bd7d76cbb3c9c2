"""Admin operations behind `hybrid-search stats`, `db reindex` and `db retokenize`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
        *(
            [f"indexes missing  {', '.join(stats['deferred_indexes'])} (a bulk load's: built when it ends)"]
            if stats.get("deferred_indexes")
            else []
        ),
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


def document_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query("document_count")).fetchone()
    return int(row[0]) if row else 0


@dataclass
class RetokenizeReport:
    documents: int = 0
    retokenized: int = 0
    unchanged: int = 0


def retokenize(
    url: str, batch_size: int = 500, on_progress: Callable[[int], None] | None = None
) -> RetokenizeReport:
    """Re-analyse every stored document with this process's analyzer (after an upgrade that changes
    it, or a change of SCRIPT_FOLDING, PINYIN_FIELDS, stop words or the user dictionary) and write its
    tokens, pinyin and postings, keeping its vectors: no re-embedding. A document whose content hash
    already matches is left alone, so a second run, or an interrupted one run again, only finishes."""
    from app import store
    from app.ingest.documents import Document, analyze

    report = RetokenizeReport()
    after = 0
    with psycopg.connect(url, row_factory=dict_row) as conn:
        while rows := conn.execute(
            query("retokenize_read"), {"after": after, "batch": batch_size}
        ).fetchall():
            conn.commit()
            after = rows[-1]["id"]
            docs = [
                (r, Document(r["external_id"], r["title"], r["body"], r["url"], r["metadata"])) for r in rows
            ]
            stale = [(r["id"], analyze(d)) for r, d in docs if d.content_hash != r["content_hash"]]
            store.retokenize(conn, stale)
            report.documents += len(rows)
            report.retokenized += len(stale)
            report.unchanged += len(rows) - len(stale)
            if on_progress is not None:
                on_progress(len(rows))
    return report
