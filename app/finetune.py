"""Fine-tuning data for the embedding model, in FlagEmbedding's format: one JSON object per line,
{"query": str, "pos": [str], "neg": [str]}, with hard negatives mined from our own index — documents
our search ranks 2-200 for the query that are not judged relevant (FlagEmbedding's `hn_mine` takes
the same range), sampled with a fixed seed so a run can be repeated. Judgments come from a BEIR
qrels file or from the clicks people made (search.events)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from app.db import query
from app.search import Mode, SearchRequest, SearchService


@dataclass(frozen=True)
class MiningPlan:
    mode: Mode = Mode.hybrid
    negatives: int = 15  # per query (FlagEmbedding's default negative_number)
    first_rank: int = 2  # the range hard negatives are drawn from, 1-based, inclusive
    last_rank: int = 200
    seed: int = 42


def click_judgments(
    pool: ConnectionPool, min_clients: int = 1, days: int = 90
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries and judgments from clicks (search.events): a query is its key's most typed form, every
    document clicked on its results by `min_clients` distinct clients is relevant. Hard negatives are
    then mined as for judged queries, so a document clicked for the query is never one."""
    with pool.connection() as conn:
        rows = conn.execute(query("clicked_pairs"), {"min_clients": min_clients, "days": days}).fetchall()
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for key, text, doc in rows:
        queries.setdefault(key, text)
        qrels.setdefault(key, {})[doc] = 1
    return queries, qrels


def passage_text(title: str, body: str) -> str:
    """How a document reads as a passage: its title on the first line, when it has one."""
    return f"{title}\n{body}" if title.strip() else body


def ranked_ids(service: SearchService, text: str, mode: Mode, depth: int) -> list[str]:
    """The first `depth` ids our search returns, page by page (a page is at most MAX_LIMIT)."""
    ids: list[str] = []
    page = service.settings.max_limit
    while len(ids) < depth:
        req = SearchRequest(text, mode, limit=min(page, depth - len(ids)), offset=len(ids))
        hits = service.search(req, snippets=False).hits
        ids.extend(h.id for h in hits)
        if len(hits) < req.limit:
            break
    return ids


def document_texts(pool: ConnectionPool, ids: list[str]) -> dict[str, str]:
    with pool.connection() as conn:
        rows = conn.execute(query("document_texts"), {"ids": ids}).fetchall()
    return {r[0]: passage_text(r[1], r[2]) for r in rows}


def mine(
    service: SearchService,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    plan: MiningPlan,
    on_query: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One training example per judged query whose relevant documents are stored (others are skipped)."""
    rng = random.Random(plan.seed)
    for qid, text in queries.items():
        relevant = {d for d, grade in qrels.get(qid, {}).items() if grade > 0}
        if on_query is not None:
            on_query()
        if not relevant:
            continue
        ranked = ranked_ids(service, text, plan.mode, plan.last_rank)
        pool_ids = [d for d in ranked[plan.first_rank - 1 : plan.last_rank] if d not in relevant]
        chosen = rng.sample(pool_ids, min(plan.negatives, len(pool_ids)))
        texts = document_texts(service.pool, sorted(relevant) + chosen)
        pos = [texts[d] for d in sorted(relevant) if d in texts]
        if not pos:
            continue
        yield {"query": text, "pos": pos, "neg": [texts[d] for d in chosen if d in texts]}
