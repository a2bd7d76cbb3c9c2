"""`hybrid-search ingest`: documents from files into the database."""

from __future__ import annotations

import argparse
import json
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
    ingest.add_argument("--batch-size", type=int, default=64)
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    add_migrate_flag(ingest)
    ingest.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.embedding.loader import load_embedder
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest
    from app.ingest.readers import read_records

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    fields = FieldMap(args.id_field, args.title_field, args.text_field, args.url_field)
    total = count_lines(args.path)
    records = read_records(args.path)
    pool = connect(args, settings)
    try:
        say(f"loading embedding model {settings.embedding_model} ...")
        embedder = load_embedder(settings)
        with progress_bar(args.quiet, total=total, unit="doc", desc="ingest") as bar:
            plan = EmbedPlan.from_settings(settings)
            report = ingest(
                pool, embedder, records, fields, args.batch_size, on_progress=bar.update, plan=plan
            )
    finally:
        pool.close()
    for bad in report.bad:
        say(f"bad line {bad}")
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return EXIT_BAD_INPUT if report.bad else EXIT_OK
