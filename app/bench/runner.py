"""Run the whole bench and assemble its JSON report."""

from __future__ import annotations

import os
import platform
import secrets
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any, cast

import numpy as np

from app.bench import engine
from app.bench.engine import IndexParams, Progress
from app.bench.queries import BenchQuery, draw_queries, facet_fields_of, pinyin_queries, syntax_queries
from app.bench.suggest import bench_suggest
from app.config import Settings
from app.db import open_pool, temporary_database, upgrade
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.embedding.synthetic import ClusteredVectors, SyntheticEmbedder
from app.ingest.pipeline import EmbedPlan
from app.ingest.readers import read_records
from app.search import Mode, SearchService
from app.text import query_terms

WHOLE_DOCUMENT = 1 << 30  # passage length for synthetic vectors: each document embedded whole


@dataclass
class BenchOptions:
    corpus: Path
    limit_docs: int | None = None
    queries: int = 400
    vectors: str = "synthetic"  # "synthetic" (clustered unit vectors) or "model" (EMBEDDING_MODEL)
    dim: int = 1024
    batch_size: int = 1000
    ingest_processes: int | None = None  # tokenising processes (None: app.ingest.tokenize's default)
    ef_search: list[int] = field(default_factory=lambda: [40, 100, 200])
    index: IndexParams = field(default_factory=IndexParams)
    variants: list[IndexParams] = field(default_factory=list)  # other storage / HNSW parameters to measure
    database_url: str | None = None
    http_requests: int = 0
    http_concurrency: list[int] = field(default_factory=lambda: [8, 32])
    http_workers: int = 2  # `serve` worker processes for the HTTP loads
    mixed_requests: int = 0  # searches and upserts mixed (0: none)
    mixed_concurrency: int = 16
    mixed_write_share: float = 0.2
    mixed_batch: int = 4  # documents per upsert
    compare: list[str] = field(default_factory=list)
    model_speed: Path | None = None  # a model to time (built there, bge-m3-size, random weights, if missing)


def run_bench(
    options: BenchOptions, settings: Settings, progress: Progress, embedder: Embedder | None = None
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": {**asdict(options), "corpus": str(options.corpus)},
    }
    database = nullcontext(options.database_url) if options.database_url else temporary_database()
    with database as url:
        if options.database_url:
            upgrade(url)
        pool = open_pool(url, settings.model_copy(update={"statement_timeout_ms": 0}), min_size=1)
        try:
            report.update(_run(options, settings, pool, embedder, progress, url))
        finally:
            pool.close()
    return report


def _service_model(options: BenchOptions, settings: Settings, model: Embedder) -> dict[str, str]:
    """The service loads the model the corpus was loaded with: the synthetic stand-in, or the real one."""
    if options.vectors == "synthetic":
        return {"EMBEDDING_BACKEND": "synthetic", "EMBEDDING_MODEL": model.name}
    return {"EMBEDDING_BACKEND": settings.embedding_backend, "EMBEDDING_MODEL": settings.embedding_model}


def _model_speed(
    path: Path, queries: list[BenchQuery], bodies: list[str], dtype: str, onnx_cache: Path
) -> dict[str, Any]:
    """The model's share of what a user waits for: a short query's embedding, passages per second, in
    the number format EMBEDDING_DTYPE resolves to and in float32, and queries through the 8-bit ONNX
    encoder (exported into `onnx_cache` on first use). A folder without a model gets a
    random-weight one with bge-m3's full configuration, its tokenizer trained on the corpus's texts
    (speed does not depend on the weights)."""
    from app.bench.random_model import BGE_M3, build_random_bge_m3, model_speed
    from app.embedding.precision import Dtype, resolve_dtype

    built = not (path / "config.json").exists()
    if built:
        build_random_bge_m3(path, bodies[:20000], BGE_M3)
    short = [q.text for q in queries if q.kind != "long"][:100]
    passages = [b for b in bodies[:64] if b.strip()]
    used = resolve_dtype(cast(Dtype, dtype), "cpu")
    speed = model_speed(path, short, passages, dtypes=(used, "float32"), onnx_cache=onnx_cache)
    return {"built_random_bge_m3": built, **speed}


