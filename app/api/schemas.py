"""HTTP request and response bodies (the OpenAPI at /docs is generated from these)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.ingest.documents import MAX_BATCH, MAX_ID_CHARS
from app.search.service import MAX_RRF_K, Fusion, Mode


class RequestBody(BaseModel):
    """A request body: an unknown field is refused (422), not ignored, so a misspelt one (`filter` for
    `filters`) does not silently give unfiltered results."""

    model_config = ConfigDict(extra="forbid")


class SearchBody(RequestBody):
    q: str = Field(min_length=1, description="The query text (Chinese, English or mixed).")
    mode: Mode = Mode.hybrid
    limit: int = Field(default=10, ge=1, description="Hits per page.")
    offset: int = Field(default=0, ge=0, description="Hits to skip (page * limit).")
    rrf_k: int | None = Field(
        default=None, ge=1, le=MAX_RRF_K, description="RRF k (default from settings, 10)."
    )
    keyword_weight: float = Field(default=1.0, ge=0, le=1000)
    semantic_weight: float = Field(default=1.0, ge=0, le=1000)
    sparse: bool | None = Field(
        default=None,
        description="Hybrid: fuse the learned sparse leg (bge-m3 lexical weights) too; "
        "default: the HYBRID_SPARSE setting. Needs a model with a sparse head.",
    )
    sparse_weight: float = Field(default=1.0, ge=0, le=1000)
    title_weight: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="A title token counts this many times in BM25 (default setting).",
    )
    fusion: Fusion = Field(default=Fusion.rrf, description="rrf, or minmax (normalised score combination).")
    min_score: float | None = Field(
        default=None, allow_inf_nan=False, description="Drop hybrid hits whose fused score is lower."
    )
    filters: dict[str, Any] | None = Field(
        default=None,
        description='Metadata filters: {"brand": "X"}, {"type": {"any": ["A", "B"]}}, '
        '{"price": {"gte": 100, "lte": 500}}, {"released": {"gte": "2024-01-01"}}, '
        '{"url": {"exists": true}}; dotted keys reach nested fields.',
    )


class HitOut(BaseModel):
    id: str
    title: str
    url: str | None
    snippet: str = Field(description="The passage holding the most query terms, plain text.")
    highlight: str = Field(description="The same passage as HTML: query terms in <mark>, the rest escaped.")
    score: float = Field(
        description="Fused score in hybrid mode, BM25 in keyword mode, cosine in semantic, "
        "lexical matching score in sparse."
    )
    keyword_rank: int | None = None
    keyword_score: float | None = Field(default=None, description="BM25 score of the keyword leg.")
    semantic_rank: int | None = None
    semantic_score: float | None = Field(default=None, description="Cosine similarity of the semantic leg.")
    metadata: dict[str, Any] = {}
    passage_start: int | None = Field(
        default=None, description="Where the best-matching passage starts in the text (semantic leg)."
    )
    sparse_rank: int | None = None
    sparse_score: float | None = Field(
        default=None, description="Lexical matching score (dot product of lexical weights) of the sparse leg."
    )


class SearchOut(BaseModel):
    query: str
    mode: Mode
    terms: list[str] = Field(description="The tokens the query became.")
    limit: int
    offset: int
    hits: list[HitOut]
    degraded: bool = Field(description="True when a leg was unavailable and results come from the others.")
    degraded_reason: str | None = None
    complete: bool = Field(
        description="False when the semantic or sparse leg could not return every matching document."
    )
    fusion: dict[str, Any]
    timings_ms: dict[str, float]


class SimilarBody(RequestBody):
    text: str = Field(min_length=1, description="A word, phrase or paragraph to find neighbours of.")
    limit: int = Field(default=10, ge=1)
    filters: dict[str, Any] | None = Field(default=None, description="Metadata filters, as in /search.")


class SimilarHitOut(BaseModel):
    id: str
    title: str
    url: str | None
    snippet: str = Field(description="The neighbour's best-matching passage, plain text.")
    distance: float = Field(description="Cosine distance (0: same direction).")
    score: float = Field(description="Cosine similarity, 1 - distance.")
    rank: int
    metadata: dict[str, Any] = {}


class SimilarOut(BaseModel):
    of: str = Field(description="The document id, or the text, whose neighbours these are.")
    hits: list[SimilarHitOut]


class DocumentIn(RequestBody):
    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    title: str = ""
    text: str = ""
    url: str | None = None
    metadata: dict[str, Any] = {}


class DocumentsIn(RequestBody):
    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_BATCH)


class DocumentsOut(BaseModel):
    written: int
    unchanged: int


class DocumentOut(BaseModel):
    id: str
    title: str
    text: str
    url: str | None
    metadata: dict[str, Any]
    doc_len: int
    has_embedding: bool
    has_sparse: bool = Field(description="Whether learned lexical weights are stored (sparse leg).")
    created_at: str
    updated_at: str


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    database: str
    model: str
    model_name: str
    model_reason: str | None
    replicas: dict[str, str] = Field(
        default={}, description="Each read replica's state (searches skip one that is not ok)."
    )
