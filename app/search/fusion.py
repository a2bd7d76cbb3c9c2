"""Rank fusion as pure functions: the same rules as `search.hybrid` in SQL, for sweeps and explanation.

Reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009):
    score(d) = sum over legs of weight_leg / (k + rank_leg(d)), a leg contributing only where it ranked d.
Ties break on the smaller internal document id, as in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Ranked = Sequence[tuple[int, int]]  # (doc_id, rank) pairs of one leg, rank from 1


def rrf_scores(legs: Mapping[str, Ranked], weights: Mapping[str, float], k: int = 10) -> dict[int, float]:
    """RRF score of every document any leg ranked."""
    scores: dict[int, float] = {}
    for leg, ranked in legs.items():
        w = weights.get(leg, 1.0)
        for doc_id, rank in ranked:
            scores[doc_id] = scores.get(doc_id, 0.0) + w / (k + rank)
    return scores


def rrf_fuse(
    legs: Mapping[str, Ranked], weights: Mapping[str, float], k: int = 10
) -> list[tuple[int, float]]:
    """(doc_id, score) best first; ties on the smaller doc_id."""
    scores = rrf_scores(legs, weights, k)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
