"""Metrics against hand-computed cases, and the Python RRF against the SQL one."""

from __future__ import annotations

import math

import pytest

from app.eval.metrics import mrr_at_k, ndcg_at_k, recall_at_k, score_run
from app.search.fusion import rrf_fuse


def test_ndcg_hand_computed() -> None:
    qrels = {"a": 1, "b": 2, "z": 1}
    # ranked gains: b=2 at rank 2, a=1 at rank 3; ideal: 2, 1, 1
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["x", "b", "a"], qrels, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["b", "a", "z"], qrels, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "b"], qrels, 1) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0


def test_recall_and_mrr_hand_computed() -> None:
    qrels = {"a": 1, "b": 1, "c": 0}
    assert recall_at_k(["c", "a", "x"], qrels, 100) == 0.5
    assert recall_at_k(["c", "a", "b"], qrels, 2) == 0.5
    assert mrr_at_k(["c", "x", "b"], qrels, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["c", "x", "b"], qrels, 2) == 0.0


def test_score_run_averages_over_judged_queries() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    out = score_run({"q1": ["a"], "q2": ["x", "b"]}, qrels)
    assert out["queries"] == 2
    assert out["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert out["recall@100"] == 1.0


def test_rrf_fuse_formula_and_ties() -> None:
    legs = {"keyword": [(1, 1), (2, 2)], "semantic": [(2, 1), (3, 2)]}
    fused = rrf_fuse(legs, {"keyword": 1.0, "semantic": 1.0}, k=60)
    assert fused[0] == (2, pytest.approx(1 / 62 + 1 / 61))
    assert [d for d, _ in fused] == [2, 1, 3]
    tie = rrf_fuse({"keyword": [(9, 1)], "semantic": [(4, 1)]}, {}, k=60)
    assert [d for d, _ in tie] == [4, 9]
