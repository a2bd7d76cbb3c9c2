"""Batched ingest: parse -> skip unchanged -> tokenise -> embed -> one transaction per batch, each batch
written while the next is prepared."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from app import store
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.sparse import (
    HNSW_MAX_NONZEROS,
    SparseEmbedder,
    SparseWeights,
    merge_max,
    sparse_embedder,
    top_weights,
)
from app.errors import InvalidDocument
from app.ingest.documents import AnalyzedDocument, Document, FieldMap, document_from_record
from app.ingest.passages import split_passages
from app.ingest.readers import RawRecord
from app.ingest.tokenize import Tokenizers
from app.ingest.turns import Turn, UpsertTurns

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
class EmbedPlan:
    """How long bodies are cut for embedding (see app.ingest.passages), how many learned sparse terms a
    document keeps (0: none are stored, even when the model has a sparse head), and how a new database
    stores and indexes the vectors."""

    max_chars: int = 512
    overlap: int = 64
    sparse_terms: int = HNSW_MAX_NONZEROS
    index: store.VectorIndex = field(default_factory=store.VectorIndex)

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbedPlan:
        sparse_terms = settings.sparse_max_terms if settings.sparse_enabled else 0
        index = store.VectorIndex.from_settings(settings)
        return cls(settings.passage_chars, settings.passage_overlap, sparse_terms, index)

    def sparse_model(self, embedder: Embedder | None) -> SparseEmbedder | None:
        """The embedder, when this plan stores lexical weights and the model gives them."""
        return sparse_embedder(embedder) if self.sparse_terms > 0 else None


@dataclass(frozen=True)
class Embedded:
    """A batch's vectors: each document's passages, and its lexical weights when the plan keeps them."""

    passages: list[store.Passages]
    sparse: list[SparseWeights] | None = None

    def one(self, i: int) -> Embedded:
        """The i-th document's vectors alone (a failed batch is retried document by document)."""
        return Embedded(self.passages[i : i + 1], None if self.sparse is None else self.sparse[i : i + 1])


def embed_passages(embedder: Embedder, docs: list[Document], plan: EmbedPlan) -> Embedded:
    """Each document's passages with their vectors, encoded in one batch. A passage is embedded with
    the document's title in front, so every piece knows what it is about. A document's lexical weights
    are its passages' (each term at its largest weight), cut to its heaviest `plan.sparse_terms`."""
    spans = [split_passages(d.body, plan.max_chars, plan.overlap) for d in docs]
    texts = [
        f"{d.title}\n{d.body[s:e]}" if d.title else d.body[s:e]
        for d, doc_spans in zip(docs, spans, strict=True)
        for s, e in doc_spans
    ]
    sparse_model = plan.sparse_model(embedder)
    lexical: list[SparseWeights] | None = None
    if sparse_model is not None:
        vectors, lexical = sparse_model.encode_with_sparse(texts)
    else:
        vectors = embedder.encode(texts)
    passages: list[store.Passages] = []
    sparse: list[SparseWeights] = []
    i = 0
    for doc_spans in spans:
        n = len(doc_spans)
        passages.append([(s, e, vectors[i + j]) for j, (s, e) in enumerate(doc_spans)])
        if lexical is not None:
            sparse.append(top_weights(merge_max(lexical[i : i + n]), plan.sparse_terms))
        i += n
    return Embedded(passages, sparse if lexical is not None else None)


def _vectors(embedded: Embedded | None) -> tuple[list[store.Passages] | None, list[SparseWeights] | None]:
    return (None, None) if embedded is None else (embedded.passages, embedded.sparse)


def _name(embedder: Embedder | None) -> str | None:
    return None if embedder is None else embedder.name


def is_unchanged(
    doc: Document, stored: store.Stored | None, embedder: Embedder | None, plan: EmbedPlan
) -> bool:
    """Skip a document only when its content is stored already with every vector this ingest would add
    (a document stored without a model, or before the sparse leg, is completed)."""
    return (
        stored is not None
        and stored.content_hash == doc.content_hash
        and (embedder is None or stored.has_embedding)
        and (plan.sparse_model(embedder) is None or stored.has_sparse)
    )


