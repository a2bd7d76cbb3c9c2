"""`hybrid-search suggest [PREFIX] [--refresh]`: what GET /suggest answers, and rebuilding it now."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from app.cli.common import EXIT_OK, add_migrate_flag, connect, say
from app.config import Settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest",
        help="completions of a prefix (titles, popular queries; pinyin and initials too); --refresh rebuilds",
    )
    p.add_argument("prefix", nargs="?", help="what has been typed, e.g. 北京 or bei or bjdx")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="rebuild suggestions first (the service does every SUGGEST_REFRESH_MINUTES)",
    )
    p.add_argument("-n", "--limit", type=int, default=8, help="at most N suggestions (1-10, default 8)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_migrate_flag(p)
    p.set_defaults(run=run_suggest)


def run_suggest(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import query
    from app.search.suggest import MAX_SUGGESTIONS, refresh, suggest

    if not 1 <= args.limit <= MAX_SUGGESTIONS:
        raise InvalidQuery(f"--limit must be between 1 and {MAX_SUGGESTIONS}")
    if args.prefix is None and not args.refresh:
        raise InvalidQuery("give a PREFIX, or --refresh")
    pool = connect(args, settings)
    try:
        if args.refresh:
            count = refresh(pool, settings.suggest_min_clients, settings.suggest_days, wait=True)
            if not args.json:
                print(f"{count} suggestions")
        if args.prefix is None:
            return EXIT_OK
        with pool.connection() as conn:
            found = suggest(conn, args.prefix, args.limit)
            row = None if found else conn.execute(query("suggest_built")).fetchone()
        if row is not None and not row[0]:
            say("no suggestions are built yet: run `hybrid-search suggest --refresh`, or start the service")
    finally:
        pool.close()
    if args.json:
        print(
            json.dumps({"query": args.prefix, "suggestions": [asdict(s) for s in found]}, ensure_ascii=False)
        )
    else:
        for s in found:
            print(f"{s.text}\t{'title' if s.title else f'{s.clients} clients'}")
    return EXIT_OK