def _http(
    options: BenchOptions,
    settings: Settings,
    pool: Any,
    url: str,
    model: Embedder,
    queries: list[str],
    texts: list[str],
) -> dict[str, Any]:
    """Load over HTTP from this process against a service process: keyword searches alone at each
    concurrency (the web stack and the keyword engine), then searches of every mode mixed with upserts,
    after which what was written is checked and taken out again (the corpus is left as loaded)."""
    if options.http_requests < 1 and options.mixed_requests < 1:
        return {}
    from app.bench import http_load as load

    key = secrets.token_urlsafe(24)  # writes need a key whatever API_KEYS the environment holds
    env = {
        "WORKERS": str(options.http_workers),
        "API_KEYS": key,
        "SUGGEST_REFRESH_MINUTES": "0",  # the suggest section built them; no rebuild under the load
        "ANSWER_CACHE_SIZE": "0",  # the engine under load: the loads cycle through the query set
        **_service_model(options, settings, model),
    }
    out: dict[str, Any] = {}
    levels = options.http_concurrency if options.http_requests > 0 else []
    # a site's searches: the queries repeating as a Zipf distribution, without and with kept answers
    zipf = [queries[i] for i in engine.zipf_replay(len(queries), options.http_requests)]
    with load.running_service(url, env) as base:
        for c in levels:
            out[f"keyword_c{c}"] = load.http_load(base, queries, "keyword", options.http_requests, c)
            out[f"keyword_zipf_c{c}"] = load.http_load(base, zipf, "keyword", len(zipf), c)
            for name in (f"keyword_c{c}", f"keyword_zipf_c{c}"):
                out[name]["workers"] = options.http_workers
        if options.mixed_requests > 0:
            load.wait_for_model(base)
            plan = load.mixed_calls(
                queries, texts, options.mixed_requests, options.mixed_write_share, options.mixed_batch
            )
            mixed = load.mixed_load(base, plan, options.mixed_concurrency, {"X-API-Key": key})
            mixed["workers"] = options.http_workers
            mixed["after"] = engine.written_as_planned(pool, plan.final, load.MIXED_ID_PREFIX)
            mixed["after"]["removed"] = engine.remove_documents(pool, plan.final)
            out["mixed"] = mixed
    if levels:
        with load.running_service(
            url, {**env, "ANSWER_CACHE_SIZE": str(max(settings.answer_cache_size, 1))}
        ) as base:
            for c in levels:
                out[f"keyword_zipf_kept_c{c}"] = load.http_load(base, zipf, "keyword", len(zipf), c)
                out[f"keyword_zipf_kept_c{c}"]["workers"] = options.http_workers
    return out


