"""`hybrid-search search`, `analyze` and `sql-params`: the query side from the command line."""

from __future__ import annotations

import argparse
import json
from enum import Enum
from typing import Any, get_args

from pydantic import ValidationError

from app.cli.common import EXIT_OK, add_migrate_flag, connect, say
from app.config import Settings
from app.errors import EmptyQuery, InvalidQuery
from app.search.request import OPTION_SETTINGS, SearchRequest, ShortFlag, validation_message


def add_search_options(parser: argparse.ArgumentParser) -> None:
    """One flag per SearchRequest option (`rrf_k` -> `--rrf-k`), its type, choices and help from the
    model; a flag left out takes the model's default, so bounds and defaults are the API's."""
    for name, field in SearchRequest.model_fields.items():
        if name == "q":
            continue
        flags = [f"--{name.replace('_', '-')}"] + [m.flag for m in field.metadata if isinstance(m, ShortFlag)]
        kind = next(t for t in (get_args(field.annotation) or (field.annotation,)) if t is not type(None))
        from_setting = name in OPTION_SETTINGS
        default = "" if from_setting or field.default is None else f" Default: {field.default}."
        kwargs: dict[str, Any] = {
            "dest": name,
            "default": argparse.SUPPRESS,
            "help": f"{field.description}{default}",
        }
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif isinstance(kind, type) and issubclass(kind, Enum):
            kwargs["choices"] = [member.value for member in kind]
        elif kind in (int, float):
            kwargs["type"] = kind
        else:
            kwargs["metavar"] = "JSON"
        parser.add_argument(*flags, **kwargs)


def request_from_args(query: str, args: argparse.Namespace) -> SearchRequest:
    """The SearchRequest the flags describe; a bad value is InvalidQuery naming the flag."""
    given = {name: getattr(args, name) for name in SearchRequest.model_fields if hasattr(args, name)}
    try:
        return SearchRequest(q=query, **given)
    except ValidationError as exc:
        raise InvalidQuery(validation_message(exc, lambda name: f"--{name.replace('_', '-')}")) from exc


def register(sub: argparse._SubParsersAction) -> None:
    search = sub.add_parser("search", help="search from the command line (the options of GET /search)")
    search.add_argument("query")
    add_search_options(search)
    search.add_argument("--json", action="store_true", help="print the full response as JSON")
    add_migrate_flag(search)
    search.set_defaults(run=run_search)

    an = sub.add_parser("analyze", help="show the tokens a text becomes (as a document, or --query)")
    an.add_argument("text")
    an.add_argument("--query", action="store_true", help="analyse as a query (jieba precise mode)")
    an.add_argument("--json", action="store_true")
    an.set_defaults(run=run_analyze)

    sp = sub.add_parser(
        "sql-params",
        help="print a query's tokens and vector as psql variables, with the statements /search runs "
        "(the options of GET /search)",
    )
    sp.add_argument("query")
    add_search_options(sp)
    sp.add_argument("--no-vector", action="store_true", help="tokens only: do not load the model")
    sp.add_argument("--json", action="store_true", help='print {"terms": [...], "embedding": [...]} instead')
    add_migrate_flag(sp)
    sp.set_defaults(run=run_sql_params)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.search import Mode, SearchService
    from app.wiring import loaded_models

    req = request_from_args(args.query, args)
    pool = connect(args, settings)
    try:
        models = loaded_models(settings, pool, needed=req.mode is not Mode.keyword)
        result = SearchService(pool, models, settings).search(req)
    finally:
        pool.close()
    if args.json:
        print(result.model_dump_json(indent=2))
        return EXIT_OK
    if result.degraded:
        say(f"degraded: {result.degraded_reason}")
    print(f"{'#':>3} {'score':>9} {'kw':>4} {'sem':>4} {'sp':>4}  id / title / snippet")
    for i, h in enumerate(result.hits, start=result.offset + 1):
        kr, sr, pr = (r if r is not None else "-" for r in (h.keyword_rank, h.semantic_rank, h.sparse_rank))
        print(f"{i:>3} {h.score:>9.4f} {kr:>4} {sr:>4} {pr:>4}  {h.id}  {h.title}")
        print(f"{'':>29}{h.snippet[:120]!s}".replace("\n", " "))
    if not result.hits:
        print("no hits")
    if result.total is not None:
        print(f"total: {'about ' if result.counts_capped else ''}{result.total}")
    for field, counts in result.facets.items():
        values = (f"{json.dumps(c.value, ensure_ascii=False)} {c.count}" for c in counts)
        print(f"{field}: {', '.join(values)}")
    return EXIT_OK


def run_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from app.text import analyze_text

    out = analyze_text(args.text, args.query)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(" ".join(f"{t['term']}/{t['position']}" for t in out["tokens"]))
        if out["normalized"] != args.text.lower():
            print(f"folded: {out['normalized']}")
        if out["pinyin"]:
            print(f"pinyin: {out['pinyin']}")
    return EXIT_OK


def run_sql_params(args: argparse.Namespace, settings: Settings) -> int:
    from app.errors import ModelUnavailable
    from app.search.facets import facet_plan
    from app.search.service import facet_parameters, read_query, statement_parameters
    from app.search.synonyms import expand, synonym_groups
    from app.search.terms import bounded_terms
    from app.sqlparams import facets_statement, psql_script
    from app.text import query_terms
    from app.wiring import model_holder

    req = request_from_args(args.query, args)
    text, filters = read_query(req)
    counts = facet_plan(req, filters)  # refused before anything is printed
    terms = query_terms(text)
    vector, note = None, None
    groups: dict[str, list[str]] = {}
    pool = connect(args, settings)  # the synonyms, the strongest terms of a long query, the model
    try:
        with pool.connection() as conn:
            if len(set(terms)) > settings.max_query_terms:  # /search keeps the strongest terms only
                terms = bounded_terms(conn, terms, settings.max_query_terms)
            terms, groups = expand(terms, synonym_groups(conn, terms))
        if not terms and args.no_vector:
            raise EmptyQuery("the query has no searchable words (only punctuation, spaces or symbols)")
        if not args.no_vector:
            try:
                models = model_holder(settings, pool)
                models.load()
                vector = models.get().encode_queries([text])[0]
            except ModelUnavailable as exc:
                note = f"no query vector (keyword statements only): {exc}"
                say(f"warning: {note}")
    finally:
        pool.close()
    if args.json:
        emb = None if vector is None else [float(x) for x in vector]
        print(json.dumps({"terms": terms, "synonyms": groups, "embedding": emb}, ensure_ascii=False))
    else:
        if groups:  # the keyword leg scores each term's forms as one term, as /search does
            filters = {**(filters or {}), "synonyms": groups}
        params = statement_parameters(req, settings, terms, vector, None, filters)
        print(psql_script(terms, vector, params, note))
        if counts is not None:  # the total and facet counts /search reads after the hits
            print("-- and, for total and facets:")
            print(facets_statement(facet_parameters(req.mode, params, counts, groups, settings)))
    return EXIT_OK
