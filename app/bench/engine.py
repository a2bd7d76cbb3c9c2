"""The engine's part of the bench: ingest (timed end to end), index builds, query latency, recall."""

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
from app.db import autocommit, query
from app.embedding.base import Embedder
from app.ingest.bulk import deferred_indexes
from app.ingest.documents import AnalyzedDocument, FieldMap, analyze
from app.ingest.pipeline import EmbedPlan, Prepared, ingest
from app.ingest.readers import RawRecord
from app.ingest.tokenize import default_processes
from app.search import Mode, SearchRequest, SearchService

Progress = Callable[[Iterable[Any], str, int | None], Iterable[Any]]

# Index names as the migrations create them: the bench drops them before loading and times their build.
GIN_INDEX = "documents_tsv_gin"
HNSW_INDEX = "passages_embedding_hnsw"


@dataclass(frozen=True)
class IndexParams:
    m: int = 16
    ef_construction: int = 64
    storage: str = "vector"  # or "halfvec" (VECTOR_STORAGE)
    maintenance_work_mem: str = "2GB"

    @classmethod
    def parse(cls, text: str) -> IndexParams:
        """ "STORAGE:M:EF_CONSTRUCTION", e.g. "halfvec:16:64" (a variant to measure)."""
        storage, m, efc = text.split(":")
        if storage not in ("vector", "halfvec"):
            raise ValueError(f"storage must be vector or halfvec, not {storage!r}")
        return cls(m=int(m), ef_construction=int(efc), storage=storage)

    @property
    def label(self) -> str:
        return f"{self.storage} m={self.m} ef_construction={self.ef_construction}"


