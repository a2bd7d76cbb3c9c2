"""`hybrid-search search`, `analyze` and `sql-params`: the query side from the command line."""

from __future__ import annotations

import argparse
import json

from app.cli.common import EXIT_OK, add_migrate_flag, connect, say
from app.config import Settings
from app.errors import EmptyQuery


def register(sub: argparse._SubParsersAction) -> None:
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
    add_migrate_flag(search)
    search.set_defaults(run=run_search)

    an = sub.add_parser("analyze", help="show the tokens a text becomes (as a document, or --query)")
    an.add_argument("text")
    an.add_argument("--query", action="store_true", help="analyse as a query (jieba precise mode)")
    an.add_argument("--json", action="store_true")
    an.set_defaults(run=run_analyze)

    sp = sub.add_parser(
        "sql-params", help="print a query's tokens and vector as psql variables, with example statements"
    )
    sp.add_argument("query")
    sp.add_argument("-k", "--limit", type=int, default=10, help="the LIMIT in the example statements")
    sp.add_argument("--no-vector", action="store_true", help="tokens only: do not load the model")
    sp.add_argument("--json", action="store_true", help='print {"terms": [...], "embedding": [...]} instead')
    add_migrate_flag(sp)
    sp.set_defaults(run=run_sql_params)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.embedding.loader import ModelHolder
    from app.search import Fusion, Mode, SearchRequest, SearchService
    from app.search.filters import parse_filters_json
    from app.wiring import model_holder

    pool = connect(args, settings)
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
        say(f"degraded: {result.degraded_reason}")
    print(f"{'#':>3} {'score':>9} {'kw':>4} {'sem':>4} {'sp':>4}  id / title / snippet")
    for i, h in enumerate(result.hits, start=result.offset + 1):
        kr, sr, pr = (r if r is not None else "-" for r in (h.keyword_rank, h.semantic_rank, h.sparse_rank))
        print(f"{i:>3} {h.score:>9.4f} {kr:>4} {sr:>4} {pr:>4}  {h.id}  {h.title}")
        print(f"{'':>29}{h.snippet[:120]!s}".replace("\n", " "))
    if not result.hits:
        print("no hits")
    return EXIT_OK


def run_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from app.text import analyze_text

    out = analyze_text(args.text, args.query)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(" ".join(f"{t['term']}/{t['position']}" for t in out["tokens"]))
    return EXIT_OK


def run_sql_params(args: argparse.Namespace, settings: Settings) -> int:
    from app.errors import ModelUnavailable
    from app.search.terms import bounded_terms
    from app.sqlparams import psql_script
    from app.text import query_terms
    from app.wiring import model_holder

    terms = query_terms(args.query)
    over_cap = len(set(terms)) > settings.max_query_terms  # /search keeps the strongest terms only
    pool = connect(args, settings) if over_cap or not args.no_vector else None
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
                say(f"warning: {note}")
    finally:
        if pool is not None:
            pool.close()
    if args.json:
        emb = None if vector is None else [float(x) for x in vector]
        print(json.dumps({"terms": terms, "embedding": emb}, ensure_ascii=False))
    else:
        print(psql_script(terms, vector, args.limit, settings, note))
    return EXIT_OK