@dataclass
class Prepared:
    """A batch ready to write: its documents that changed, tokenised and embedded."""

    analyzed: list[AnalyzedDocument]
    vectors: Embedded | None
    unchanged: int


def register(conn: psycopg.Connection[Any], embedder: Embedder | None, plan: EmbedPlan) -> None:
    """Record the model on first use (which types the vector columns and builds their index); another
    model is refused (ModelMismatch)."""
    if embedder is not None:
        store.register_model(conn, embedder, with_sparse=plan.sparse_terms > 0, index=plan.index)


def prepare(
    pool: ConnectionPool,
    embedder: Embedder | None,
    docs: list[Document],
    plan: EmbedPlan,
    tokenizers: Tokenizers | None = None,
) -> Prepared:
    """Read which of `docs` are stored as they are (those are neither re-tokenised nor re-embedded),
    then tokenise (in `tokenizers`' processes, when given) and embed the others. The first use records
    the model; another is refused."""
    return start_prepare(pool, embedder, docs, plan, tokenizers)()


def start_prepare(
    pool: ConnectionPool,
    embedder: Embedder | None,
    docs: list[Document],
    plan: EmbedPlan,
    tokenizers: Tokenizers | None = None,
) -> Callable[[], Prepared]:
    """prepare(), started: the documents are embedded here and tokenised in `tokenizers`' workers; the
    call returned waits for the workers (meanwhile the caller may start the next batch, so the workers
    always have one queued)."""
    with pool.connection() as conn:
        register(conn, embedder, plan)
        stored = store.stored_versions(conn, [d.external_id for d in docs])
        conn.commit()
    changed = [d for d in docs if not is_unchanged(d, stored.get(d.external_id), embedder, plan)]
    analyzed = (tokenizers or Tokenizers(1)).submit(changed)  # tokenised while they are embedded
    vectors = embed_passages(embedder, changed, plan) if embedder is not None and changed else None
    return lambda: Prepared(analyzed(), vectors, len(docs) - len(changed))


def write_prepared(
    pool: ConnectionPool, embedder: Embedder | None, batch: Prepared, turn: Turn | None = None
) -> tuple[int, int, list[tuple[Document, str]]]:
    """Write a prepared batch in one transaction; if it fails, each document is retried alone so one bad
    document cannot lose the others (numbered after the batches written meanwhile). With a `turn`, the
    batch upserts in its turn (app/ingest/turns.py). Returns (written, unchanged, failures)."""
    analyzed, vectors = batch.analyzed, batch.vectors
    try:
        if not analyzed:
            return 0, batch.unchanged, []
        if turn is not None:
            turn.wait()  # before taking a connection: a small pool cannot be held by a batch that waits
        with pool.connection() as conn, conn.transaction():
            store.write_documents(
                conn,
                analyzed,
                *_vectors(vectors),
                model=_name(embedder),
                upserted=None if turn is None else turn.done,
            )
        return len(analyzed), batch.unchanged, []
    except psycopg.DataError:
        log.info("batch failed; retrying its documents one by one")
    finally:
        if turn is not None:
            turn.done()
    failures: list[tuple[Document, str]] = []
    written = 0
    for i, a in enumerate(analyzed):
        try:
            with pool.connection() as conn, conn.transaction():
                one = None if vectors is None else vectors.one(i)
                store.write_documents(conn, [a], *_vectors(one), model=_name(embedder))
            written += 1
        except psycopg.DataError as exc:
            failures.append((a.doc, (exc.diag.message_primary or str(exc)).strip()))
    return written, batch.unchanged, failures


