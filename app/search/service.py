"""One search: validate, tokenise, embed (off the event loop), call the `search.*` SQL function.

The API and the CLI both come through here, and here only calls the SQL functions analysts call,
so psql, the CLI and HTTP always agree.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import psycopg
from pgvector import SparseVector
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.db import ReadPools, domain_errors, query
from app.embedding.loader import ModelHolder
from app.embedding.sparse import sparse_embedder
from app.errors import EmptyQuery, InvalidQuery, ModelMismatch, ModelUnavailable
from app.search.filters import normalize_filters
from app.search.highlight import snippet
from app.search.terms import bounded_terms
from app.text import query_terms

MAX_RRF_K = 100_000  # far past any useful k; keeps it an integer for SQL


class Fusion(StrEnum):
    rrf = "rrf"
    minmax = "minmax"


class Mode(StrEnum):
    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"
    sparse = "sparse"  # the learned sparse leg alone (bge-m3 lexical weights)


@dataclass(frozen=True)
class SearchRequest:
    q: str
    mode: Mode = Mode.hybrid
    limit: int = 10
    offset: int = 0
    rrf_k: int | None = None
    keyword_weight: float = 1.0
    semantic_weight: float = 1.0
    sparse: bool | None = None  # hybrid: fuse the learned sparse leg too (None: the HYBRID_SPARSE setting)
    sparse_weight: float = 1.0
    fusion: Fusion = Fusion.rrf
    min_score: float | None = None
    filters: dict[str, Any] | None = None
    title_weight: float | None = None  # None: the setting
    snippets: bool = True  # False skips snippet building (evaluation needs only ids)


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    url: str | None
    snippet: str
    highlight: str
    score: float
    keyword_rank: int | None
    keyword_score: float | None
    semantic_rank: int | None
    semantic_score: float | None
    metadata: dict[str, Any]
    passage_start: int | None = None
    sparse_rank: int | None = None
    sparse_score: float | None = None


@dataclass
class SearchResult:
    query: str
    mode: Mode
    terms: list[str]
    limit: int
    offset: int
    hits: list[Hit]
    degraded: bool = False
    degraded_reason: str | None = None
    complete: bool = True
    timings_ms: dict[str, float] = field(default_factory=dict)
    fusion: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchService:
    def __init__(
        self, pool: ConnectionPool, models: ModelHolder, settings: Settings, reads: ReadPools | None = None
    ) -> None:
        self.pool = pool
        self.reads = reads or ReadPools(pool)  # searches read from replicas when there are some
        self.models = models
        self.settings = settings

    def validate(self, req: SearchRequest) -> None:
        s = self.settings
        if not req.q.strip():
            raise EmptyQuery("the query is empty")
        if len(req.q) > s.max_query_chars:
            raise InvalidQuery(f"the query is longer than {s.max_query_chars} characters")
        if not 1 <= req.limit <= s.max_limit:
            raise InvalidQuery(f"limit must be between 1 and {s.max_limit}")
        if not 0 <= req.offset <= s.max_offset:
            raise InvalidQuery(f"offset must be between 0 and {s.max_offset}")
        if req.rrf_k is not None and not 1 <= req.rrf_k <= MAX_RRF_K:
            raise InvalidQuery(f"rrf_k must be between 1 and {MAX_RRF_K}")
        weights = (req.keyword_weight, req.semantic_weight, req.sparse_weight)
        if not all(math.isfinite(w) and w >= 0 for w in weights):
            raise InvalidQuery("leg weights must be finite and not negative")
        if req.min_score is not None and not math.isfinite(req.min_score):
            raise InvalidQuery("min_score must be a finite number")
        if req.title_weight is not None and not (
            math.isfinite(req.title_weight) and 0 <= req.title_weight <= 100
        ):
            raise InvalidQuery("title_weight must be between 0 and 100")

    def uses_sparse(self, req: SearchRequest) -> bool:
        """Does this request run the learned sparse leg?"""
        if req.mode is Mode.sparse:
            return True
        wanted = self.settings.hybrid_sparse if req.sparse is None else req.sparse
        return req.mode is Mode.hybrid and wanted and req.sparse_weight > 0

    def search(
        self,
        req: SearchRequest,
        embedding: np.ndarray | None = None,
        sparse_query: SparseVector | None = None,
    ) -> SearchResult:
        """Run one search. Raises InvalidQuery/EmptyQuery for bad input, ModelUnavailable in semantic
        or sparse mode without a model; hybrid without a model answers from the keyword leg, marked
        degraded. The sparse leg needs a model with a sparse head (bge-m3): InvalidQuery otherwise.

        `embedding`/`sparse_query` may carry the query's encodings already computed (evaluation
        encodes in batches).
        """
        self.validate(req)
        filters = normalize_filters(req.filters)
        started = time.perf_counter()
        terms = query_terms(req.q)
        if len(set(terms)) > self.settings.max_query_terms:
            with self.reads.connection() as conn:
                terms = bounded_terms(conn, terms, self.settings.max_query_terms)
        timings: dict[str, float] = {"tokenize": _ms(started)}
        result = SearchResult(req.q, req.mode, terms, req.limit, req.offset, [], timings_ms=timings)
        dense_needed = req.mode in (Mode.semantic, Mode.hybrid)
        sparse_needed = self.uses_sparse(req)
        if not dense_needed:
            embedding = None
        if not sparse_needed:
            sparse_query = None
        model_name: str | None = None  # the model this request's vectors come from (checked below)
        if (dense_needed and embedding is None) or (sparse_needed and sparse_query is None):
            try:
                t0 = time.perf_counter()
                model_name = self.models.get().name
                embedding, sparse_query = self._encode(
                    req.q, sparse_needed, req.mode is Mode.sparse or bool(req.sparse)
                )
                embedding = embedding if dense_needed else None
                timings["embed"] = _ms(t0)
            except ModelUnavailable as exc:
                if req.mode is not Mode.hybrid:
                    raise
                result.degraded = True
                result.degraded_reason = f"model legs unavailable, keyword results only: {exc}"
        if not terms and embedding is None and (sparse_query is None or not sparse_query.indices()):
            raise EmptyQuery("the query has no searchable words (only punctuation, spaces or symbols)")

        params = self._params(req, terms, embedding, sparse_query, filters)
        result.fusion = self._fusion(req, params)
        t0 = time.perf_counter()
        try:
            rows, result.complete = self._run(req.mode, params, model_name)
        except ModelSwitched as exc:
            # A reembed swapped the vectors under this process: load the new model; hybrid answers from
            # the keyword leg meanwhile, the vector modes say why they cannot.
            if req.mode is not Mode.hybrid or not terms:
                raise ModelUnavailable(str(exc)) from exc
            result.degraded = True
            result.degraded_reason = f"model legs unavailable, keyword results only: {exc}"
            params = self._params(req, terms, None, None, filters)
            result.fusion = self._fusion(req, params)
            rows, result.complete = self._run(req.mode, params, None)
        timings["database"] = _ms(t0)
        t0 = time.perf_counter()
        from_passage = req.mode is Mode.semantic
        result.hits = [self._hit(row, terms, from_passage) for row in rows]
        timings["highlight"] = _ms(t0)
        timings["total"] = _ms(started)
        return result

    def _run(
        self, mode: Mode, params: dict[str, Any], model_name: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """The search statement, and whether the vector legs saw every match."""
        with self.checked_cursor(model_name) as cur:
            rows = cur.execute(query(f"search_{mode.value}"), params).fetchall()
            if mode is Mode.keyword:
                return rows, True
            complete = cur.execute(query("search_complete")).fetchone()
            return rows, bool(complete and next(iter(complete.values())))

    @contextmanager
    def checked_cursor(self, model_name: str | None) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        """A cursor on a read connection, after checking, when the caller's vectors were made here
        (`model_name`), that the database still holds that model's vectors: ModelSwitched otherwise,
        with the recorded model loading in the background."""
        try:
            with domain_errors(), self.reads.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                if model_name is not None:
                    cur.execute(query("check_model"), {"model": model_name})
                yield cur
        except ModelMismatch as exc:
            raise model_switched(self.pool, self.models, exc) from exc

    def _encode(self, text: str, sparse: bool, required: bool) -> tuple[np.ndarray, SparseVector | None]:
        """The query's dense vector, and its lexical weights when the sparse leg runs (one pass). A
        model without a sparse head is refused when the request asked for the leg, and otherwise (the
        HYBRID_SPARSE default) the leg is left out."""
        model = self.models.get()
        sparse_model = sparse_embedder(model) if sparse else None
        if sparse_model is None:
            if not sparse or not required:
                return model.encode_queries([text])[0], None
            raise InvalidQuery(
                f"the sparse leg needs a model with a sparse head (bge-m3); {model.name} has none"
            )
        dense, lexical = sparse_model.encode_queries_with_sparse([text])
        return dense[0], SparseVector(lexical[0], sparse_model.sparse_dim)

    @staticmethod
    def _hit(row: dict[str, Any], terms: list[str], from_passage: bool) -> Hit:
        """In semantic mode the snippet is the best passage; otherwise the window richest in terms."""
        start = row.get("passage_start") if from_passage else None
        body = row.pop("body")
        row.pop("ordinality")
        snip = snippet(body, terms, start_at=start) if body is not None else None
        return Hit(
            **{
                **row,
                "snippet": snip.text if snip else "",
                "highlight": snip.html if snip else "",
                "metadata": row["metadata"] or {},
            }
        )

    def _params(
        self,
        req: SearchRequest,
        terms: list[str],
        embedding: np.ndarray | None,
        sparse_query: SparseVector | None,
        filters: dict[str, Any] | None,
    ) -> dict[str, Any]:
        s = self.settings
        return {
            "terms": terms,
            "embedding": embedding,
            "sparse": sparse_query,
            "sparse_weight": req.sparse_weight if sparse_query is not None else 0.0,
            "limit": req.limit,
            "offset": req.offset,
            "rrf_k": req.rrf_k or s.rrf_k,
            "keyword_weight": req.keyword_weight,
            "semantic_weight": req.semantic_weight if embedding is not None else 0.0,
            "rank_window": s.rank_window,
            "deep_window": s.deep_rank_window,
            "k1": s.bm25_k1,
            "b": s.bm25_b,
            "title_weight": s.title_weight if req.title_weight is None else req.title_weight,
            "filter": Jsonb(filters) if filters else None,
            "ef_search": s.hnsw_ef_search,
            "exact_below": s.exact_search_below,
            "fusion": req.fusion.value,
            "min_score": req.min_score,
            "with_bodies": req.snippets,
        }

    @staticmethod
    def _fusion(req: SearchRequest, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters that produced the scores, so every hit can be explained."""
        if req.mode is Mode.keyword:
            return {
                "method": "bm25",
                "k1": params["k1"],
                "b": params["b"],
                "title_weight": params["title_weight"],
            }
        if req.mode is Mode.semantic:
            return {"method": "cosine", "ef_search": params["ef_search"]}
        if req.mode is Mode.sparse:
            return {"method": "lexical weights (dot product)", "ef_search": params["ef_search"]}
        explain: dict[str, Any] = {"method": req.fusion.value}
        if req.fusion is Fusion.rrf:
            explain["k"] = params["rrf_k"]
        return explain | {
            "keyword_weight": params["keyword_weight"],
            "semantic_weight": params["semantic_weight"],
            "sparse_weight": params["sparse_weight"],
            "rank_window": params["rank_window"]
            if req.offset + req.limit <= params["rank_window"]
            else params["deep_window"],
            "min_score": req.min_score,
            "k1": params["k1"],
            "b": params["b"],
            "title_weight": params["title_weight"],
            "ef_search": params["ef_search"],
        }


class ModelSwitched(Exception):
    """The database's vectors now come from another model than this request's (HS001)."""


def model_switched(pool: ConnectionPool, models: ModelHolder, exc: ModelMismatch) -> ModelSwitched:
    """Start loading the model the database now records; the error to raise."""
    with pool.connection() as conn:
        recorded = conn.execute(query("recorded_model")).fetchone()
    if recorded is not None:
        models.switch_to(str(recorded[0]))
    return ModelSwitched(str(exc))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)
