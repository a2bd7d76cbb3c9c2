"""`hybrid-search curations add|list|remove`: results admins pin to the top of a query or hide."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from app.cli.common import EXIT_OK, add_migrate_flag, one_connection
from app.config import Settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    cur = sub.add_parser("curations", help="pin documents to the top of a query's results, or hide them")
    cur_sub = cur.add_subparsers(dest="curations_command", required=True)
    add = cur_sub.add_parser(
        "add", help='e.g. add "mountain bike" --pin bike-07 --pin bike-02 --hide bike-11'
    )
    add.add_argument("query", help="the query as people type it (case and spacing do not matter)")
    add.add_argument("--pin", action="append", default=[], metavar="ID", help="a document id, first on top")
    add.add_argument("--hide", action="append", default=[], metavar="ID", help="a document id never shown")
    add.add_argument("--starts", type=_when, help="ISO-8601 time it starts (default: now)")
    add.add_argument("--ends", type=_when, help="ISO-8601 time it ends (default: until removed)")
    add.set_defaults(run=run_add)
    ls = cur_sub.add_parser("list", help="every curation, with its id")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=run_list)
    rm = cur_sub.add_parser("remove", help="remove curations by id (see `curations list`)")
    rm.add_argument("id", nargs="+", type=int)
    rm.set_defaults(run=run_remove)
    for parser in (add, ls, rm):
        add_migrate_flag(parser)


def _when(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time (2026-12-24T00:00:00+08:00)"
        ) from exc
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add +08:00 or Z)")
    return when


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.curations import add_curation

    with one_connection(args, settings) as conn:
        row = add_curation(conn, args.query, args.pin, args.hide, args.starts, args.ends)
    print(json.dumps(row, ensure_ascii=False, default=str))
    return EXIT_OK


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.curations import list_curations

    with one_connection(args, settings) as conn:
        rows = list_curations(conn)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    for r in rows:
        window = (
            f"  {r['starts_at'] or '...'} - {r['ends_at'] or '...'}" if r["starts_at"] or r["ends_at"] else ""
        )
        print(f"{r['id']:>5}  {r['query_key']!r}  pinned {r['pinned']}  hidden {r['hidden']}{window}")
    return EXIT_OK


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.curations import remove_curations

    with one_connection(args, settings) as conn:
        removed = remove_curations(conn, args.id)
    print(json.dumps({"removed": removed}))
    if removed != len(set(args.id)):
        raise InvalidQuery(f"{len(set(args.id)) - removed} of the ids are not curations")
    return EXIT_OK