def _run(
    options: BenchOptions,
    settings: Settings,
    pool: Any,
    embedder: Embedder | None,
    progress: Progress,
    url: str,
) -> dict[str, Any]:
    from app import store

    vectors = ClusteredVectors(options.dim) if options.vectors == "synthetic" else None
    if vectors is not None:
        # recorded as the model, so the HTTP service can load it (EMBEDDING_BACKEND=synthetic) for writes
        model: Embedder = SyntheticEmbedder(options.dim)
    else:
        assert embedder is not None
        model = embedder
    with pool.connection() as conn:
        vector_index = store.VectorIndex(
            "halfvec" if options.index.storage == "halfvec" else "vector",
            options.index.m,
            options.index.ef_construction,
        )
        store.register_model(conn, model, with_sparse=settings.sparse_enabled, index=vector_index)

    plan = EmbedPlan.from_settings(settings)
    if vectors is not None:  # one vector per document, as the other engines' tables hold
        plan = replace(plan, max_chars=WHOLE_DOCUMENT)
    records = progress(islice(read_records(options.corpus), options.limit_docs), "ingest", options.limit_docs)
    keep: list[tuple[str, dict[str, int], np.ndarray]] | None = [] if options.compare else None
    processes = options.ingest_processes
    ingest, sample = engine.load(pool, records, model, plan, options.batch_size, processes, keep)
    ingest["limit"] = options.limit_docs
    indexes = engine.index_report(pool, options.index, ingest["built_s"])

    queries = draw_queries([a.doc.body for a in sample], [set(a.term_freqs) for a in sample], options.queries)
    t0 = time.perf_counter()
    if vectors is not None:
        qvecs = vectors.queries(len(queries))
        embed_note = "synthetic vectors: no model in the loop"
        embed_ms: dict[str, Any] = {}
    else:
        assert embedder is not None
        per: list[float] = []
        rows = []
        for q in progress(queries, "embed queries", None):
            t1 = time.perf_counter()
            rows.append(embedder.encode_queries([q.text])[0])
            per.append((time.perf_counter() - t1) * 1000)
        qvecs = np.stack(rows)
        embed_note = f"{embedder.name}, one query at a time"
        from app.bench.stats import latency_summary

        embed_ms = latency_summary(per)
    query_set = {
        "count": len(queries),
        "kinds": {k: sum(q.kind == k for q in queries) for k in sorted({q.kind for q in queries})},
        "examples": [q.text for q in queries[:8]],
        "mean_terms": round(float(np.mean([len(query_terms(q.text)) for q in queries])), 2),
        "embedding": {
            "note": embed_note,
            "latency_ms": embed_ms,
            "total_s": round(time.perf_counter() - t0, 2),
        },
    }

    no_model = ModelHolder.unavailable("bench: query vectors are given")
    uncached = settings.model_copy(update={"answer_cache_size": 0})  # every section times the engine
    service = SearchService(pool, no_model, uncached)
    search = {
        mode.value: engine.time_queries(service, queries, qvecs, mode, progress)
        for mode in (Mode.keyword, Mode.semantic, Mode.hybrid)
    }
    # the semantic mode beside the bare index query, on vectors no search has seen yet (when synthetic)
    fresh = vectors.queries(len(queries), seed=12) if vectors is not None else qvecs
    beside_index = engine.time_beside_index(
        service, pool, queries, fresh, options.index.storage, settings.hnsw_ef_search, progress
    )
    # the query syntax (phrases required, exclusions) on the same queries, keyword and hybrid
    with_syntax = syntax_queries(queries)
    syntax = {
        mode.value: engine.time_queries(
            service, [q for _, q in with_syntax], qvecs[[i for i, _ in with_syntax]], mode, progress
        )
        for mode in (Mode.keyword, Mode.hybrid)
        if with_syntax
    }
    # pinyin: the titles typed in pinyin (or, without titles, the queries read as pinyin)
    typed, source = pinyin_queries([a.doc.title for a in sample], queries)
    typed_vecs = qvecs[[i % len(queries) for i in range(len(typed))]]
    pinyin: dict[str, Any] = {"source": source} if typed else {}
    for mode in (Mode.keyword, Mode.hybrid) if typed else ():
        pinyin[mode.value] = engine.time_queries(service, typed, typed_vecs, mode, progress)
    # facets: two metadata fields counted over the whole matched set, with the total
    fields = facet_fields_of([a.doc.metadata for a in sample[:5000]])
    faceted: dict[str, Any] = {"fields": fields} if fields else {}
    for mode in (Mode.keyword, Mode.hybrid) if fields else ():
        # the search alone timed again beside it, query by query: a ratio of the same moments
        timed, alone = engine.time_with_and_without(
            service, queries, qvecs, mode, progress, facets=",".join(fields)
        )
        lat = alone["latency_ms"]
        ratio = {p: round(timed["latency_ms"][p] / lat[p], 2) for p in ("p50", "p99") if lat[p]}
        faceted[mode.value] = {**timed, "search_alone": alone, "ratio_to_search_alone": ratio}
    # whole answers kept: the uniform set (each query once) and a site's replay (Zipf), with and without
    cache = engine.time_answer_cache(
        lambda size: SearchService(pool, no_model, settings.model_copy(update={"answer_cache_size": size})),
        queries,
        qvecs,
        max(settings.answer_cache_size, 1),
        progress,
    )
    # synonyms: the short queries once rules give their first terms a synonym each
    synonyms = engine.time_with_synonyms(pool, service, queries, qvecs, progress)
    # suggestions: a site's query log (4,000 short queries drawn as the bench's are), the titles
    vocabulary = draw_queries([a.doc.body for a in sample], [set(a.term_freqs) for a in sample], 4000, seed=9)
    suggestions = bench_suggest(pool, vocabulary, [a.doc.title for a in sample if a.doc.title.strip()])
    truth = engine.exact_top10(pool, qvecs, progress)
    recall = engine.semantic_recall(pool, qvecs, truth, options.ef_search)
    speed = (
        _model_speed(
            options.model_speed,
            queries,
            [a.doc.body for a in sample],
            settings.embedding_dtype,
            settings.hybrid_search_home / "onnx",
        )
        if options.model_speed
        else {}
    )
    bodies = [a.doc.body for a in sample[:5000]]  # the mixed load's upserts reuse corpus texts
    http = _http(options, settings, pool, url, model, [q.text for q in queries], bodies)
    compare: dict[str, Any] = {}
    if keep is not None:
        ids, doc_vecs = [k[0] for k in keep], np.stack([k[2] for k in keep])
        texts = [" ".join(t for t, n in k[1].items() for _ in range(n)) for k in keep]  # tokens, spaced
        ours = {m: search[m]["latency_ms"]["p50"] for m in search}
        for name in options.compare:
            if name == "lancedb":
                from app.bench.lancedb_cmp import run_lancedb

                other = run_lancedb(ids, texts, doc_vecs, queries, qvecs, settings.rrf_k)
            else:
                from app.bench.milvus_cmp import run_milvus

                hnsw = (options.index.m, options.index.ef_construction, settings.hnsw_ef_search)
                other = run_milvus(ids, texts, doc_vecs, queries, qvecs, settings.rrf_k, hnsw)
            other["p50_ratio_ours_to_other"] = {
                m: round(ours[m] / other[m]["latency_ms"]["p50"], 2)
                for m in ours
                if other.get(m, {}).get("latency_ms", {}).get("p50")
            }
            compare[name] = other
    variants = engine.index_variants(
        pool, qvecs, truth, options.index, options.variants, options.ef_search, progress
    )
    return {
        "compare": compare,
        "http": http,
        "index_variants": variants,
        "ingest": ingest,
        "model_speed": speed,
        "indexes": indexes,
        "queries": query_set,
        "search": search,
        "semantic_beside_index": beside_index,
        "search_syntax": syntax,
        "search_pinyin": pinyin,
        "search_facets": faceted,
        "search_synonyms": synonyms,
        "answer_cache": cache,
        "suggest": suggestions,
        "semantic_recall": recall,
        "settings": {
            "ef_search": settings.hnsw_ef_search,
            "rank_window": settings.rank_window,
            "rrf_k": settings.rrf_k,
        },
    }
