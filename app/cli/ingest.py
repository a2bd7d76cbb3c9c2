"""`hybrid-search ingest`: documents from files into the database."""

from __future__ import annotations

import argparse
import json
from contextlib import nullcontext
from pathlib import Path

from app.cli.common import EXIT_BAD_INPUT, EXIT_OK, add_migrate_flag, connect, count_lines, progress_bar, say
from app.config import Settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
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
    ingest.add_argument(
        "--batch-size",
        type=int,
        default=256,
        help="documents per transaction (default 256: fewer statistics updates per document than smaller "
        "batches; a failed batch is retried document by document)",
    )
    ingest.add_argument(
        "--processes",
        type=int,
        help="processes that tokenise, from the first batch (default: one per CPU core from the "
        "2,000th document on; jieba runs on one core per process)",
    )
    ingest.add_argument(
        "--bulk",
        choices=["auto", "yes", "no"],
        default="auto",
        help="drop the search indexes for the load and build them once after it (auto: when the "
        "database holds no documents; yes on a full database rebuilds its whole indexes)",
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    add_migrate_flag(ingest)
    ingest.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.embedding.loader import load_embedder
    from app.ingest.bulk import deferred_indexes, is_empty, restore_interrupted
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest, register
    from app.ingest.readers import read_records

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    if args.processes is not None and args.processes < 1:
        raise InvalidQuery("--processes must be at least 1")
    fields = FieldMap(args.id_field, args.title_field, args.text_field, args.url_field)
    total = count_lines(args.path)
    records = read_records(args.path)
    pool = connect(args, settings)
    try:
        if restore_interrupted(pool):
            say("built the indexes an interrupted bulk load had left out")
        say(f"loading embedding model {settings.embedding_model} ...")
        embedder = load_embedder(settings)
        plan = EmbedPlan.from_settings(settings)
        bulk = args.bulk == "yes" or (args.bulk == "auto" and is_empty(pool))
        if bulk:  # the model's vector index exists before it is deferred with the others
            with pool.connection() as conn:
                register(conn, embedder, plan)
        deferring = deferred_indexes(pool, say) if bulk else nullcontext(None)
        with deferring as deferred, progress_bar(args.quiet, total=total, unit="doc", desc="ingest") as bar:
            report = ingest(
                pool,
                embedder,
                records,
                fields,
                args.batch_size,
                on_progress=bar.update,
                plan=plan,
                processes=args.processes,
            )
    finally:
        pool.close()
    for bad in report.bad:
        say(f"bad line {bad}")
    print(json.dumps({**report.as_dict(), "bulk_load": deferred}, ensure_ascii=False))
    return EXIT_BAD_INPUT if report.bad else EXIT_OK
