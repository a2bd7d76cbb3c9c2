"""`hybrid-search synonyms add|remove|list|import`: the synonym rules searches apply (no re-index)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.common import EXIT_BAD_INPUT, EXIT_OK, add_migrate_flag, one_connection, say
from app.config import Settings
from app.errors import InvalidDocument, InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    syn = sub.add_parser("synonyms", help="manage the synonyms searches apply (Solr synonym syntax)")
    syn_sub = syn.add_subparsers(dest="synonyms_command", required=True)
    add = syn_sub.add_parser("add", help='add rules: "手机, 移动电话, 智能手机" or "苹果手机 => iphone"')
    add.add_argument("rule", nargs="+")
    add.set_defaults(run=run_add)
    rm = syn_sub.add_parser("remove", help="remove rules by id (see `synonyms list`)")
    rm.add_argument("id", nargs="+", type=int)
    rm.set_defaults(run=run_remove)
    ls = syn_sub.add_parser("list", help="the rules, with their ids and terms")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=run_list)
    imp = syn_sub.add_parser("import", help="add every rule of a Solr/Elasticsearch synonym file")
    imp.add_argument("path", type=Path)
    imp.set_defaults(run=run_import)
    for parser in (add, rm, ls, imp):
        add_migrate_flag(parser)


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.synonyms import add_rules, parse_rule

    rules = [r for r in map(parse_rule, args.rule) if r is not None]
    if not rules:
        raise InvalidQuery("no rule given")
    with one_connection(args, settings) as conn:
        ids = add_rules(conn, rules)
    print(json.dumps({"added": ids}))
    return EXIT_OK


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.synonyms import remove_rules

    with one_connection(args, settings) as conn:
        removed = remove_rules(conn, args.id)
    print(json.dumps({"removed": removed}))
    return EXIT_OK if removed == len(set(args.id)) else EXIT_BAD_INPUT


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.search.synonyms import list_rules

    with one_connection(args, settings) as conn:
        rules = list_rules(conn)
    if args.json:
        print(json.dumps(rules, ensure_ascii=False, indent=2))
    else:
        for r in rules:
            print(f"{r['id']:>5}  {r['rule']}")
    return EXIT_OK


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Every good line is added; each bad one is printed with its line number (exit code 2)."""
    from app.search.synonyms import Rule, add_rules, parse_rule

    if not args.path.is_file():
        raise InvalidDocument(f"{args.path}: no such file")
    rules: list[Rule] = []
    bad = 0
    for no, line in enumerate(args.path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        try:
            rule = parse_rule(line)
        except InvalidQuery as exc:
            say(f"{args.path.name}:{no}: {exc}")
            bad += 1
            continue
        if rule is not None:
            rules.append(rule)
    with one_connection(args, settings) as conn:
        ids = add_rules(conn, rules)
    print(json.dumps({"added": len(ids), "bad": bad}))
    return EXIT_BAD_INPUT if bad else EXIT_OK