def upsert_documents(
    pool: ConnectionPool, embedder: Embedder | None, docs: list[Document], plan: EmbedPlan | None = None
) -> tuple[int, int, list[tuple[Document, str]]]:
    """Store `docs` (unique ids): returns (written, unchanged, failures). Unchanged docs are not
    re-embedded."""
    return write_prepared(pool, embedder, prepare(pool, embedder, docs, plan or EmbedPlan()))


WRITERS = 2  # batches written at once (app/ingest/turns.py)


@dataclass
class _Batch:
    """A batch being tokenised (and embedded) while the next one is read: its place in the input, its
    result to come, its ids and their lines."""

    k: int
    ready: Callable[[], Prepared]
    ids: set[str]
    lines: dict[str, RawRecord]


@dataclass
class _InFlight:
    """A batch being written while the next ones are prepared."""

    write: Future[tuple[int, int, list[tuple[Document, str]]]]
    batch: _Batch


def ingest(
    pool: ConnectionPool,
    embedder: Embedder | None,
    raws: Iterable[RawRecord],
    fields: FieldMap,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
    plan: EmbedPlan | None = None,
    processes: int | None = 1,
    on_prepared: Callable[[Prepared], None] | None = None,
) -> IngestReport:
    """Ingest every good record; bad ones are reported with their line and skipped. Each batch is
    written by one of two writer threads while this one reads, tokenises (in `processes` worker
    processes when more than one; None: one per core after the input's first documents,
    app/ingest/tokenize.py) and embeds the next two: the workers get a batch before the one they
    tokenise is taken, so they never wait for this thread (the database works in its own processes
    meanwhile). A batch holding a document of an earlier batch not yet written waits for that write, so
    it reads the document as written. The two writes overlap, one batch's postings and statistics beside
    the next one's upsert, but the upserts take turns (app/ingest/turns.py): documents get their ids in
    the input's order, so equal scores break their ties the same way on every load. `on_prepared` sees
    each batch as it goes to be written."""
    plan = plan or EmbedPlan()
    report = IngestReport()
    turns = UpsertTurns()
    in_flight: deque[_InFlight] = deque()
    preparing: deque[_Batch] = deque()

    def finish(done: _InFlight) -> None:
        written, unchanged, failures = done.write.result()
        report.written += written
        report.unchanged += unchanged
        for doc, error in failures:
            raw = done.batch.lines[doc.external_id]
            report.bad.append(BadLine(raw.source, raw.line, error))

    def write_next() -> None:
        """The oldest batch being prepared, once ready, goes to a writer (at most WRITERS at once)."""
        batch = preparing.popleft()
        ready = batch.ready()
        while len(in_flight) >= WRITERS:
            finish(in_flight.popleft())
        if on_prepared is not None:
            on_prepared(ready)
        write = writer.submit(write_prepared, pool, embedder, ready, turns.turn(batch.k))
        in_flight.append(_InFlight(write, batch))

    with (
        Tokenizers(processes) as tokenizers,
        ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="ingest-write") as writer,
    ):
        for k, chunk in enumerate(batched(raws, batch_size)):
            parsed = parse(chunk, fields, report)
            ids = {d.external_id for _, d in parsed}
            while any(p.ids & ids for p in preparing):  # written before this batch reads them
                write_next()
            while any(f.batch.ids & ids for f in in_flight):  # the batches up to the last one holding an id
                finish(in_flight.popleft())
            if parsed:
                ready = start_prepare(pool, embedder, [d for _, d in parsed], plan, tokenizers)
                lines = {d.external_id: raw for raw, d in parsed}
                preparing.append(_Batch(k, ready, ids, lines))
            else:
                turns.done(k)  # nothing to write: the next batch need not wait for this one
            while len(preparing) > 1:
                write_next()
            if on_progress is not None:
                on_progress(len(chunk))
        while preparing:
            write_next()
        while in_flight:
            finish(in_flight.popleft())
    return report


__all__ = [
    "AnalyzedDocument",
    "BadLine",
    "EmbedPlan",
    "IngestReport",
    "batched",
    "ingest",
    "upsert_documents",
]
