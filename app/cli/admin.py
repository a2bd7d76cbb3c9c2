"""`hybrid-search db ...`, `stats` and `reembed`: what admins run."""

from __future__ import annotations

import argparse
import json

from app.cli.common import EXIT_OK, add_migrate_flag, connect, database_url, progress_bar, say
from app.config import Settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="same as `alembic upgrade head`")
    up.set_defaults(run=run_upgrade)
    down = db_sub.add_parser("downgrade", help="same as `alembic downgrade REVISION`")
    down.add_argument("revision")
    down.set_defaults(run=run_downgrade)
    rx = db_sub.add_parser(
        "reindex", help="rebuild indexes without blocking searches (REINDEX ... CONCURRENTLY)"
    )
    rx.add_argument("index", nargs="*", help="index names (default: every index of the search tables)")
    add_migrate_flag(rx)
    rx.set_defaults(run=run_reindex)
    rt = db_sub.add_parser(
        "retokenize",
        help="re-analyse stored documents with the current analyzer (folding, pinyin, stop words, user "
        "dictionary), keeping their vectors: what an upgrade or an analyzer setting change asks for",
    )
    rt.add_argument("--batch-size", type=int, default=500)
    rt.add_argument("--quiet", action="store_true", help="no progress bar")
    add_migrate_flag(rt)
    rt.set_defaults(run=run_retokenize)

    se = sub.add_parser("settings", help="every setting's value here (from the environment), or --markdown")
    se.add_argument("--markdown", action="store_true", help="the README's table: variable, default, meaning")
    se.add_argument(
        "--search-options", action="store_true", help="the README's table of search options, from the model"
    )
    se.set_defaults(run=run_settings)

    st = sub.add_parser("stats", help="documents, index sizes, model, last ingest")
    st.add_argument("--json", action="store_true")
    add_migrate_flag(st)
    st.set_defaults(run=run_stats)

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
    add_migrate_flag(re_)
    re_.set_defaults(run=run_reembed)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import upgrade

    upgrade(database_url(args, settings, schema="any"))
    return EXIT_OK


def run_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import downgrade

    downgrade(database_url(args, settings, schema="any"), args.revision)
    return EXIT_OK


def run_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from app.admin import reindex

    for name, seconds in reindex(database_url(args, settings), args.index):
        print(f"{name}: rebuilt in {seconds:.1f} s")
    return EXIT_OK


def run_retokenize(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from app.admin import document_count, retokenize

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    url = database_url(args, settings)
    total = document_count(url)
    with progress_bar(args.quiet, total=total, unit="doc", desc="retokenize") as bar:
        report = retokenize(url, args.batch_size, on_progress=bar.update)
    print(json.dumps(asdict(report)))
    return EXIT_OK


def run_settings(args: argparse.Namespace, settings: Settings) -> int:
    from app.config import settings_table
    from app.search.request import options_table

    if args.search_options:
        print(options_table())
        return EXIT_OK
    if args.markdown:
        print(settings_table())
        return EXIT_OK
    secret = {"api_keys", "database_url", "database_replica_urls"}  # may hold passwords
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        shown = "(set)" if name in secret and value else value
        print(f"{name.upper()}={shown}")
    return EXIT_OK


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    from app.admin import database_stats, format_stats

    stats = database_stats(database_url(args, settings))
    print(json.dumps(stats, ensure_ascii=False, indent=2, default=str) if args.json else format_stats(stats))
    return EXIT_OK


def run_reembed(args: argparse.Namespace, settings: Settings) -> int:
    from app.embedding.loader import load_embedder
    from app.ingest.pipeline import EmbedPlan
    from app.reembed import abort, pending_count, reembed

    if args.batch_size < 1:
        raise InvalidQuery("--batch-size must be at least 1")
    if not args.abort and not args.model:
        raise InvalidQuery("--model is required (or --abort)")
    pool = connect(args, settings)
    try:
        if args.abort:
            abort(pool)
            say("the switch was abandoned; the live vectors are untouched")
            return EXIT_OK
        say(f"loading embedding model {args.model} ...")
        embedder = load_embedder(settings.model_copy(update={"embedding_model": args.model}))
        plan = EmbedPlan.from_settings(settings)
        with progress_bar(args.quiet, unit="doc", desc="reembed") as bar:

            def phase(name: str) -> None:
                if name == "embedding":
                    bar.reset(total=pending_count(pool))
                bar.set_postfix_str(name)

            report = reembed(pool, embedder, plan, args.batch_size, on_progress=bar.update, on_phase=phase)
    finally:
        pool.close()
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return EXIT_OK
