"""Run every judged query through the engine in each mode and score the runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pgvector import SparseVector
from pydantic import ValidationError

from app.embedding.sparse import sparse_embedder
from app.errors import InvalidQuery
from app.eval.beir import BeirSet
from app.eval.metrics import score_run
from app.eval.modes import EvalMode
from app.search import Mode, SearchRequest, SearchService
from app.search.fusion import rrf_fuse
from app.text import query_terms

DEPTH = 100  # Recall@100 needs the top 100
Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def no_progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
    return items


@dataclass
class QueryEncodings:
    """Every query's dense vector, and its lexical weights when the model has a sparse head."""

    dense: dict[str, np.ndarray] = field(default_factory=dict)
    sparse: dict[str, SparseVector] = field(default_factory=dict)


def encode_queries(
    service: SearchService, data: BeirSet, progress: Progress = no_progress, with_sparse: bool = True
) -> QueryEncodings:
    """Query encodings, in batches, once for all modes (one forward pass gives both kinds)."""
    embedder = service.models.get()
    sparse_model = sparse_embedder(embedder) if with_sparse else None
    ids = list(data.queries)
    out = QueryEncodings()
    for batch in progress([ids[i : i + 64] for i in range(0, len(ids), 64)], "encode queries"):
        texts = [data.queries[q] for q in batch]
        if sparse_model is None:
            out.dense.update(zip(batch, embedder.encode_queries(texts), strict=True))
            continue
        dense, lexical = sparse_model.encode_queries_with_sparse(texts)
        out.dense.update(zip(batch, dense, strict=True))
        out.sparse.update(
            (q, SparseVector(w, sparse_model.sparse_dim)) for q, w in zip(batch, lexical, strict=True)
        )
    return out


def run_mode(
    service: SearchService,
    data: BeirSet,
    mode: EvalMode,
    encodings: QueryEncodings,
    progress: Progress = no_progress,
) -> dict[str, list[str]]:
    """Top-100 document ids per query, through the same service the API uses."""
    run: dict[str, list[str]] = {}
    for qid in progress(list(data.queries), mode.name):
        try:
            request = SearchRequest(data.queries[qid], Mode(mode.mode), limit=DEPTH, sparse=mode.sparse)
            dense, sparse = encodings.dense.get(qid), encodings.sparse.get(qid)
            result = service.search(request, dense, sparse, snippets=False)
        except (InvalidQuery, ValidationError):  # an empty or unsearchable query finds nothing; it counts
            run[qid] = []
            continue
        run[qid] = [h.id for h in result.hits]
    return run


@dataclass(frozen=True)
class SweepPoint:
    rrf_k: int
    keyword_weight: float
    semantic_weight: float
    sparse_weight: float = 0.0


KS = (1, 10, 30, 60, 100)
KEYWORD_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
DEFAULT_GRID = [SweepPoint(k, kw, 1.0) for k in KS for kw in KEYWORD_WEIGHTS]
SPARSE_GRID = [SweepPoint(k, kw, 1.0, sp) for k in KS for kw in KEYWORD_WEIGHTS for sp in (0.5, 1.0)]

LEG_SQL = {
    "keyword": "SELECT doc_id, rank FROM search.keyword_ranks(%s, %s, %s, %s, NULL, %s)",
    "semantic": "SELECT doc_id, rank FROM search.semantic_ranks(%s, %s, NULL, %s, %s)",
    "sparse": "SELECT doc_id, rank FROM search.sparse_ranks(%s, %s, NULL, %s, %s)",
}


def sweep(
    service: SearchService,
    data: BeirSet,
    encodings: QueryEncodings,
    grid: list[SweepPoint] | None = None,
    progress: Progress = no_progress,
) -> list[dict[str, Any]]:
    """Hybrid metrics for every (k, weights) point; with lexical weights, the three-leg points too.
    The legs are fetched once per query from the SQL leg functions and fused by `fusion.rrf_fuse`,
    which follows `search.hybrid` exactly."""
    s = service.settings
    window = s.rank_window  # the first pages' fusion, as search.hybrid (top DEPTH <= window)
    ef = max(s.hnsw_ef_search, window)
    if grid is None:
        grid = DEFAULT_GRID + (SPARSE_GRID if encodings.sparse else [])
    legs: dict[str, dict[str, list[tuple[int, int]]]] = {}
    names: dict[int, str] = {}
    with service.pool.connection() as conn:
        for qid in progress(list(data.queries), "fetch legs"):
            terms = query_terms(data.queries[qid])
            legs[qid] = {
                "keyword": conn.execute(
                    LEG_SQL["keyword"], [terms, window, s.bm25_k1, s.bm25_b, s.title_weight]
                ).fetchall(),
                "semantic": conn.execute(
                    LEG_SQL["semantic"],
                    [encodings.dense[qid], window, ef, s.exact_search_below],
                ).fetchall(),
            }
            if qid in encodings.sparse:
                legs[qid]["sparse"] = conn.execute(
                    LEG_SQL["sparse"], [encodings.sparse[qid], window, ef, s.exact_search_below]
                ).fetchall()
        ids = {d for q in legs.values() for leg in q.values() for d, _ in leg}
        for doc_id, ext in conn.execute(
            "SELECT id, external_id FROM documents WHERE id = ANY(%s)", [list(ids)]
        ).fetchall():
            names[doc_id] = ext
    rows = []
    for point in grid:
        weights = {
            "keyword": point.keyword_weight,
            "semantic": point.semantic_weight,
            "sparse": point.sparse_weight,
        }
        used = [leg for leg, w in weights.items() if w > 0 or leg != "sparse"]  # as search.hybrid
        run = {
            qid: [
                names[d]
                for d, _ in rrf_fuse({leg: q[leg] for leg in used if leg in q}, weights, point.rrf_k)[:DEPTH]
            ]
            for qid, q in legs.items()
        }
        rows.append({"rrf_k": point.rrf_k, **weights, **score_run(run, data.qrels)})
    return rows


def evaluate(
    service: SearchService,
    data: BeirSet,
    modes: list[EvalMode],
    progress: Progress = no_progress,
    encodings: QueryEncodings | None = None,
) -> dict[str, dict[str, float]]:
    """Metrics per mode. Keyword mode alone never touches the embedding model."""
    if encodings is None:
        needed = any(m.needs_model for m in modes)
        encodings = encode_queries(service, data, progress) if needed else QueryEncodings()
    return {m.name: score_run(run_mode(service, data, m, encodings, progress), data.qrels) for m in modes}