def load(
    pool: ConnectionPool,
    records: Iterable[RawRecord],
    model: Embedder,
    plan: EmbedPlan,
    batch_size: int,
    processes: int | None,
    keep: list[tuple[str, dict[str, int], np.ndarray]] | None = None,
) -> tuple[dict[str, Any], list[AnalyzedDocument]]:
    """Ingest as `hybrid-search ingest` does into an empty database (app.ingest.pipeline: each batch
    written while the next is tokenised, in `processes` processes or, None, the command's default, and
    embedded; a bulk load, app.ingest.bulk: the search indexes built after), timed end to end: the
    load and the builds of the indexes it deferred, but for the text's GIN and the vectors' HNSW
    index, whose build times are reported apart (`built_s`, index_report). Returns the report and a
    sample of analysed documents for the query set; `keep` collects (id, term counts, first passage
    vector) for another engine (its input is made after the load, untimed). One process's tokenising
    rate is timed apart, on the sample."""
    counts = {"documents": 0, "passages": 0, "postings": 0}
    sample: list[AnalyzedDocument] = []

    def seen(batch: Prepared) -> None:
        passages = batch.vectors.passages if batch.vectors is not None else [[] for _ in batch.analyzed]
        counts["documents"] += len(batch.analyzed)
        counts["passages"] += sum(len(p) for p in passages)
        counts["postings"] += sum(len(a.term_freqs) for a in batch.analyzed)
        if keep is not None:
            keep.extend(
                (a.doc.external_id, a.term_freqs, p[0][2])
                for a, p in zip(batch.analyzed, passages, strict=True)
            )
        if len(sample) < 50_000:
            sample.extend(batch.analyzed[: max(1, 50_000 // 100)])

    t0 = time.perf_counter()
    with deferred_indexes(pool) as bulk:
        ingest(
            pool,
            model,
            records,
            FieldMap(),
            batch_size,
            plan=plan,
            processes=processes,
            on_prepared=seen,
        )
        load_s = time.perf_counter() - t0
    built: dict[str, float] = bulk["built_s"]
    search_indexes = sum(built.get(name, 0.0) for name in (GIN_INDEX, HNSW_INDEX))
    seconds = load_s + sum(built.values()) - search_indexes
    docs = [a.doc for a in sample[:2000]]
    t0 = time.perf_counter()
    for d in docs:
        analyze(d)
    one = time.perf_counter() - t0
    return counts | {
        "processes": processes or default_processes(),
        "seconds": round(seconds, 2),
        "load_s": round(load_s, 2),
        "built_s": built,
        "docs_per_s": round(counts["documents"] / seconds, 1) if seconds > 0 else None,
        "tokenize_one_process": {
            "documents": len(docs),
            "docs_per_s": round(len(docs) / one, 1) if one > 0 else None,
        },
    }, sample


def index_report(pool: ConnectionPool, params: IndexParams, built: dict[str, float]) -> dict[str, Any]:
    """The build times of the GIN (tsvector) and HNSW (passages) indexes the load deferred (`built`,
    from load), then VACUUM ANALYZE; every index's size."""
    out: dict[str, Any] = {"gin_build_s": built.get(GIN_INDEX), "hnsw_build_s": built.get(HNSW_INDEX)}
    with pool.connection() as conn, autocommit(conn):
        conn.execute("SET statement_timeout = 0")
        out["hnsw_params"] = {
            "m": params.m,
            "ef_construction": params.ef_construction,
            "storage": params.storage,
        }
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        out["vacuum_analyze_s"] = round(time.perf_counter() - t0, 2)
        rows = conn.execute(query("relation_sizes")).fetchall()
        out["sizes_mb"] = {name: round(size / 2**20, 1) for name, size in rows if size > 0}
    return out


def time_queries(
    service: SearchService,
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    mode: Mode,
    progress: Progress,
    warm: bool = True,
    **options: Any,
) -> dict[str, Any]:
    """Per-query latency of one mode through the service the API calls (query vectors given, so model
    time is not in it), overall and per query kind; a short warm-up first (`warm`: with answers kept,
    none, so nothing is given from it). `options` are search options every request carries (facets,
    total)."""
    for q, v in zip(queries[:20] if warm else [], vectors[:20], strict=False):
        service.search(SearchRequest(q.text, mode, limit=10, **options), embedding=v)
    by_kind: dict[str, list[float]] = {}
    db_ms: list[float] = []
    hits = 0
    for q, v in progress(list(zip(queries, vectors, strict=True)), mode.value, None):
        t0 = time.perf_counter()
        res = service.search(SearchRequest(q.text, mode, limit=10, **options), embedding=v)
        by_kind.setdefault(q.kind, []).append((time.perf_counter() - t0) * 1000)
        db_ms.append(res.timings_ms.get("database", 0.0))
        hits += len(res.hits)
    return {**timing_summary(by_kind, db_ms), "mean_hits": round(hits / max(len(queries), 1), 2)}


def timing_summary(by_kind: dict[str, list[float]], db_ms: list[float]) -> dict[str, Any]:
    """Latency overall and per query kind, and the database's share, of one timed set."""
    return {
        "latency_ms": latency_summary([ms for kind in by_kind.values() for ms in kind]),
        "database_ms": latency_summary(db_ms),
        "by_kind_p50_ms": {k: latency_summary(v)["p50"] for k, v in sorted(by_kind.items())},
    }


def time_with_and_without(
    service: SearchService,
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    mode: Mode,
    progress: Progress,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-query latency with `options` (facets) and of the search alone, each query run both ways in
    turn (which goes first alternating), so the ratio compares the same moments of a machine whose
    speed drifts; a short warm-up of both first."""
    for q, v in zip(queries[:20], vectors[:20], strict=False):
        service.search(SearchRequest(q.text, mode, limit=10, **options), embedding=v)
        service.search(SearchRequest(q.text, mode, limit=10), embedding=v)
    ms: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
    db_ms: dict[bool, list[float]] = {True: [], False: []}
    hits = 0
    for i, (q, v) in enumerate(progress(list(zip(queries, vectors, strict=True)), mode.value, None)):
        for with_options in (i % 2 == 0, i % 2 == 1):
            t0 = time.perf_counter()
            res = service.search(
                SearchRequest(q.text, mode, limit=10, **(options if with_options else {})), embedding=v
            )
            ms[with_options].setdefault(q.kind, []).append((time.perf_counter() - t0) * 1000)
            db_ms[with_options].append(res.timings_ms.get("database", 0.0))
            hits += len(res.hits) if with_options else 0
    timed = {**timing_summary(ms[True], db_ms[True]), "mean_hits": round(hits / max(len(queries), 1), 2)}
    return timed, timing_summary(ms[False], db_ms[False])


def zipf_replay(count: int, requests: int, s: float = 1.0, seed: int = 11) -> list[int]:
    """Indices into a query set of `count` as a site's searches repeat them: query i drawn with
    probability proportional to 1 / (i + 1)^s."""
    weights = 1.0 / np.arange(1, count + 1) ** s
    rng = np.random.default_rng(seed)
    return [int(i) for i in rng.choice(count, size=requests, p=weights / weights.sum())]


def time_answer_cache(
    make_service: Callable[[int], SearchService],
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    size: int,
    progress: Progress,
) -> dict[str, Any]:
    """Keyword and hybrid latency with whole answers kept (`size`) and without (0), each on a fresh
    service: the uniform query set (each query once: the cost of checking the version on a miss) and a
    replay of 5x as many searches repeating them as a Zipf distribution (s = 1)."""
    order = zipf_replay(len(queries), 5 * len(queries))
    replay = ([queries[i] for i in order], vectors[order])
    out: dict[str, Any] = {"size": size, "replay": {"requests": len(order), "distinct": len(set(order))}}
    for name, (qs, vs) in (("uniform", (queries, vectors)), ("zipf", replay)):
        for mode in (Mode.keyword, Mode.hybrid):
            for kept in (0, size):
                service = make_service(kept)
                timed = time_queries(service, qs, vs, mode, progress, warm=kept == 0)
                key = f"{name}_{mode.value}_{'cached' if kept else 'uncached'}"
                out[key] = {"latency_ms": timed["latency_ms"], "kept": len(service.answers)}
    return out


def _opclass(params: IndexParams) -> str:
    if params.storage not in ("vector", "halfvec"):
        raise ValueError(f"unknown vector storage {params.storage!r}")
    return f"{params.storage}_cosine_ops"


def exact_top10(pool: ConnectionPool, vectors: np.ndarray, progress: Progress) -> list[list[int]]:
    """Each query's true 10 nearest documents (exact search)."""
    sql = "SELECT doc_id FROM search.semantic_ranks(%s, 10, NULL, 40, %s)"
    with pool.connection() as conn:
        truth = [
            [r[0] for r in conn.execute(sql, [v, 10**9]).fetchall()]
            for v in progress(list(vectors), "exact top 10", None)
        ]
        conn.commit()
    return truth


def index_variants(
    pool: ConnectionPool,
    vectors: np.ndarray,
    truth: list[list[int]],
    main: IndexParams,
    variants: Sequence[IndexParams],
    ef_values: Sequence[int],
    progress: Progress,
) -> list[dict[str, Any]]:
    """Storage and graph parameters side by side: the loaded index, then each variant built as an
    expression index over the same column (after the loaded one is dropped); per index its build time,
    size, and recall@10 / latency of a bare nearest-passage query at each ef_search (the same query for
    all, so only the index differs). Runs last: it leaves the database without its HNSW index."""
    dim = vectors.shape[1]
    out = []
    with pool.connection() as conn, autocommit(conn):
        conn.execute(f"SET maintenance_work_mem = '{main.maintenance_work_mem}'")
        conn.execute("SET statement_timeout = 0")
        row: dict[str, Any] = {"index": main.label + " (loaded)", "build_s": None}
        row["size_mb"] = _index_mb(conn, f"search.{HNSW_INDEX}")
        row["by_ef"] = _variant_recall(conn, vectors, truth, "embedding", main.storage, dim, ef_values)
        out.append(row)
        conn.execute(f"DROP INDEX IF EXISTS search.{HNSW_INDEX}")
        for v in progress(list(variants), "index variants", None):
            expr = f"(embedding::{v.storage}({dim}))"
            t0 = time.perf_counter()
            conn.execute(
                f"CREATE INDEX bench_variant_hnsw ON search.passages USING hnsw ({expr} {_opclass(v)}) "
                f"WITH (m = {int(v.m)}, ef_construction = {int(v.ef_construction)})"
            )
            row = {"index": v.label, "build_s": round(time.perf_counter() - t0, 2)}
            row["size_mb"] = _index_mb(conn, "search.bench_variant_hnsw")
            row["by_ef"] = _variant_recall(conn, vectors, truth, expr, v.storage, dim, ef_values)
            conn.execute("DROP INDEX search.bench_variant_hnsw")
            out.append(row)
    return out


def _index_mb(conn: Any, name: str) -> float:
    return round(conn.execute("SELECT pg_relation_size(%s::regclass)", [name]).fetchone()[0] / 2**20, 1)


def bare_query(expr: str, storage: str, dim: int) -> str:
    """The bare nearest-passage query over `expr` (the index's column or expression), top 10."""
    return f"SELECT doc_id FROM search.passages ORDER BY {expr} <=> %s::{storage}({dim}) LIMIT 10"


def time_beside_index(
    service: SearchService,
    pool: ConnectionPool,
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    storage: str,
    ef_search: int,
    progress: Progress,
) -> dict[str, Any]:
    """The semantic mode through the service and the bare nearest-passage query (index_variants' own, at
    the service's ef_search) on the same vectors, query by query, which goes first alternating: what
    the service adds over the index at the same moments and with the same caches. (A vector's second
    search runs faster than its first, its index pages and graph still in the CPU's caches: the index
    variants' figures, which run vectors seen before, are warmer than a new query's.)"""
    sql = bare_query("embedding", storage, vectors.shape[1])
    ms: dict[str, list[float]] = {"service": [], "index": []}
    with pool.connection() as conn:
        conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")

        def run(which: str, q: BenchQuery, v: np.ndarray) -> None:
            t0 = time.perf_counter()
            if which == "service":
                service.search(SearchRequest(q.text, Mode.semantic, limit=10), embedding=v)
            else:
                conn.execute(sql, [v]).fetchall()
            ms[which].append((time.perf_counter() - t0) * 1000)

        pairs = list(zip(queries, vectors, strict=True))
        for q, v in pairs[:20]:  # warm-up, not timed
            run("service", q, v)
            run("index", q, v)
        for timed in ms.values():
            timed.clear()
        for i, (q, v) in enumerate(progress(pairs, "semantic beside the index", None)):
            for which in ("service", "index") if i % 2 == 0 else ("index", "service"):
                run(which, q, v)
        conn.execute("RESET hnsw.ef_search")
        conn.commit()
    service_ms, index_ms = latency_summary(ms["service"]), latency_summary(ms["index"])
    return {
        "service_ms": service_ms,
        "index_ms": index_ms,
        "added_p50_ms": round(service_ms["p50"] - index_ms["p50"], 3),
        "ef_search": ef_search,
    }


def _variant_recall(
    conn: Any,
    vectors: np.ndarray,
    truth: list[list[int]],
    expr: str,
    storage: str,
    dim: int,
    ef_values: Sequence[int],
) -> list[dict[str, Any]]:
    sql = bare_query(expr, storage, dim)
    out = []
    for ef in ef_values:
        conn.execute(f"SET hnsw.ef_search = {int(ef)}")
        for v in vectors[:20]:
            conn.execute(sql, [v]).fetchall()
        found, ms = [], []
        for v in vectors:
            t0 = time.perf_counter()
            found.append([r[0] for r in conn.execute(sql, [v]).fetchall()])
            ms.append((time.perf_counter() - t0) * 1000)
        recall = float(np.mean([recall_at(f, t) for f, t in zip(found, truth, strict=True)]))
        out.append({"ef_search": ef, "recall@10": round(recall, 4), "latency_ms": latency_summary(ms)})
    conn.execute("RESET hnsw.ef_search")
    return out


def semantic_recall(
    pool: ConnectionPool,
    vectors: np.ndarray,
    truth: list[list[int]],
    ef_values: Sequence[int],
) -> list[dict[str, Any]]:
    """Recall@10 of the HNSW leg (search.semantic_ranks) against exact search, and its latency, at each
    ef_search."""
    sql = "SELECT doc_id FROM search.semantic_ranks(%s, 10, NULL, %s, %s)"
    with pool.connection() as conn:
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


def written_as_planned(pool: ConnectionPool, final: dict[str, str], prefix: str) -> dict[str, Any]:
    """After a mixed load: does each id hold the text of its last upsert, with vectors, and do the BM25
    statistics equal a recount? (Concurrent writes must neither lose nor mix anything.)"""
    with pool.connection() as conn:
        rows = conn.execute(query("documents_by_prefix"), {"prefix": prefix}).fetchall()
        stats = conn.execute(query("statistics_recount")).fetchone()
    assert stats is not None
    n_docs, total_len, recount_docs, recount_len, drifted = stats
    whole = sum(
        1
        for doc_id, body, has_embedding, passages in rows
        if final.get(doc_id) == body and has_embedding and passages > 0
    )
    report = {
        "documents_expected": len(final),
        "documents_found": len(rows),
        "documents_as_written": whole,
        "statistics_match_recount": (n_docs, total_len) == (recount_docs, recount_len) and drifted == 0,
    }
    report["consistent"] = report["statistics_match_recount"] and len(final) == len(rows) == whole
    return report


def remove_documents(pool: ConnectionPool, ids: Iterable[str]) -> int:
    """Delete documents by id (the bench takes out what its mixed load wrote); how many there were."""
    with pool.connection() as conn:
        return sum(store.delete_document(conn, doc_id) for doc_id in ids)


def time_with_synonyms(
    pool: ConnectionPool,
    service: SearchService,
    queries: Sequence[BenchQuery],
    vectors: np.ndarray,
    progress: Progress,
) -> dict[str, Any]:
    """Keyword and hybrid latency of the short queries once synonym rules give their first terms a
    synonym each (bench.queries.synonym_rules); the rules are removed afterwards."""
    from app.bench.queries import synonym_rules
    from app.search.synonyms import add_rules, parse_rule, remove_rules
    from app.text import query_terms

    rules = [r for line in synonym_rules(queries, query_terms) if (r := parse_rule(line))]
    picked = [i for i, q in enumerate(queries) if q.kind != "long"]
    if not rules or not picked:
        return {}
    with pool.connection() as conn:
        ids = add_rules(conn, rules)
    try:
        chosen = [queries[i] for i in picked]
        out: dict[str, Any] = {"rules": len(rules)}
        for mode in (Mode.keyword, Mode.hybrid):
            out[mode.value] = time_queries(service, chosen, vectors[picked], mode, progress)
        return out
    finally:
        with pool.connection() as conn:
            remove_rules(conn, ids)
