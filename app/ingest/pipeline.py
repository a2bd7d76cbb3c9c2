"""Batched ingest: parse -> skip unchanged -> tokenise -> embed -> one transaction per batch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from app import store
from app.embedding.base import Embedder
from app.errors import InvalidDocument
from app.ingest.documents import AnalyzedDocument, Document, FieldMap, analyze, document_from_record
from app.ingest.passages import split_passages
from app.ingest.readers import RawRecord

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class BadLine:
    source: str
    line: int
    error: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.error}"


@dataclass
class IngestReport:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    bad: list[BadLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "unchanged": self.unchanged,
            "bad": len(self.bad),
            "errors": [str(b) for b in self.bad[:100]],
        }


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def fallback_id(raw: RawRecord) -> str:
    """A stable id for records without one: file name (without extension) and position."""
    stem = raw.source.rsplit(".", 1)[0]
    return f"{stem}:{raw.line}"


def parse(raws: list[RawRecord], fields: FieldMap, report: IngestReport) -> list[tuple[RawRecord, Document]]:
    """Documents from raw records; bad ones go to the report. A repeated id keeps its last version."""
    by_id: dict[str, tuple[RawRecord, Document]] = {}
    for raw in raws:
        report.read += 1
        if raw.error is not None:
            report.bad.append(BadLine(raw.source, raw.line, raw.error))
            continue
        try:
            doc = document_from_record(raw.record, fields, fallback_id(raw))
        except InvalidDocument as exc:
            report.bad.append(BadLine(raw.source, raw.line, str(exc)))
            continue
        by_id.pop(doc.external_id, None)
        by_id[doc.external_id] = (raw, doc)
    return list(by_id.values())


@dataclass(frozen=True)
class PassagePlan:
    """How long bodies are cut for embedding (see app.ingest.passages)."""

    max_chars: int = 512
    overlap: int = 64


def embed_passages(embedder: Embedder, docs: list[Document], plan: PassagePlan) -> list[store.Passages]:
    """Each document's passages with their vectors, encoded in one batch. A passage is embedded with
    the document's title in front, so every piece knows what it is about."""
    spans = [split_passages(d.body, plan.max_chars, plan.overlap) for d in docs]
    texts = [
        f"{d.title}\n{d.body[s:e]}" if d.title else d.body[s:e]
        for d, doc_spans in zip(docs, spans, strict=True)
        for s, e in doc_spans
    ]
    vectors = embedder.encode(texts)
    out: list[store.Passages] = []
    i = 0
    for doc_spans in spans:
        out.append([(s, e, vectors[i + j]) for j, (s, e) in enumerate(doc_spans)])
        i += len(doc_spans)
    return out


def upsert_documents(
    pool: ConnectionPool, embedder: Embedder | None, docs: list[Document], plan: PassagePlan | None = None
) -> tuple[int, int, list[tuple[Document, str]]]:
    """Store `docs` (unique ids): returns (written, unchanged, failures). Unchanged docs are not re-embedded.

    The batch is one transaction; if it fails, each document is retried alone so one bad document
    cannot lose the others.
    """
    with pool.connection() as conn:
        hashes = store.existing_hashes(conn, [d.external_id for d in docs])
        conn.commit()
    changed = [d for d in docs if hashes.get(d.external_id) != d.content_hash]
    if not changed:
        return 0, len(docs), []
    analyzed = [analyze(d) for d in changed]
    vectors = embed_passages(embedder, changed, plan or PassagePlan()) if embedder is not None else None
    try:
        with pool.connection() as conn, conn.transaction():
            store.write_documents(conn, analyzed, vectors)
        return len(changed), len(docs) - len(changed), []
    except psycopg.DataError:
        log.info("batch failed; retrying its documents one by one")
    failures: list[tuple[Document, str]] = []
    written = 0
    for i, a in enumerate(analyzed):
        try:
            with pool.connection() as conn, conn.transaction():
                store.write_documents(conn, [a], None if vectors is None else vectors[i : i + 1])
            written += 1
        except psycopg.DataError as exc:
            failures.append((a.doc, (exc.diag.message_primary or str(exc)).strip()))
    return written, len(docs) - len(changed), failures


def ingest(
    pool: ConnectionPool,
    embedder: Embedder | None,
    raws: Iterable[RawRecord],
    fields: FieldMap,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
    plan: PassagePlan | None = None,
) -> IngestReport:
    """Ingest every good record; bad ones are reported with their line and skipped."""
    report = IngestReport()
    if embedder is not None:
        with pool.connection() as conn:
            store.register_model(conn, embedder)
    for chunk in batched(raws, batch_size):
        parsed = parse(chunk, fields, report)
        if parsed:
            written, unchanged, failures = upsert_documents(pool, embedder, [d for _, d in parsed], plan)
            report.written += written
            report.unchanged += unchanged
            lines = {d.external_id: raw for raw, d in parsed}
            for doc, error in failures:
                raw = lines[doc.external_id]
                report.bad.append(BadLine(raw.source, raw.line, error))
        if on_progress is not None:
            on_progress(len(chunk))
    return report


__all__ = ["AnalyzedDocument", "BadLine", "IngestReport", "batched", "ingest", "upsert_documents"]
