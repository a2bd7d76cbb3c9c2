"""The `hybrid-search` command. Domain errors become messages and exit codes here, and only here.

Exit codes: 0 success; 1 the engine could not do it (database down, model unavailable or mismatched);
2 bad input (usage, unreadable file, or any bad line in an ingest: each is printed with its line number).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.config import Settings, get_settings
from app.errors import EmptyQuery, HybridSearchError, InvalidDocument, InvalidQuery
from app.eval.modes import EVAL_MODES, EvalMode, chosen_modes

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hybrid-search", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (applies migrations first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-migrate", action="store_true", help="do not run `db upgrade` first")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: the WORKERS setting, 1); each holds its own model copy",
    )

    ingest = sub.add_parser(
        "ingest", help="load documents from JSON Lines, a JSON array, CSV or a BEIR folder"
    )
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--id-field", help="field holding the id (default: _id, id, doc_id, docid)")
    ingest.add_argument("--title-field", help="field holding the title (default: title, name)")
    ingest.add_argument(
        "--text-field", help="field holding the text (default: text, body, content, description)"
    )
    ingest.add_argument("--url-field", help="field holding the url (default: url, link)")
    ingest.add_argument("--batch-size", type=int, default=64)
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    search = sub.add_parser("search", help="search from the command line")
    search.add_argument("query")
    search.add_argument("--mode", choices=["hybrid", "keyword", "semantic", "sparse"], default="hybrid")
    search.add_argument("-k", "--limit", type=int, default=10)
    search.add_argument("--offset", type=int, default=0)
    search.add_argument("--filters", help='metadata filters as JSON, e.g. \'{"price": {"lte": 500}}\'')
    search.add_argument("--fusion", choices=["rrf", "minmax"], default="rrf")
    search.add_argument("--rrf-k", type=int, default=None)
    search.add_argument("--keyword-weight", type=float, default=1.0)
    search.add_argument("--semantic-weight", type=float, default=1.0)
    search.add_argument(
        "--sparse",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="hybrid: fuse the learned sparse leg too (default: the HYBRID_SPARSE setting)",
    )
    search.add_argument("--sparse-weight", type=float, default=1.0)
    search.add_argument("--title-weight", type=float, default=None)
    search.add_argument("--min-score", type=float, default=None)
    search.add_argument("--json", action="store_true", help="print the full response as JSON")

    an = sub.add_parser("analyze", help="show the tokens a text becomes (as a document, or --query)")
    an.add_argument("text")
    an.add_argument("--query", action="store_true", help="analyse as a query (jieba precise mode)")
    an.add_argument("--json", action="store_true")

    sp = sub.add_parser(
        "sql-params", help="print a query's tokens and vector as psql variables, with example statements"
    )
    sp.add_argument("query")
    sp.add_argument("-k", "--limit", type=int, default=10, help="the LIMIT in the example statements")
    sp.add_argument("--no-vector", action="store_true", help="tokens only: do not load the model")
    sp.add_argument("--json", action="store_true", help='print {"terms": [...], "embedding": [...]} instead')

    ft = sub.add_parser(
        "finetune-data",
        help="write FlagEmbedding fine-tuning data (query, pos, neg), hard negatives mined from the index",
    )
    ft.add_argument("--queries", type=Path, required=True, help="queries.jsonl (_id, text)")
    ft.add_argument("--qrels", type=Path, required=True, help="qrels TSV (query-id, corpus-id, score)")
    ft.add_argument("--out", type=Path, required=True, help="the JSON Lines file to write")
    ft.add_argument("--mode", choices=["hybrid", "keyword", "semantic"], default="hybrid")
    ft.add_argument("--negatives", type=int, default=15, help="hard negatives per query (default 15)")
    ft.add_argument("--range", default="2-200", help="ranks to draw negatives from (default 2-200)")
    ft.add_argument("--seed", type=int, default=42)
    ft.add_argument("--quiet", action="store_true", help="no progress bar")

    re_ = sub.add_parser(
        "reembed",
        help="switch the embedding model without downtime (new vectors beside the old, then a swap)",
    )
    re_.add_argument(
        "--model", help="the new model: a hub name or a local directory (EMBEDDING_MODEL's forms)"
    )
    re_.add_argument("--batch-size", type=int, default=64)
    re_.add_argument("--abort", action="store_true", help="drop what an interrupted switch wrote")
    re_.add_argument("--quiet", action="store_true", help="no progress bar")

    st = sub.add_parser("stats", help="documents, index sizes, model, last ingest")
    st.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="nDCG@10, Recall@100 and MRR@10 per mode on a BEIR folder")
    ev.add_argument("path", type=Path, help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    ev.add_argument(
        "--mode",
        choices=["all", *EVAL_MODES],
        action="append",
        help="modes to evaluate (repeatable; default all: the sparse ones when the model has a sparse "
        "head; keyword alone loads no model)",
    )
    ev.add_argument("--split", default="test")
    ev.add_argument("--max-queries", type=int, default=None)
    ev.add_argument(
        "--database-url", default=None, help="evaluate in this database (default: a throwaway embedded one)"
    )
    ev.add_argument("--sweep", action="store_true", help="also try RRF k and leg weights and print the table")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")

    bench = sub.add_parser("bench", help="measure ingest, index builds, latency, recall and HTTP load")
    bench.add_argument("corpus", type=Path, nargs="?", default=Path("../shared/data/zh_scale/corpus.jsonl"))
    bench.add_argument("--limit-docs", type=int, default=None, help="load only the first N documents")
    bench.add_argument("--queries", type=int, default=400, help="queries per mode")
    bench.add_argument(
        "--vectors",
        choices=["synthetic", "model"],
        default="synthetic",
        help="synthetic: clustered unit vectors (measures the engine); model: EMBEDDING_MODEL",
    )
    bench.add_argument("--dim", type=int, default=1024, help="dimension of synthetic vectors")
    bench.add_argument("--batch-size", type=int, default=1000)
    bench.add_argument("--ef-search", type=int, action="append", help="ef_search values for the recall table")
    bench.add_argument("--hnsw-m", type=int, default=None, help="default: HNSW_M")
    bench.add_argument("--hnsw-ef-construction", type=int, default=None, help="default: HNSW_EF_CONSTRUCTION")
    bench.add_argument(
        "--vector-storage", choices=["vector", "halfvec"], default=None, help="default: VECTOR_STORAGE"
    )
    bench.add_argument(
        "--index-variant",
        action="append",
        metavar="STORAGE:M:EF_CONSTRUCTION",
        help="another HNSW index to measure side by side, e.g. halfvec:16:64 (repeatable; default: the "
        "other storage with the same m and ef_construction; 'none' for none)",
    )
    bench.add_argument("--database-url", default=None, help="an empty database (default: a throwaway one)")
    bench.add_argument("--http-requests", type=int, default=2000, help="GET /search requests per load level")
    bench.add_argument(
        "--http-concurrency", type=int, action="append", help="requests in flight (repeatable; default 8, 32)"
    )
    bench.add_argument(
        "--http-workers", type=int, default=2, help="service worker processes for the HTTP loads (default 2)"
    )
    bench.add_argument(
        "--mixed-requests",
        type=int,
        default=1000,
        help="requests of the mixed load: searches of every mode and upserts together (0: skip)",
    )
    bench.add_argument("--mixed-concurrency", type=int, default=16, help="requests in flight (mixed load)")
    bench.add_argument(
        "--mixed-write-share", type=float, default=0.2, help="share of the mixed load that upserts (0.2)"
    )
    bench.add_argument("--mixed-batch", type=int, default=4, help="documents per upsert (mixed load)")
    bench.add_argument(
        "--compare",
        action="append",
        choices=["lancedb", "milvus", "none"],
        help="run the same data through other engines (repeatable; default: LanceDB and Milvus Lite, "
        "those installed)",
    )
    bench.add_argument("--json", action="store_true", help="print only the JSON report")
    bench.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    bench.add_argument("--quiet", action="store_true", help="no progress bars")

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="same as `alembic upgrade head`")
    down = db_sub.add_parser("downgrade", help="same as `alembic downgrade REVISION`")
    down.add_argument("revision")
    rx = db_sub.add_parser(
        "reindex", help="rebuild indexes without blocking searches (REINDEX ... CONCURRENTLY)"
    )
    rx.add_argument("index", nargs="*", help="index names (default: every index of the search tables)")
    return p


def _database_url(settings: Settings) -> str:
    from app.db import resolve_database_url

    return resolve_database_url(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.api.main import create_app
    from app.db import upgrade

    url = _database_url(settings)
    if not args.no_migrate:
        upgrade(url)
    if not settings.database_url:
        settings = settings.model_copy(update={"database_url": url})
    workers = args.workers or settings.workers
    if workers < 1:
        raise InvalidQuery("--workers must be at least 1")
    host, port = args.host or settings.host, args.port or settings.port
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, access_log=settings.access_log)
        return EXIT_OK
    # Several processes (Python serves one request at a time per process for CPU-bound work): each
    # imports the app factory and reads its settings from the environment.
    os.environ["DATABASE_URL"] = url
    # Prometheus counters summed over the workers (prometheus_client's multiprocess mode).
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="hybrid-search-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "app.api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=settings.access_log,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return EXIT_OK


def _count_lines(path: Path) -> int | None:
    from app.ingest.readers import resolve_input

    path = resolve_input(path)
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".csv", ".tsv"):
        return None
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from app.db import open_pool
    from app.embedding.loader import load_embedder
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest
    from app.ingest.readers import read_records

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    fields = FieldMap(args.id_field, args.title_field, args.text_field, args.url_field)
    total = _count_lines(args.path)
    records = read_records(args.path)
    pool = open_pool(_database_url(settings), settings, min_size=1)
    try:
        print(f"loading embedding model {settings.embedding_model} ...", file=sys.stderr)
        embedder = load_embedder(settings)
        with tqdm(total=total, unit="doc", desc="ingest", disable=args.quiet, file=sys.stderr) as bar:
            plan = EmbedPlan.from_settings(settings)
            report = ingest(
                pool, embedder, records, fields, args.batch_size, on_progress=bar.update, plan=plan
            )
    finally:
        pool.close()
    for bad in report.bad:
        print(f"bad line {bad}", file=sys.stderr)
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return EXIT_BAD_INPUT if report.bad else EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.api.main import model_holder
    from app.db import open_pool
    from app.embedding.loader import ModelHolder
    from app.search import Fusion, Mode, SearchRequest, SearchService
    from app.search.filters import parse_filters_json

    pool = open_pool(_database_url(settings), settings, min_size=1)
    try:
        mode = Mode(args.mode)
        if mode is Mode.keyword:
            models = ModelHolder.unavailable("keyword mode does not load a model")
        else:
            models = model_holder(settings, pool)
            models.load()
        req = SearchRequest(
            args.query,
            mode,
            args.limit,
            args.offset,
            rrf_k=args.rrf_k,
            keyword_weight=args.keyword_weight,
            semantic_weight=args.semantic_weight,
            sparse=args.sparse,
            sparse_weight=args.sparse_weight,
            fusion=Fusion(args.fusion),
            min_score=args.min_score,
            filters=parse_filters_json(args.filters, "--filters"),
            title_weight=args.title_weight,
        )
        result = SearchService(pool, models, settings).search(req)
    finally:
        pool.close()
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    if result.degraded:
        print(f"degraded: {result.degraded_reason}", file=sys.stderr)
    print(f"{'#':>3} {'score':>9} {'kw':>4} {'sem':>4} {'sp':>4}  id / title / snippet")
    for i, h in enumerate(result.hits, start=result.offset + 1):
        kr, sr, pr = (r if r is not None else "-" for r in (h.keyword_rank, h.semantic_rank, h.sparse_rank))
        print(f"{i:>3} {h.score:>9.4f} {kr:>4} {sr:>4} {pr:>4}  {h.id}  {h.title}")
        print(f"{'':>29}{h.snippet[:120]!s}".replace("\n", " "))
    if not result.hits:
        print("no hits")
    return EXIT_OK


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import downgrade, upgrade

    url = _database_url(settings)
    if args.db_command == "upgrade":
        upgrade(url)
    elif args.db_command == "reindex":
        from app.admin import reindex

        for name, seconds in reindex(url, args.index):
            print(f"{name}: rebuilt in {seconds:.1f} s")
    else:
        downgrade(url, args.revision)
    return EXIT_OK


def cmd_sql_params(args: argparse.Namespace, settings: Settings) -> int:
    from app.api.main import model_holder
    from app.db import open_pool
    from app.errors import ModelUnavailable
    from app.search.terms import bounded_terms
    from app.sqlparams import psql_script
    from app.text import query_terms

    terms = query_terms(args.query)
    over_cap = len(set(terms)) > settings.max_query_terms  # /search keeps the strongest terms only
    pool = (
        open_pool(_database_url(settings), settings, min_size=1) if over_cap or not args.no_vector else None
    )
    vector, note = None, None
    try:
        if pool is not None and over_cap:
            with pool.connection() as conn:
                terms = bounded_terms(conn, terms, settings.max_query_terms)
        if not terms and args.no_vector:
            raise EmptyQuery("the query has no searchable words (only punctuation, spaces or symbols)")
        if pool is not None and not args.no_vector:
            try:
                models = model_holder(settings, pool)
                models.load()
                vector = models.get().encode_queries([args.query])[0]
            except ModelUnavailable as exc:
                note = f"no query vector (keyword statements only): {exc}"
                print(f"warning: {note}", file=sys.stderr)
    finally:
        if pool is not None:
            pool.close()
    if args.json:
        emb = None if vector is None else [float(x) for x in vector]
        print(json.dumps({"terms": terms, "embedding": emb}, ensure_ascii=False))
    else:
        print(psql_script(terms, vector, args.limit, settings, note))
    return EXIT_OK


def cmd_finetune_data(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from app.api.main import model_holder
    from app.db import open_pool
    from app.embedding.loader import ModelHolder
    from app.eval.beir import read_qrels, read_queries
    from app.finetune import MiningPlan, mine
    from app.search import Mode, SearchService

    first, _, last = args.range.partition("-")
    if not (first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= 1000):
        raise InvalidQuery("--range must look like 2-200 (1 <= first <= last <= 1000)")
    if args.negatives < 0:
        raise InvalidQuery("--negatives must not be negative")
    for path in (args.queries, args.qrels):
        if not path.is_file():
            raise InvalidDocument(f"{path}: no such file")
    queries, qrels = read_queries(args.queries), read_qrels(args.qrels)
    plan = MiningPlan(Mode(args.mode), args.negatives, int(first), int(last), args.seed)
    pool = open_pool(_database_url(settings), settings, min_size=1)
    written = 0
    try:
        if plan.mode is Mode.keyword:
            models = ModelHolder.unavailable("keyword mode does not load a model")
        else:
            models = model_holder(settings, pool)
            models.load()
            models.get()  # refuse now, not at the first query, when the model is missing
        service = SearchService(pool, models, settings)
        tmp = args.out.with_name(args.out.name + ".part")
        with (
            tmp.open("w", encoding="utf-8") as out,
            tqdm(total=len(queries), unit="query", desc="mine", disable=args.quiet, file=sys.stderr) as bar,
        ):
            for example in mine(service, queries, qrels, plan, on_query=lambda: bar.update()):
                out.write(json.dumps(example, ensure_ascii=False) + "\n")
                written += 1
        tmp.replace(args.out)  # a complete file or none
    finally:
        pool.close()
    print(
        json.dumps({"queries": len(queries), "examples": written, "out": str(args.out)}, ensure_ascii=False)
    )
    return EXIT_OK


def cmd_reembed(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from app.db import open_pool
    from app.embedding.loader import load_embedder
    from app.ingest.pipeline import EmbedPlan
    from app.reembed import abort, pending_count, reembed

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    if not args.abort and not args.model:
        raise InvalidQuery("--model is required (or --abort)")
    pool = open_pool(_database_url(settings), settings, min_size=1)
    try:
        if args.abort:
            abort(pool)
            print("the switch was abandoned; the live vectors are untouched", file=sys.stderr)
            return EXIT_OK
        print(f"loading embedding model {args.model} ...", file=sys.stderr)
        embedder = load_embedder(settings.model_copy(update={"embedding_model": args.model}))
        plan = EmbedPlan.from_settings(settings)
        with tqdm(unit="doc", desc="reembed", disable=args.quiet, file=sys.stderr) as bar:

            def phase(name: str) -> None:
                if name == "embedding":
                    bar.reset(total=pending_count(pool))
                bar.set_postfix_str(name)

            report = reembed(pool, embedder, plan, args.batch_size, on_progress=bar.update, on_phase=phase)
    finally:
        pool.close()
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from app.admin import database_stats, format_stats

    stats = database_stats(_database_url(settings))
    print(json.dumps(stats, ensure_ascii=False, indent=2, default=str) if args.json else format_stats(stats))
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from app.api.routes.analyze import analyze_text

    out = analyze_text(args.text, args.query)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(" ".join(f"{t['term']}/{t['position']}" for t in out["tokens"]))
    return EXIT_OK


def _sparse_modes_if_possible(modes: list[EvalMode], names: list[str] | None, sparse: bool) -> list[EvalMode]:
    """Without lexical weights (no sparse head, or SPARSE_ENABLED off) the sparse runs are left out of
    "all" and refused when named."""
    if sparse:
        return modes
    asked = [m.name for m in modes if m.needs_sparse and names and m.name in names]
    if asked:
        raise InvalidQuery(
            f"--mode {asked[0]} needs lexical weights: a model with a sparse head (bge-m3) and SPARSE_ENABLED"
        )
    return [m for m in modes if not m.needs_sparse]


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from contextlib import nullcontext

    from tqdm import tqdm

    from app.db import open_pool, temporary_database, upgrade
    from app.embedding.loader import ModelHolder, load_embedder
    from app.embedding.sparse import sparse_embedder
    from app.eval.beir import load_beir
    from app.eval.runner import QueryEncodings, encode_queries, evaluate, sweep
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest
    from app.ingest.readers import read_records
    from app.search import SearchService

    data = load_beir(args.path, args.split, args.max_queries)
    modes = chosen_modes(args.mode)
    needs_model = args.sweep or any(m.needs_model for m in modes)

    def progress(items: Any, desc: str) -> Any:
        return tqdm(items, desc=desc, disable=args.quiet, file=sys.stderr, unit="q")

    database = nullcontext(args.database_url) if args.database_url else temporary_database()
    with database as url:
        if args.database_url:
            upgrade(url)
        pool = open_pool(url, settings, min_size=1)
        try:
            embedder = load_embedder(settings) if needs_model else None
            models = ModelHolder.ready(embedder) if embedder else ModelHolder.unavailable("keyword-only eval")
            modes = _sparse_modes_if_possible(
                modes,
                args.mode,
                embedder is not None and bool(settings.sparse_enabled and sparse_embedder(embedder)),
            )
            total = _count_lines(args.path)
            with tqdm(total=total, unit="doc", desc="ingest", disable=args.quiet, file=sys.stderr) as bar:
                plan = EmbedPlan.from_settings(settings)
                report = ingest(
                    pool, embedder, read_records(args.path), FieldMap(), on_progress=bar.update, plan=plan
                )
            service = SearchService(pool, models, settings)
            encodings = encode_queries(service, data, progress) if needs_model else QueryEncodings()
            results: dict[str, Any] = {
                "dataset": str(args.path),
                "documents": report.written + report.unchanged,
                "bad_documents": len(report.bad),
                "queries": len(data.queries),
                "model": settings.embedding_model if needs_model else None,
                "settings": {
                    "k1": settings.bm25_k1,
                    "b": settings.bm25_b,
                    "rrf_k": settings.rrf_k,
                    "rank_window": settings.rank_window,
                    "ef_search": settings.hnsw_ef_search,
                },
                "modes": evaluate(service, data, modes, progress, encodings),
            }
            if args.sweep:
                results["sweep"] = sweep(service, data, encodings, progress=progress)
        finally:
            pool.close()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{results['dataset']}: {results['documents']} documents, {results['queries']} queries")
    print(f"{'mode':<14} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8}")
    for mode, m in results["modes"].items():
        print(f"{mode:<14} {m['ndcg@10']:>8.4f} {m['recall@100']:>8.4f} {m['mrr@10']:>8.4f}")
    if args.sweep:
        print(
            f"\n{'rrf_k':>5} {'w_kw':>5} {'w_sem':>5} {'w_sp':>5} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8}"
        )
        for row in results["sweep"]:
            print(
                f"{row['rrf_k']:>5} {row['keyword']:>5} {row['semantic']:>5} {row['sparse']:>5} "
                f"{row['ndcg@10']:>8.4f} {row['recall@100']:>8.4f} {row['mrr@10']:>8.4f}"
            )
    return EXIT_OK


def _comparisons(chosen: list[str] | None) -> list[str]:
    from app.bench import lancedb_cmp, milvus_cmp

    installed = {"lancedb": lancedb_cmp.available(), "milvus": milvus_cmp.available()}
    if chosen is None:
        return [name for name, ok in installed.items() if ok]
    for name in chosen:
        if name != "none" and not installed[name]:
            raise InvalidQuery(f"--compare {name} needs the bench extra: pip install -e '.[bench]'")
    return [c for c in chosen if c != "none"]


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from app.api.schemas import MAX_BATCH
    from app.bench.engine import IndexParams
    from app.bench.report import render
    from app.bench.runner import BenchOptions, run_bench
    from app.embedding.loader import load_embedder

    if args.limit_docs is not None and args.limit_docs < 1:
        raise InvalidQuery("--limit-docs must be at least 1")
    if args.queries < 1:
        raise InvalidQuery("--queries must be at least 1")
    if args.http_workers < 1:
        raise InvalidQuery("--http-workers must be at least 1")
    if args.mixed_requests < 0 or args.mixed_concurrency < 1:
        raise InvalidQuery("--mixed-requests must be at least 0 and --mixed-concurrency at least 1")
    if not 0 <= args.mixed_write_share <= 1:
        raise InvalidQuery("--mixed-write-share must be between 0 and 1")
    if not 1 <= args.mixed_batch <= MAX_BATCH:
        raise InvalidQuery(f"--mixed-batch must be between 1 and {MAX_BATCH}")
    if not args.corpus.exists():
        raise InvalidQuery(f"{args.corpus}: no such corpus file")
    main_index = IndexParams(
        m=args.hnsw_m or settings.hnsw_m,
        ef_construction=args.hnsw_ef_construction or settings.hnsw_ef_construction,
        storage=args.vector_storage or settings.vector_storage,
    )
    try:
        if args.index_variant is None:
            other = "halfvec" if main_index.storage == "vector" else "vector"
            variants = [IndexParams(main_index.m, main_index.ef_construction, other)]
        else:
            variants = [IndexParams.parse(v) for v in args.index_variant if v != "none"]
    except ValueError as exc:
        raise InvalidQuery(f"--index-variant: {exc} (expected STORAGE:M:EF_CONSTRUCTION)") from exc
    options = BenchOptions(
        corpus=args.corpus,
        limit_docs=args.limit_docs,
        queries=args.queries,
        vectors=args.vectors,
        dim=args.dim,
        batch_size=args.batch_size,
        ef_search=args.ef_search or [40, 100, 200],
        index=main_index,
        variants=variants,
        database_url=args.database_url,
        http_requests=args.http_requests,
        http_concurrency=args.http_concurrency or [8, 32],
        http_workers=args.http_workers,
        mixed_requests=args.mixed_requests,
        mixed_concurrency=args.mixed_concurrency,
        mixed_write_share=args.mixed_write_share,
        mixed_batch=args.mixed_batch,
        compare=_comparisons(args.compare),
    )

    def progress(items: Any, desc: str, total: int | None) -> Any:
        return tqdm(items, desc=desc, total=total, disable=args.quiet, file=sys.stderr, leave=False)

    embedder = load_embedder(settings) if args.vectors == "model" else None
    report = run_bench(options, settings, progress, embedder)
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text if args.json else render(report))
    return EXIT_OK


COMMANDS = {
    "serve": cmd_serve,
    "ingest": cmd_ingest,
    "search": cmd_search,
    "eval": cmd_eval,
    "analyze": cmd_analyze,
    "bench": cmd_bench,
    "db": cmd_db,
    "sql-params": cmd_sql_params,
    "stats": cmd_stats,
    "reembed": cmd_reembed,
    "finetune-data": cmd_finetune_data,
}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
        from app.config import analyzer_config
        from app.text import configure

        configure(analyzer_config(settings))
        return COMMANDS[args.command](args, settings)
    except (InvalidQuery, EmptyQuery, InvalidDocument) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except HybridSearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
