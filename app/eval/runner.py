"""Run every judged query through the engine in each mode and score the runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidQuery
from app.eval.beir import BeirSet
from app.eval.metrics import score_run
from app.search import Mode, SearchRequest, SearchService
from app.search.fusion import rrf_fuse
from app.text import query_terms

DEPTH = 100  # Recall@100 needs the top 100
Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _plain(items: Iterable[Any], desc: str) -> Iterable[Any]:
    return items


def encode_queries(
    service: SearchService, data: BeirSet, progress: Progress = _plain
) -> dict[str, np.ndarray]:
    """Query vectors, encoded in batches once for all modes."""
    embedder = service.models.get()
    ids = list(data.queries)
    out: dict[str, np.ndarray] = {}
    batches = [ids[i : i + 64] for i in range(0, len(ids), 64)]
    for batch in progress(batches, "encode queries"):
        for qid, vec in zip(batch, embedder.encode_queries([data.queries[q] for q in batch]), strict=True):
            out[qid] = vec
    return out


def run_mode(
    service: SearchService,
    data: BeirSet,
    mode: Mode,
    vectors: dict[str, np.ndarray],
    progress: Progress = _plain,
) -> dict[str, list[str]]:
    """Top-100 document ids per query, through the same service the API uses."""
    run: dict[str, list[str]] = {}
    for qid in progress(list(data.queries), f"{mode.value}"):
        request = SearchRequest(data.queries[qid], mode, limit=DEPTH, snippets=False)
        try:
            result = service.search(request, embedding=vectors.get(qid))
        except InvalidQuery:  # an empty or unsearchable query finds nothing; it still counts
            run[qid] = []
            continue
        run[qid] = [h.id for h in result.hits]
    return run


@dataclass(frozen=True)
class SweepPoint:
    rrf_k: int
    keyword_weight: float
    semantic_weight: float


DEFAULT_GRID = [SweepPoint(k, kw, 1.0) for k in (1, 10, 30, 60, 100) for kw in (0.25, 0.5, 1.0, 2.0, 4.0)]


def sweep(
    service: SearchService,
    data: BeirSet,
    vectors: dict[str, np.ndarray],
    grid: list[SweepPoint] = DEFAULT_GRID,
    progress: Progress = _plain,
) -> list[dict[str, Any]]:
    """Hybrid metrics for every (k, weights) point. The legs are fetched once per query from the SQL
    leg functions and fused by `fusion.rrf_fuse`, which follows `search.hybrid` exactly."""
    window = service.settings.rank_window
    legs: dict[str, dict[str, list[tuple[int, int]]]] = {}
    names: dict[int, str] = {}
    with service.pool.connection() as conn:
        for qid in progress(list(data.queries), "fetch legs"):
            terms = query_terms(data.queries[qid])
            kw = conn.execute(
                "SELECT doc_id, rank FROM search.keyword_ranks(%s, %s, %s, %s, NULL, %s)",
                [
                    terms,
                    window,
                    service.settings.bm25_k1,
                    service.settings.bm25_b,
                    service.settings.title_weight,
                ],
            ).fetchall()
            sem = conn.execute(
                "SELECT doc_id, rank FROM search.semantic_ranks(%s, %s, NULL, %s)",
                [vectors[qid], window, service.settings.hnsw_ef_search],
            ).fetchall()
            legs[qid] = {"keyword": kw, "semantic": sem}
        ids = {d for q in legs.values() for leg in q.values() for d, _ in leg}
        for doc_id, ext in conn.execute(
            "SELECT id, external_id FROM documents WHERE id = ANY(%s)", [list(ids)]
        ).fetchall():
            names[doc_id] = ext
    rows = []
    for point in grid:
        weights = {"keyword": point.keyword_weight, "semantic": point.semantic_weight}
        run = {
            qid: [names[d] for d, _ in rrf_fuse(q, weights, point.rrf_k)[:DEPTH]] for qid, q in legs.items()
        }
        rows.append({"rrf_k": point.rrf_k, **weights, **score_run(run, data.qrels)})
    return rows


def evaluate(
    service: SearchService,
    data: BeirSet,
    modes: list[Mode],
    progress: Progress = _plain,
    vectors: dict[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """Metrics per mode. Keyword mode alone never touches the embedding model."""
    if vectors is None:
        needed = any(m is not Mode.keyword for m in modes)
        vectors = encode_queries(service, data, progress) if needed else {}
    return {m.value: score_run(run_mode(service, data, m, vectors, progress), data.qrels) for m in modes}
