"""`hybrid-search reembed --model M`: switch the embedding model without downtime.

1. `search.reembed_begin` adds the next vectors' places beside the live ones (a passages table, new
   columns on documents), typed for M;
2. every document with vectors is embedded with M in batches (a progress bar), written there, and
   its content hash remembered; an interrupted run resumes where it stopped;
3. the next HNSW index is built (and the lexical weights' one, CONCURRENTLY);
4. documents changed meanwhile (the service keeps writing with the old model) are embedded again,
   the last of them under a lock that holds writers (not searches) back, and `search.reembed_swap`
   makes the next vectors live and records M, in that same transaction.
Searches answer from the old vectors until the swap commits; a running service then meets a model it
does not hold (HS001), answers from the keyword leg and loads M (app.search.service).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from pgvector import HalfVector, SparseVector
from psycopg_pool import ConnectionPool

from app.db import autocommit, domain_errors, query
from app.embedding.base import Embedder
from app.ingest.documents import Document
from app.ingest.pipeline import EmbedPlan, embed_passages
from app.store import recorded_index, write_locks


@dataclass
class ReembedReport:
    model: str
    dim: int
    resumed: bool = False
    embedded: int = 0  # documents embedded with the new model (again, for those changed meanwhile)
    catch_up_rounds: int = 0


def pending_count(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        row = conn.execute(query("reembed_pending_count")).fetchone()
    return int(row[0]) if row else 0


def _embed_batch(conn: psycopg.Connection[Any], embedder: Embedder, plan: EmbedPlan, limit: int) -> int:
    """Embed up to `limit` pending documents with the new model and write their next vectors (in the
    caller's transaction, or one of its own). Returns how many."""
    rows = conn.execute(query("reembed_pending"), {"limit": limit}).fetchall()
    if not rows:
        return 0
    docs = [Document(str(r[0]), r[1], r[2]) for r in rows]
    embedded = embed_passages(embedder, docs, plan)
    index = recorded_index(conn)
    half = index is not None and index.storage == "halfvec"
    sparse = plan.sparse_model(embedder)

    def vec(v: Any) -> Any:
        return HalfVector(v) if half else v

    doc_ids = [int(r[0]) for r in rows]
    # its UPDATEs fire the statistics trigger, as any write
    with conn.transaction(), conn.cursor() as cur, write_locks(cur, doc_ids=doc_ids):
        cur.execute(query("reembed_clear"), {"doc_ids": doc_ids})
        with cur.copy(query("reembed_copy_passages")) as copy:
            copy.set_types(["int8", "int4", "int4", "int4", "halfvec" if half else "vector"])
            for doc_id, passages in zip(doc_ids, embedded.passages, strict=True):
                for no, (start, end, v) in enumerate(passages):
                    copy.write_row((doc_id, no, start, end, vec(v)))
        params = []
        for i, (r, passages) in enumerate(zip(rows, embedded.passages, strict=True)):
            p: dict[str, Any] = {"doc_id": r[0], "embedding": vec(passages[0][2]), "content_hash": r[3]}
            if sparse is not None and embedded.sparse is not None:
                p["sparse"] = SparseVector(embedded.sparse[i], sparse.sparse_dim)
            params.append(p)
        cur.executemany(
            query("reembed_set_document" if sparse is not None else "reembed_set_document_dense"), params
        )
    return len(rows)


def reembed(
    pool: ConnectionPool,
    embedder: Embedder,
    plan: EmbedPlan,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> ReembedReport:
    """Switch the database to `embedder`'s vectors (see the module's docstring)."""
    phase = on_phase or (lambda _: None)
    sparse = plan.sparse_model(embedder)
    report = ReembedReport(embedder.name, embedder.dim)
    with domain_errors(), pool.connection() as conn:
        row = conn.execute(
            query("reembed_begin"),
            {"name": embedder.name, "dim": embedder.dim, "sparse_dim": sparse.sparse_dim if sparse else None},
        ).fetchone()
    report.resumed = not (row and row[0])
    phase("embedding")
    while True:
        with pool.connection() as conn:
            n = _embed_batch(conn, embedder, plan, batch_size)
        if n == 0:
            break
        report.embedded += n
        if on_progress is not None:
            on_progress(n)
    phase("indexing")
    with pool.connection() as conn:
        conn.execute(query("reembed_index"))
    if sparse is not None:
        with pool.connection() as conn, autocommit(conn):  # CONCURRENTLY cannot run in a transaction
            conn.execute(query("reembed_sparse_index"))
    phase("swapping")
    # Catch up without blocking writers while many changed documents remain, then under the lock.
    while pending_count(pool) > batch_size and report.catch_up_rounds < 10:
        report.catch_up_rounds += 1
        with pool.connection() as conn:
            while (n := _embed_batch(conn, embedder, plan, batch_size)) > 0:
                report.embedded += n
    with pool.connection() as conn, conn.transaction():
        conn.execute(query("reembed_lock"))
        while (n := _embed_batch(conn, embedder, plan, batch_size)) > 0:
            report.embedded += n
        conn.execute(query("reembed_swap"))
    return report


def abort(pool: ConnectionPool) -> None:
    """Drop what an interrupted switch had written; the live vectors were never touched."""
    with pool.connection() as conn:
        conn.execute(query("reembed_abort"))
