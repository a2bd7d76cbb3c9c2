"""`hybrid-search eval` and `finetune-data`: quality on judged queries, and training data from them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, add_migrate_flag, connect, count_lines, database_url, progress_bar
from app.config import Settings
from app.errors import InvalidDocument, InvalidQuery
from app.eval.modes import EVAL_MODES, EvalMode, chosen_modes


def register(sub: argparse._SubParsersAction) -> None:
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
    ev.add_argument(
        "--pinyin-titles",
        action="store_true",
        help="also type every Chinese title in pinyin (words spaced, joined, initials) and report how often "
        "a document with that title ranks 1st and in the top 3 (keyword mode)",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")

    ev.set_defaults(run=run_eval)

    ft = sub.add_parser(
        "finetune-data",
        help="write FlagEmbedding fine-tuning data (query, pos, neg), hard negatives mined from the index",
    )
    ft.add_argument("--queries", type=Path, help="queries.jsonl (_id, text)")
    ft.add_argument("--qrels", type=Path, help="qrels TSV (query-id, corpus-id, score)")
    ft.add_argument(
        "--from-clicks",
        action="store_true",
        help="judgments from clicks (search.events): the documents clicked on a query are its positives",
    )
    ft.add_argument(
        "--min-clients",
        type=int,
        default=1,
        help="with --from-clicks: a document counts when this many distinct clients clicked it (default 1)",
    )
    ft.add_argument("--days", type=int, default=90, help="with --from-clicks: clicks of the last N days")
    ft.add_argument("--out", type=Path, required=True, help="the JSON Lines file to write")
    ft.add_argument("--mode", choices=["hybrid", "keyword", "semantic"], default="hybrid")
    ft.add_argument("--negatives", type=int, default=15, help="hard negatives per query (default 15)")
    ft.add_argument("--range", default="2-200", help="ranks to draw negatives from (default 2-200)")
    ft.add_argument("--seed", type=int, default=42)
    ft.add_argument("--quiet", action="store_true", help="no progress bar")

    add_migrate_flag(ft)
    ft.set_defaults(run=run_finetune_data)


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


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from contextlib import nullcontext

    from app.db import open_pool, temporary_database
    from app.embedding.loader import ModelHolder, load_embedder
    from app.embedding.sparse import sparse_embedder
    from app.eval.beir import load_beir
    from app.eval.pinyin_titles import corpus_titles, known_item
    from app.eval.runner import QueryEncodings, encode_queries, evaluate, sweep
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest
    from app.ingest.readers import read_records
    from app.search import SearchService

    data = load_beir(args.path, args.split, args.max_queries)
    modes = chosen_modes(args.mode)
    needs_model = args.sweep or any(m.needs_model for m in modes)

    def progress(items: Any, desc: str) -> Any:
        return progress_bar(args.quiet, iterable=items, desc=desc, unit="q")

    # --database-url: reached and migrated as every command's database is
    database = (
        nullcontext(database_url(args, settings.model_copy(update={"database_url": args.database_url})))
        if args.database_url
        else temporary_database()
    )
    with database as url:
        pool = open_pool(url, settings, min_size=1)
        try:
            embedder = load_embedder(settings) if needs_model else None
            models = ModelHolder.ready(embedder) if embedder else ModelHolder.unavailable("keyword-only eval")
            modes = _sparse_modes_if_possible(
                modes,
                args.mode,
                embedder is not None and bool(settings.sparse_enabled and sparse_embedder(embedder)),
            )
            total = count_lines(args.path)
            with progress_bar(args.quiet, total=total, unit="doc", desc="ingest") as bar:
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
            if args.pinyin_titles:
                titles = corpus_titles(args.path / "corpus.jsonl")
                results["pinyin_titles"] = known_item(service, titles, progress)
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
    if args.pinyin_titles:
        p = results["pinyin_titles"]
        print(f"\npinyin titles: {p['typed']} of {p['titles']} titles are Chinese characters only")
        print(f"{'typed as':<10} {'read':>6} {'found@1':>8} {'found@3':>8}")
        for form in ("full", "joined", "initials"):
            f = p[form]
            print(f"{form:<10} {f['read_as_pinyin']:>6} {f['found@1']:>8.4f} {f['found@3']:>8.4f}")
    return EXIT_OK


def run_finetune_data(args: argparse.Namespace, settings: Settings) -> int:
    from app.eval.beir import read_qrels, read_queries
    from app.finetune import MiningPlan, click_judgments, mine
    from app.search import Mode, SearchService
    from app.wiring import loaded_models

    first, _, last = args.range.partition("-")
    if not (first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= 1000):
        raise InvalidQuery("--range must look like 2-200 (1 <= first <= last <= 1000)")
    if args.negatives < 0:
        raise InvalidQuery("--negatives must not be negative")
    if args.from_clicks == (args.queries is not None or args.qrels is not None):
        raise InvalidQuery("give --queries and --qrels, or --from-clicks")
    if args.from_clicks and (args.min_clients < 1 or args.days < 1):
        raise InvalidQuery("--min-clients and --days must be at least 1")
    if not args.from_clicks:
        for path in (args.queries, args.qrels):
            if path is None or not path.is_file():
                raise InvalidDocument(f"{path}: no such file" if path else "give both --queries and --qrels")
        queries, qrels = read_queries(args.queries), read_qrels(args.qrels)
    plan = MiningPlan(Mode(args.mode), args.negatives, int(first), int(last), args.seed)
    pool = connect(args, settings)
    written = 0
    try:
        if args.from_clicks:
            queries, qrels = click_judgments(pool, args.min_clients, args.days)
        models = loaded_models(settings, pool, needed=plan.mode is not Mode.keyword)
        if plan.mode is not Mode.keyword:
            models.get()  # refuse now, not at the first query, when the model is missing
        service = SearchService(pool, models, settings)
        tmp = args.out.with_name(args.out.name + ".part")
        with (
            tmp.open("w", encoding="utf-8") as out,
            progress_bar(args.quiet, total=len(queries), unit="query", desc="mine") as bar,
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
