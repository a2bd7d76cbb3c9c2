"""Similar items: the documents nearest a stored document, or a free text, in the embedding space
(`search.similar`). A document's vector is its first passage's; neighbours are ranked by their best
passage, whose window is the snippet."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from app.db import query
from app.errors import DocumentNotFound, EmptyQuery, InvalidQuery, ModelUnavailable
from app.search.filters import normalize_filters
from app.search.highlight import snippet
from app.search.service import ModelSwitched, SearchService


class SimilarHit(BaseModel):
    """One neighbour, as the API returns it (declared once: the response model too)."""

    id: str
    title: str
    url: str | None
    snippet: str = Field(description="The neighbour's best-matching passage, plain text.")
    distance: float = Field(description="Cosine distance (0: same direction).")
    score: float = Field(description="Cosine similarity, 1 - distance.")
    rank: int
    metadata: dict[str, Any] = {}


class SimilarService:
    """Reads as the search does (its pools, replicas, model and model check)."""

    def __init__(self, search: SearchService) -> None:
        self.search = search
        self.models = search.models
        self.settings = search.settings

    def to_document(
        self, doc_id: str, limit: int = 10, filters: dict[str, Any] | None = None
    ) -> list[SimilarHit]:
        """Neighbours of a stored document (itself left out). Needs no model: the vector is stored."""
        self._check_limit(limit)
        normalized = normalize_filters(filters)
        # one transaction under the switch's lock: a reembed's swap cannot come between the reads
        with self.search.checked_cursor(None, stored_vector=True) as cur:
            row = cur.execute(query("document_embedding"), {"id": doc_id}).fetchone()
            if row is None:
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            if row["embedding"] is None:
                raise InvalidQuery(f"document {doc_id!r} has no vector (stored without an embedding model)")
            vector = row["embedding"].to_numpy().astype(np.float32)
            return self._nearest(cur, vector, limit, doc_id, normalized)

    def to_text(self, text: str, limit: int = 10, filters: dict[str, Any] | None = None) -> list[SimilarHit]:
        """Neighbours of a free text (a word, a phrase, a paragraph), embedded as a query."""
        if not text.strip():
            raise EmptyQuery("the text is empty")
        if len(text) > self.settings.max_query_chars:
            raise InvalidQuery(f"the text is longer than {self.settings.max_query_chars} characters")
        self._check_limit(limit)
        normalized = normalize_filters(filters)
        model = self.models.get()
        vector = model.encode_queries([text])[0]
        try:
            with self.search.checked_cursor(model.name) as cur:
                return self._nearest(cur, vector, limit, None, normalized)
        except ModelSwitched as exc:
            raise ModelUnavailable(str(exc)) from exc

    def _check_limit(self, limit: int) -> None:
        if not 1 <= limit <= self.settings.max_limit:
            raise InvalidQuery(f"limit must be between 1 and {self.settings.max_limit}")

    def _nearest(
        self,
        cur: psycopg.Cursor[dict[str, Any]],
        vector: np.ndarray,
        limit: int,
        exclude: str | None,
        filters: dict[str, Any] | None,
    ) -> list[SimilarHit]:
        """The neighbours of `vector`, read on `cur` (a checked cursor: the swap waits for it)."""
        params = {
            "embedding": vector,
            "limit": limit,
            "exclude": exclude,
            "filter": Jsonb(filters) if filters else None,
            "ef_search": self.settings.hnsw_ef_search,
            "exact_below": self.settings.exact_search_below,
        }
        rows = cur.execute(query("similar"), params).fetchall()
        return [
            SimilarHit(
                id=r["id"],
                title=r["title"],
                url=r["url"],
                snippet=snippet(r["body"], [], start_at=r["passage_start"]).text,
                distance=float(r["distance"]),
                score=1.0 - float(r["distance"]),
                rank=r["rank"],
                metadata=r["metadata"] or {},
            )
            for r in rows
        ]
