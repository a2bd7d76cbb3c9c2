"""Latency summaries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds (linear interpolation, as numpy's percentile)."""
    if not ms:
        return {"n": 0}
    arr = np.asarray(ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {
        "n": len(ms),
        "p50": round(float(p50), 3),
        "p95": round(float(p95), 3),
        "p99": round(float(p99), 3),
        "mean": round(float(arr.mean()), 3),
        "max": round(float(arr.max()), 3),
    }


def recall_at(found: Sequence[object], truth: Sequence[object], k: int = 10) -> float:
    """Share of the true top k found in the top k."""
    top = list(truth)[:k]
    if not top:
        return 1.0
    return len(set(list(found)[:k]) & set(top)) / len(top)
