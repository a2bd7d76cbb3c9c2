"""The engine's part of the bench: bulk ingest (timed by stage), index builds, query latency, recall."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg_pool import ConnectionPool

from app import store
from app.bench.queries import BenchQuery
from app.bench.stats import latency_summary, recall_at
from app.bench.synthetic import ClusteredVectors
from app.db import query
from app.embedding.base import Embedder
from app.ingest.documents import AnalyzedDocument, Document, analyze
from app.ingest.pipeline import EmbedPlan, embed_passages
from app.search import Mode, SearchRequest, SearchService

Progress = Callable[[Iterable[Any], str, int | None], Iterable[Any]]

# Index names as the migrations create them: the bench drops them before loading and times their build.
GIN_INDEX = "documents_tsv_gin"
HNSW_INDEX = "passages_embedding_hnsw"


@dataclass(frozen=True)
class IndexParams:
    m: int = 16
    ef_construction: int = 64
    maintenance_work_mem: str = "2GB"


@dataclass
class IngestTimes:
    documents: int = 0
    passages: int = 0
    postings: int = 0
    tokenize_s: float = 0.0
    embed_s: float = 0.0
    database_s: float = 0.0

    def report(self) -> dict[str, Any]:
        def rate(s: float) -> float | None:
            return round(self.documents / s, 1) if s > 0 else None

        return {
            "documents": self.documents,
            "passages": self.passages,
            "postings": self.postings,
            "tokenize": {"seconds": round(self.tokenize_s, 2), "docs_per_s": rate(self.tokenize_s)},
            "embed": {"seconds": round(self.embed_s, 2), "docs_per_s": rate(self.embed_s)},
            "database": {"seconds": round(self.database_s, 2), "docs_per_s": rate(self.database_s)},
        }


def drop_indexes(pool: ConnectionPool) -> None:
    """Bulk loads go faster without the GIN and HNSW indexes; they are built after, and timed."""
    with pool.connection() as conn:
        conn.execute(f"DROP INDEX IF EXISTS public.{GIN_INDEX}")
        conn.execute(f"DROP INDEX IF EXISTS search.{HNSW_INDEX}")


def load(
    pool: ConnectionPool,
    batches: Iterable[list[Document]],
    vectors: ClusteredVectors | None,
    embedder: Embedder | None,
    plan: EmbedPlan,
    keep: list[tuple[str, str, np.ndarray]] | None = None,
) -> tuple[IngestTimes, list[AnalyzedDocument]]:
    """Ingest every batch, timing tokenising, embedding (synthetic vectors: generating them) and the
    database writes apart. Returns the times and a sample of analysed documents for the query set;
    `keep` collects (id, space-joined tokens, first passage vector) for another engine."""
    times = IngestTimes()
    sample: list[AnalyzedDocument] = []
    for docs in batches:
        t0 = time.perf_counter()
        analyzed = [analyze(d) for d in docs]
        t1 = time.perf_counter()
        if vectors is not None:
            vecs = vectors.documents(times.documents, len(docs))
            passages: list[store.Passages] = [[(0, len(d.body), vecs[i])] for i, d in enumerate(docs)]
            sparse = None
        else:
            assert embedder is not None
            embedded = embed_passages(embedder, docs, plan)
            passages, sparse = embedded.passages, embedded.sparse
        t2 = time.perf_counter()
        with pool.connection() as conn, conn.transaction():
            store.write_documents(conn, analyzed, passages, sparse)
        t3 = time.perf_counter()
        times.tokenize_s += t1 - t0
        times.embed_s += t2 - t1
        times.database_s += t3 - t2
        times.documents += len(docs)
        times.passages += sum(len(p) for p in passages)
        times.postings += sum(len(a.term_freqs) for a in analyzed)
        if keep is not None:
            keep.extend(
                (a.doc.external_id, " ".join(t for t, n in a.term_freqs.items() for _ in range(n)), p[0][2])
                for a, p in zip(analyzed, passages, strict=True)
            )
        if len(sample) < 50_000:
            sample.extend(analyzed[: max(1, 50_000 // 100)])
    return times, sample


def build_indexes(pool: ConnectionPool, params: IndexParams) -> dict[str, Any]:
    """Build the GIN (tsvector) and HNSW (passages) indexes as the migrations define them, timed, then
    VACUUM ANALYZE; report every index's size."""
    out: dict[str, Any] = {}
    with pool.connection() as conn:
        conn.autocommit = True
        conn.execute(f"SET maintenance_work_mem = '{params.maintenance_work_mem}'")
        conn.execute("SET statement_timeout = 0")
        t0 = time.perf_counter()
        conn.execute(f"CREATE INDEX {GIN_INDEX} ON public.documents USING gin (tsv)")
        out["gin_build_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        conn.execute(
            f"CREATE INDEX {HNSW_INDEX} ON search.passages USING hnsw (embedding vector_cosine_ops) "
            f"WITH (m = {int(params.m)}, ef_construction = {int(params.ef_construction)})"
        )
        out["hnsw_build_s"] = round(time.perf_counter() - t0, 2)
        out["hnsw_params"] = {"m": params.m, "ef_construction": params.ef_construction}
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        out["vacuum_analyze_s"] = round(time.perf_counter() - t0, 2)
        rows = conn.execute(query("relation_sizes")).fetchall()
        out["sizes_mb"] = {name: round(size / 2**20, 1) for name, size in rows if size > 0}
        conn.autocommit = False
    return out


