"""`hybrid-search bench`: ingest, index builds, latency, recall and HTTP load, in one JSON report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK
from app.config import Settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure ingest, index builds, latency, recall and HTTP load")
    bench.add_argument(
        "corpus",
        type=Path,
        nargs="?",
        default=Path("../shared/data/zh_scale/corpus.jsonl"),
        help="JSON Lines of documents (default: ../shared/data/zh_scale/corpus.jsonl, the 157,814-document "
        "bench set kept beside the repository; examples/data/cmrc2018/corpus.jsonl is a small one inside it)",
    )
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
    bench.add_argument(
        "--ingest-processes",
        type=int,
        help="processes that tokenise the load (default: as `ingest --processes`)",
    )
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
    bench.add_argument(
        "--model-speed",
        type=Path,
        default=None,
        metavar="DIR",
        help="also time the model in DIR on this CPU (a short query's embedding, passages/s); an empty DIR "
        "gets a random-weight model with bge-m3's full configuration (built once, about 2.3 GB)",
    )
    bench.add_argument("--json", action="store_true", help="print only the JSON report")
    bench.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    bench.add_argument("--quiet", action="store_true", help="no progress bars")

    bench.set_defaults(run=run)


def _comparisons(chosen: list[str] | None) -> list[str]:
    from app.bench import lancedb_cmp, milvus_cmp

    installed = {"lancedb": lancedb_cmp.available(), "milvus": milvus_cmp.available()}
    if chosen is None:
        return [name for name, ok in installed.items() if ok]
    for name in chosen:
        if name != "none" and not installed[name]:
            raise InvalidQuery(f"--compare {name} needs the bench extra: pip install -e '.[bench]'")
    return [c for c in chosen if c != "none"]


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.bench.engine import IndexParams
    from app.bench.report import render
    from app.bench.runner import BenchOptions, run_bench
    from app.cli.common import progress_bar
    from app.embedding.loader import load_embedder
    from app.ingest.documents import MAX_BATCH

    if args.limit_docs is not None and args.limit_docs < 1:
        raise InvalidQuery("--limit-docs must be at least 1")
    if args.queries < 1:
        raise InvalidQuery("--queries must be at least 1")
    if args.http_workers < 1:
        raise InvalidQuery("--http-workers must be at least 1")
    if args.ingest_processes is not None and args.ingest_processes < 1:
        raise InvalidQuery("--ingest-processes must be at least 1")
    if args.mixed_requests < 0 or args.mixed_concurrency < 1:
        raise InvalidQuery("--mixed-requests must be at least 0 and --mixed-concurrency at least 1")
    if not 0 <= args.mixed_write_share <= 1:
        raise InvalidQuery("--mixed-write-share must be between 0 and 1")
    if not 1 <= args.mixed_batch <= MAX_BATCH:
        raise InvalidQuery(f"--mixed-batch must be between 1 and {MAX_BATCH}")
    if not args.corpus.exists():
        raise InvalidQuery(
            f"{args.corpus}: no such corpus file (the repository's own sample: "
            "hybrid-search bench examples/data/cmrc2018/corpus.jsonl)"
        )
    if args.out:  # its folder made, or refused, now: a run is long to lose at its end
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise InvalidQuery(
                f"--out {args.out}: cannot make its folder {args.out.parent} ({reason})"
            ) from exc
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
        ingest_processes=args.ingest_processes,
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
        model_speed=args.model_speed,
    )

    def progress(items: Any, desc: str, total: int | None) -> Any:
        return progress_bar(args.quiet, iterable=items, desc=desc, total=total, leave=False)

    embedder = load_embedder(settings) if args.vectors == "model" else None
    report = run_bench(options, settings, progress, embedder)
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text if args.json else render(report))
    return EXIT_OK
