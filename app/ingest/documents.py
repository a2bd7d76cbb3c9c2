"""A document as the engine stores it, built from a raw record through a field mapping."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.errors import InvalidDocument
from app.text import analyzer
from app.text.pinyin import FieldPinyin, field_pinyin
from app.text.tsvector import tsvector_of

MAX_ID_CHARS = 512
MAX_BATCH = 1000  # documents in one write request (POST /documents, the bench's upserts)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class FieldMap:
    """Which record fields hold the id, title, text and url; `None` means "try the usual names"."""

    id_field: str | None = None
    title_field: str | None = None
    text_field: str | None = None
    url_field: str | None = None

    ID_NAMES = ("_id", "id", "doc_id", "docid")
    TITLE_NAMES = ("title", "name")
    TEXT_NAMES = ("text", "body", "content", "description")
    URL_NAMES = ("url", "link")


@dataclass(frozen=True)
class Document:
    external_id: str
    title: str
    body: str
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored changes (the analyzer's settings included); equal hashes
        mean the document needs neither re-tokenising nor re-embedding."""
        payload = json.dumps(
            [self.title, self.body, self.url, self.metadata, analyzer().signature],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnalyzedDocument:
    """A document with what the database needs: tsvector literal, BM25 length and exact term counts."""

    doc: Document
    tsvector: str
    doc_len: int
    term_freqs: dict[str, int]
    title_len: int = 0
    title_freqs: dict[str, int] = field(default_factory=dict)
    pinyin: FieldPinyin = FieldPinyin("", 0)


def analyze(doc: Document) -> AnalyzedDocument:
    """Tokenise title then body into one stream (the tsvector and BM25's tf and dl), keeping the title's
    own counts so a title weight (BM25F-style) can be applied at query time."""
    a = analyzer()
    title, title_at = a.document_terms(doc.title)
    body, body_at = a.document_terms(doc.body)
    shift = title_at[-1] + 1 if title else 0  # a gap: no phrase spans the title and the body
    terms = title + body
    return AnalyzedDocument(
        doc,
        tsvector_of(terms, title_at + [p + shift for p in body_at]),
        len(terms),
        dict(Counter(terms)),
        len(title),
        dict(Counter(title)),
        pinyin_of(doc),
    )


def pinyin_of(doc: Document) -> FieldPinyin:
    """The pinyin of the analyzer's pinyin fields (title, text or metadata strings), read from the
    folded text so traditional characters get their simplified words' readings."""
    a = analyzer()
    texts = []
    for name in a.config.pinyin_fields:
        value = doc.title if name == "title" else doc.body if name == "text" else doc.metadata.get(name)
        if isinstance(value, str) and value:
            texts.append(a.fold(value))
    return field_pinyin(texts)


def clean_text(value: str) -> str:
    """Postgres text cannot hold NUL, and UTF-8 cannot carry a lone surrogate (a JSON `\ud800` escape
    alone): NUL is dropped, a lone surrogate becomes U+FFFD as a lenient UTF-8 decoder would make it;
    everything else is kept as given."""
    return _LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def _pick(record: dict[str, Any], explicit: str | None, names: tuple[str, ...]) -> str | None:
    if explicit is not None:
        return explicit if explicit in record else None
    return next((n for n in names if n in record), None)


def _as_text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidDocument(f"{what} must be a string, not {type(value).__name__}")


def document_from_record(record: Any, fields: FieldMap, fallback_id: str | None = None) -> Document:
    """Map a raw record to a Document; every field not mapped becomes metadata.

    Without an id field the caller's stable `fallback_id` (file name and position) is used.
    """
    if not isinstance(record, dict):
        raise InvalidDocument(f"expected a JSON object, got {type(record).__name__}")
    if fields.id_field is not None and fields.id_field not in record:
        raise InvalidDocument(f"missing id field {fields.id_field!r}")
    id_key = _pick(record, fields.id_field, FieldMap.ID_NAMES)
    title_key = _pick(record, fields.title_field, FieldMap.TITLE_NAMES)
    text_key = _pick(record, fields.text_field, FieldMap.TEXT_NAMES)
    url_key = _pick(record, fields.url_field, FieldMap.URL_NAMES)
    if fields.text_field is not None and text_key is None:
        raise InvalidDocument(f"missing text field {fields.text_field!r}")

    external_id = _as_text(record.get(id_key), "id").strip() if id_key else ""
    if not external_id:
        if fallback_id is None:
            raise InvalidDocument("missing id")
        external_id = fallback_id
    if len(external_id) > MAX_ID_CHARS:
        raise InvalidDocument(f"id longer than {MAX_ID_CHARS} characters")
    title = _as_text(record.get(title_key), "title") if title_key else ""
    body = _as_text(record.get(text_key), "text") if text_key else ""
    if not title.strip() and not body.strip():
        raise InvalidDocument("no text: both title and text are empty")
    url = _as_text(record.get(url_key), "url") or None if url_key else None
    used = {id_key, title_key, text_key, url_key}
    metadata = {k: v for k, v in record.items() if k not in used}
    return Document(external_id, title, body, url, clean_json(metadata))


def clean_json(value: Any) -> Any:
    """jsonb refuses NUL characters and lone surrogates anywhere, keys included (see clean_text)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value
