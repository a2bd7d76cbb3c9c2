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
        """Unit vectors near the centres `which`, offset by `draws` (mean 0, variance 1, a row each)."""
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
        """One vector per key, the same for the same key: near centre `key mod clusters`, offset by noise
        hashed from the key (`hashed_noise`), all keys at once. A generator seeded per key cost ~19 us a
        vector (its seeding most of it: a tenth of a bench ingest's main process), hashing ~6. A
        shared bank of noise was faster still, but its rows made documents correlated: recall at
        ef_search 100 fell 0.98 -> 0.95."""
        which = np.array([k % len(self.centres) for k in keys], dtype=np.intp)
        return self._around(which, hashed_noise(keys, self.dim))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def hashed_noise(keys: list[int], dim: int) -> np.ndarray:
    """A row of `dim` independent draws per key (64-bit integers), mean 0 and variance 1, the same for
    the same key: splitmix64's finaliser over (key + i * golden ratio), each 64-bit hash two uniform
    32-bit draws, scaled to [-sqrt(3), sqrt(3)]. Uniform rather than normal: after the offset and the
    normalisation a 1,024-dimension neighbourhood is the same, and no per-key generator is seeded."""
    k = np.array(keys, dtype=np.uint64).reshape(-1, 1)
    with np.errstate(over="ignore"):
        z = k + np.arange(1, (dim + 1) // 2 + 1, dtype=np.uint64) * _GOLDEN
        z ^= z >> np.uint64(30)
        z *= _MIX1
        z ^= z >> np.uint64(27)
        z *= _MIX2
        z ^= z >> np.uint64(31)
    u = np.ascontiguousarray(z).view(np.uint32)[:, :dim].astype(np.float32)
    return (u * np.float32(2.0**-32) - np.float32(0.5)) * np.float32(np.sqrt(12.0))


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
