"""Clustered unit vectors standing in for a model's, so the bench measures the engine, not the model.

Uniform random high-dimensional vectors are all nearly equidistant (no neighbourhoods), which makes any
ANN index look broken; real embeddings cluster. Here every document belongs to one of `clusters`
centres and lies at a random offset from it; a query is another point near a centre.
"""

from __future__ import annotations

import hashlib

import numpy as np

from app.embedding.base import Vectors, l2_normalize


class ClusteredVectors:
    def __init__(self, dim: int = 1024, clusters: int = 512, spread: float = 0.9, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.dim = dim
        self.spread = spread
        self.seed = seed
        self.centres = l2_normalize(rng.standard_normal((clusters, dim)))

    def _around(self, which: np.ndarray, draws: np.ndarray) -> Vectors:
        """Unit vectors near the centres `which`, offset by `draws` (standard normal, a row each)."""
        noise = draws.astype(np.float32) / np.sqrt(self.dim)
        return l2_normalize(self.centres[which] + self.spread * noise)

    def documents(self, first: int, count: int) -> Vectors:
        """Vectors of documents first..first+count-1 (the same numbers for the same positions)."""
        rng = np.random.default_rng([self.seed, first, count])
        which = (np.arange(first, first + count) * 2654435761) % len(self.centres)
        return self._around(which, rng.standard_normal((count, self.dim)))

    def queries(self, count: int, seed: int = 11) -> Vectors:
        rng = np.random.default_rng([self.seed, seed])
        which = rng.integers(0, len(self.centres), count)
        return self._around(which, rng.standard_normal((count, self.dim)))

    def for_keys(self, keys: list[int]) -> Vectors:
        """One vector per key, the same for the same key: near centre `key mod clusters`, its offset drawn
        by a generator seeded with the key, all keys' draws in one array and offset at once (the same
        numbers as one by one, ~40 -> ~24 us a vector: a tenth of a bench ingest's CPU). A shared bank of
        noise was faster still, but its rows made documents correlated: recall at ef_search 100 fell
        0.98 -> 0.95."""
        draws = np.empty((len(keys), self.dim))
        for row, key in zip(draws, keys, strict=True):
            np.random.default_rng(key).standard_normal(out=row)
        return self._around(np.array([k % len(self.centres) for k in keys], dtype=np.intp), draws)


SYNTHETIC_PREFIX = "synthetic-clustered-"


class SyntheticEmbedder:
    """Text -> a clustered vector picked by a hash of the text: no semantics and almost no CPU.

    The bench loads its corpus with synthetic vectors and records this model's name; its HTTP service
    loads this embedder (`EMBEDDING_BACKEND=synthetic`) so that writes and vector searches under load
    measure the engine and the web stack, not a model. Never for real data: similar texts get unrelated
    vectors.
    """

    def __init__(self, dim: int) -> None:
        self.name = f"{SYNTHETIC_PREFIX}{dim}"
        self.dim = dim
        self._vectors = ClusteredVectors(dim)

    @classmethod
    def from_name(cls, name: str) -> SyntheticEmbedder:
        """`synthetic-clustered-<dim>`, the name the bench records; ValueError for anything else."""
        dim = name.removeprefix(SYNTHETIC_PREFIX)
        if not name.startswith(SYNTHETIC_PREFIX) or not dim.isdigit() or not 1 <= int(dim) <= 16_000:
            raise ValueError(f"a synthetic model is named {SYNTHETIC_PREFIX}<dimension>, not {name!r}")
        return cls(int(dim))

    def encode(self, texts: list[str]) -> Vectors:
        keys = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest() for t in texts]
        return self._vectors.for_keys([int.from_bytes(k, "little") for k in keys])

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self.encode(texts)
