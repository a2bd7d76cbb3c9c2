"""Learned sparse (lexical) weights: bge-m3's sparse head gives each vocabulary token of a text a weight,
and the lexical matching score of a query and a passage is the dot product of their weights
(FlagEmbedding's `compute_lexical_matching_score`). Stored as pgvector `sparsevec`, whose HNSW index
takes at most 1000 non-zeros per vector, so a document keeps its heaviest terms only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from app.embedding.base import Vectors

SparseWeights = dict[int, float]  # vocabulary id -> weight (> 0)
HNSW_MAX_NONZEROS = 1000


@runtime_checkable
class SparseEmbedder(Protocol):
    """An embedder that also gives lexical weights, in the same forward pass as its dense vectors."""

    name: str
    dim: int
    sparse_dim: int  # vocabulary size: the sparsevec dimension

    def encode_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        """Passages: dense unit vectors and lexical weights."""
        ...

    def encode_queries_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        """Queries: dense unit vectors and lexical weights."""
        ...


def sparse_embedder(embedder: object) -> SparseEmbedder | None:
    """The embedder as a SparseEmbedder when its model has a sparse head, else None."""
    return embedder if isinstance(embedder, SparseEmbedder) else None


def from_token_weights(weights: Mapping[str | int, float]) -> SparseWeights:
    """FlagEmbedding's {"token id": weight} as {id: weight}, dropping weights that are not positive."""
    return {int(k): float(v) for k, v in weights.items() if v > 0}


def merge_max(parts: Iterable[Mapping[int, float]]) -> SparseWeights:
    """One document's weights from its passages: each term keeps its largest weight (as bge-m3 does for
    a term repeated within one text)."""
    merged: SparseWeights = {}
    for part in parts:
        for term, weight in part.items():
            if weight > merged.get(term, 0.0):
                merged[term] = weight
    return merged


def top_weights(weights: Mapping[int, float], max_terms: int) -> SparseWeights:
    """The `max_terms` heaviest terms (ties: the smaller id), so the vector fits the HNSW index."""
    if len(weights) <= max_terms:
        return dict(weights)
    kept = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:max_terms]
    return dict(kept)


def lexical_score(query: Mapping[int, float], doc: Mapping[int, float]) -> float:
    """The lexical matching score: the dot product over shared terms (pgvector's `<#>` negated)."""
    small, large = (query, doc) if len(query) <= len(doc) else (doc, query)
    return sum(w * large[t] for t, w in small.items() if t in large)


def token_weights(weights: Iterable[float], token_ids: Iterable[int], special: set[int]) -> SparseWeights:
    """A text's lexical weights from its tokens' weights as FlagEmbedding computes them: each token id
    keeps its heaviest positive weight; special tokens (cls, eos, pad, unk) are left out."""
    out: SparseWeights = {}
    for weight, token in zip(weights, token_ids, strict=True):
        t = int(token)
        if t not in special and weight > 0 and weight > out.get(t, 0.0):
            out[t] = float(weight)
    return out
