"""Clustered unit vectors standing in for a model's, so the bench measures the engine, not the model.

Uniform random high-dimensional vectors are all nearly equidistant (no neighbourhoods), which makes any
ANN index look broken; real embeddings cluster. Here every document belongs to one of `clusters`
centres and lies at a random offset from it; a query is another point near a centre.
"""

from __future__ import annotations

import numpy as np

from app.embedding.base import Vectors, l2_normalize


class ClusteredVectors:
    def __init__(self, dim: int = 1024, clusters: int = 512, spread: float = 0.9, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.dim = dim
        self.spread = spread
        self.seed = seed
        self.centres = l2_normalize(rng.standard_normal((clusters, dim)))

    def _around(self, which: np.ndarray, rng: np.random.Generator) -> Vectors:
        noise = rng.standard_normal((len(which), self.dim)).astype(np.float32) / np.sqrt(self.dim)
        return l2_normalize(self.centres[which] + self.spread * noise)

    def documents(self, first: int, count: int) -> Vectors:
        """Vectors of documents first..first+count-1 (the same numbers for the same positions)."""
        rng = np.random.default_rng([self.seed, first, count])
        which = (np.arange(first, first + count) * 2654435761) % len(self.centres)
        return self._around(which, rng)

    def queries(self, count: int, seed: int = 11) -> Vectors:
        rng = np.random.default_rng([self.seed, seed])
        return self._around(rng.integers(0, len(self.centres), count), rng)