def time_queries(
    service: SearchService,
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    mode: Mode,
    progress: Progress,
) -> dict[str, Any]:
    """Per-query latency of one mode through the service the API calls (query vectors given, so model
    time is not in it), overall and per query kind; a short warm-up first."""
    for q, v in zip(queries[:20], vectors[:20], strict=False):
        service.search(SearchRequest(q.text, mode, limit=10), embedding=v)
    by_kind: dict[str, list[float]] = {}
    db_ms: list[float] = []
    hits = 0
    for q, v in progress(list(zip(queries, vectors, strict=True)), mode.value, None):
        t0 = time.perf_counter()
        res = service.search(SearchRequest(q.text, mode, limit=10), embedding=v)
        by_kind.setdefault(q.kind, []).append((time.perf_counter() - t0) * 1000)
        db_ms.append(res.timings_ms.get("database", 0.0))
        hits += len(res.hits)
    every = [ms for kind in by_kind.values() for ms in kind]
    return {
        "latency_ms": latency_summary(every),
        "database_ms": latency_summary(db_ms),
        "by_kind_p50_ms": {k: latency_summary(v)["p50"] for k, v in sorted(by_kind.items())},
        "mean_hits": round(hits / max(len(queries), 1), 2),
    }


def semantic_recall(
    pool: ConnectionPool, vectors: np.ndarray, ef_values: Sequence[int], progress: Progress
) -> list[dict[str, Any]]:
    """Recall@10 of the HNSW leg against exact search, and its latency, at each ef_search."""
    sql = "SELECT doc_id FROM search.semantic_ranks(%s, 10, NULL, %s, %s)"
    with pool.connection() as conn:
        truth = [
            [r[0] for r in conn.execute(sql, [v, 40, 10**9]).fetchall()]
            for v in progress(list(vectors), "exact top 10", None)
        ]
        conn.commit()
        out = []
        for ef in ef_values:
            for v in vectors[:20]:
                conn.execute(sql, [v, ef, 0]).fetchall()
            found, ms = [], []
            for v in vectors:
                t0 = time.perf_counter()
                found.append([r[0] for r in conn.execute(sql, [v, ef, 0]).fetchall()])
                ms.append((time.perf_counter() - t0) * 1000)
            conn.commit()
            recall = float(np.mean([recall_at(f, t) for f, t in zip(found, truth, strict=True)]))
            out.append({"ef_search": ef, "recall@10": round(recall, 4), "latency_ms": latency_summary(ms)})
    return out
