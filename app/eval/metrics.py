"""Ranking metrics, as trec_eval defines them (linear gain nDCG, binary recall and reciprocal rank).

Each takes the ranked document ids of one query and its judgments {doc_id: grade}; grade > 0 is relevant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """DCG = sum of gain_i / log2(i + 1), ranks i from 1."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """DCG of the top k over the DCG of the ideal ordering of the judged-relevant documents."""
    ideal = dcg(sorted((float(g) for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([float(max(qrels.get(d, 0), 0)) for d in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the top k, else 0."""
    for i, d in enumerate(ranked[:k], start=1):
        if qrels.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


METRICS = {"ndcg@10": (ndcg_at_k, 10), "recall@100": (recall_at_k, 100), "mrr@10": (mrr_at_k, 10)}


def score_run(run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean of each metric over the judged queries (a judged query with no results scores 0)."""
    judged = [q for q, rels in qrels.items() if any(g > 0 for g in rels.values())]
    out: dict[str, float] = {}
    for name, (fn, k) in METRICS.items():
        values = [fn(run.get(q, []), qrels[q], k) for q in judged]
        out[name] = sum(values) / len(values) if values else 0.0
    out["queries"] = float(len(judged))
    return out
