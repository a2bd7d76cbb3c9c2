"""The Embedder protocol every model implements, and shared helpers."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised dense vectors of a fixed dimension."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> Vectors:
        """Documents (passages): an array of shape (len(texts), dim), each row of unit length."""
        ...

    def encode_queries(self, texts: list[str]) -> Vectors:
        """Queries; the same as `encode` for symmetric models, prefixed for E5-style ones."""
        ...


def l2_normalize(vectors: npt.ArrayLike) -> Vectors:
    """Unit-length rows (a zero row stays zero), so cosine distance is 1 - dot product."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (arr / norms).astype(np.float32)
