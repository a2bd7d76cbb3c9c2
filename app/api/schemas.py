"""HTTP request and response bodies (the OpenAPI at /docs is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.ingest.documents import MAX_BATCH, MAX_ID_CHARS
from app.search.similar import SimilarHit


class RequestBody(BaseModel):
    """A request body: an unknown field is refused (422), not ignored, so a misspelt one (`filter` for
    `filters`) does not silently give unfiltered results."""

    model_config = ConfigDict(extra="forbid")


class SimilarBody(RequestBody):
    text: str = Field(min_length=1, description="A word, phrase or paragraph to find neighbours of.")
    limit: int = Field(default=10, ge=1)
    filters: dict[str, Any] | None = Field(default=None, description="Metadata filters, as in /search.")


class SimilarOut(BaseModel):
    of: str = Field(description="The document id, or the text, whose neighbours these are.")
    hits: list[SimilarHit]


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


class SynonymsIn(RequestBody):
    rules: list[str] = Field(
        min_length=1,
        max_length=10_000,
        description='Rules in Solr\'s synonym syntax: "手机, 移动电话, 智能手机" (equivalent), '
        '"苹果手机 => iphone" (one way, replacing).',
    )


class SynonymOut(BaseModel):
    id: int
    rule: str = Field(description="As written.")
    forms: list[str] = Field(description="The words, as the analyzer's terms.")
    targets: list[str] | None = Field(description="One-way rules: what the forms are searched as.")


class CurationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1000, description="The query as people type it.")
    pinned: list[str] = Field(default=[], description="Document ids pinned to the top, the first on top.")
    hidden: list[str] = Field(default=[], description="Document ids never shown for this query.")
    starts_at: datetime | None = Field(default=None, description="When it starts (default: now).")
    ends_at: datetime | None = Field(default=None, description="When it ends (default: until removed).")


class CurationOut(BaseModel):
    id: int
    query_key: str = Field(description="The query as curations match it: trimmed, lower case, one space.")
    pinned: list[str]
    hidden: list[str]
    starts_at: datetime | None
    ends_at: datetime | None


class EventIn(RequestBody):
    """A click on a result: the answer's `search_id`, the document and the position it was shown at."""

    type: Literal["click"] = "click"
    search_id: UUID = Field(description="The `search_id` of the answer that showed the document.")
    id: str = Field(min_length=1, max_length=MAX_ID_CHARS, description="The clicked document's id.")
    position: int = Field(ge=1, le=100_000, description="Its rank in the whole list: 1 is the first hit.")
    client: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The page's client id (as its X-Client-Id header); default: a hash of address and agent.",
    )
