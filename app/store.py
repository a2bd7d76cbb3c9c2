"""Writes and reads of documents, always through the SQL in app/queries (parameters, never formatting).

Every write keeps the row, its tsvector, its vector and the BM25 statistics in one transaction: the
postings are replaced here, and the statistics triggers (sql/02_statistics.sql) follow them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import psycopg
from pgvector import HalfVector, SparseVector
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb

from app.config import Settings
from app.db import domain_errors, query
from app.embedding.base import Embedder
from app.embedding.sparse import SparseWeights, sparse_embedder
from app.ingest.documents import AnalyzedDocument

# One document's passages: (start, end) in characters of its body, and the passage's vector.
Passages = list[tuple[int, int, np.ndarray]]


@dataclass(frozen=True)
class VectorIndex:
    """How the model's first registration stores and indexes vectors; later ones keep what is recorded."""

    storage: Literal["vector", "halfvec"] = "vector"
    m: int = 16
    ef_construction: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> VectorIndex:
        return cls(settings.vector_storage, settings.hnsw_m, settings.hnsw_ef_construction)


def register_model(
    conn: psycopg.Connection[Any],
    embedder: Embedder,
    with_sparse: bool = True,
    index: VectorIndex | None = None,
) -> None:
    """Record the model on first use; ModelMismatch if the database's vectors come from another one.
    A model with a sparse head records its vocabulary size too (which types the sparse column), unless
    lexical weights are not to be stored (`with_sparse` False). The first registration types and indexes
    the vector columns as `index` says."""
    sparse = sparse_embedder(embedder) if with_sparse else None
    index = index or VectorIndex()
    params = {
        "name": embedder.name,
        "dim": embedder.dim,
        "sparse_dim": sparse.sparse_dim if sparse else None,
        "storage": index.storage,
        "m": index.m,
        "ef_construction": index.ef_construction,
    }
    with domain_errors(), conn.transaction():
        conn.execute(query("register_model"), params)


def model_mismatch(conn: psycopg.Connection[Any], name: str, dim: int) -> str | None:
    """Why `name`/`dim` cannot be used with this database, or None when it can (nothing recorded yet too)."""
    row = conn.execute(query("recorded_model")).fetchone()
    if row is None or (row[0] == name and row[1] == dim):
        return None
    return (
        f"embedding model mismatch: the database holds {row[1]}-d vectors from {row[0]}, "
        f"but the configured model is {name} ({dim}-d)"
    )


class Stored(NamedTuple):
    """What is stored of a document already: its content hash, and which vectors it has."""

    content_hash: str
    has_embedding: bool
    has_sparse: bool


def stored_versions(conn: psycopg.Connection[Any], ids: Sequence[str]) -> dict[str, Stored]:
    rows = conn.execute(query("existing_hashes"), {"ids": list(ids)}).fetchall()
    return {r[0]: Stored(r[1], r[2], r[3]) for r in rows}


def recorded_index(conn: psycopg.Connection[Any]) -> VectorIndex | None:
    """How the database stores and indexes vectors (None: no model registered yet)."""
    row = conn.execute(query("recorded_model")).fetchone()
    return _index_of(row)


def _index_of(row: Sequence[Any] | None) -> VectorIndex | None:
    return None if row is None else VectorIndex(row[3], row[4], row[5])


def write_documents(
    conn: psycopg.Connection[Any],
    docs: Sequence[AnalyzedDocument],
    passages: Sequence[Passages] | None,
    sparse: Sequence[SparseWeights] | None = None,
    model: str | None = None,
    upserted: Callable[[], None] | None = None,
) -> list[int]:
    """Upsert `docs` (unique ids) with their passages' vectors, lexical weights and postings in the
    caller's transaction, all through binary COPY: the documents into a staging table and from there
    upserted by one statement (so the statistics triggers fire once per batch), their passages and
    postings straight into their tables. The document's own `embedding` is its first passage's (the
    start, with the title). Lexical weights need the model registered with its sparse dimension.
    `model`, the vectors' model, is checked against the database's under the documents' write lock, so
    vectors made just before a reembed's swap are refused (ModelMismatch), never mixed in. `upserted`
    is called once the documents have their ids (an ingest's next batch may then upsert:
    app/ingest/turns.py)."""
    if not docs:
        return []
    recorded = conn.execute(query("recorded_model")).fetchone()  # one read for both below
    dim = recorded[2] if sparse is not None and recorded is not None else None
    if sparse is not None and dim is None:
        raise ValueError("lexical weights given, but no sparse dimension is registered")
    index = _index_of(recorded) if passages is not None else None
    half = index is not None and index.storage == "halfvec"
    # One transaction even on an autocommit connection (the staging table empties at commit).
    with conn.transaction(), conn.cursor() as cur, write_locks(cur, [a.doc.external_id for a in docs]):
        if model is not None and passages is not None:
            with domain_errors(), conn.transaction():
                cur.execute(query("check_model"), {"model": model})
        cur.execute(query("stage_documents"))
        with cur.copy(query("copy_staged_documents")) as copy:
            copy.set_types(STAGED_TYPES)
            for i, a in enumerate(docs):
                d = a.doc
                copy.write_row(
                    (
                        d.external_id,
                        d.title,
                        d.body,
                        d.url,
                        Jsonb(d.metadata),
                        a.tsvector,
                        a.doc_len,
                        a.title_len,
                        None if passages is None else passages[i][0][2],
                        None if sparse is None or dim is None else SparseVector(sparse[i], dim),
                        d.content_hash,
                        a.pinyin.tsvector,
                        a.pinyin.length,
                    )
                )
        cur.execute(query("delete_staged_postings"))
        ids = dict(cur.execute(query("upsert_staged_documents")).fetchall())
        if upserted is not None:
            upserted()
        doc_ids = [int(ids[a.doc.external_id]) for a in docs]
        cur.execute(query("delete_passages"), {"doc_ids": doc_ids})
        if passages is not None:
            with cur.copy(query("copy_passages")) as copy:
                copy.set_types(["int8", "int4", "int4", "int4", "halfvec" if half else "vector"])
                for doc_id, doc_passages in zip(doc_ids, passages, strict=True):
                    for no, (start, end, vec) in enumerate(doc_passages):
                        copy.write_row((doc_id, no, start, end, HalfVector(vec) if half else vec))
        write_postings(cur, list(zip(doc_ids, docs, strict=True)))
    return doc_ids


def write_postings(cur: psycopg.Cursor[Any], docs: list[tuple[int, AnalyzedDocument]]) -> None:
    """COPY the stored documents' exact term frequencies (their old postings deleted before), each
    with its document's metadata group, so facet counts read the postings alone."""
    ids = [doc_id for doc_id, _ in docs]
    with cur.connection.cursor(row_factory=tuple_row) as rows:  # whatever the caller's row factory
        groups: dict[int, int] = dict(rows.execute(query("metadata_groups"), {"doc_ids": ids}).fetchall())
    with cur.copy(query("copy_postings")) as copy:
        copy.set_types(["text", "int8", "int4", "int4", "int4", "int4", "int4"])
        for doc_id, a in docs:
            grp = groups[doc_id]
            for term, tf in a.term_freqs.items():
                copy.write_row((term, doc_id, tf, a.doc_len, a.title_freqs.get(term, 0), a.title_len, grp))


# Column types of the staging table, in COPY order (see app/queries/stage_documents.sql).
STAGED_TYPES = [
    "text",
    "text",
    "text",
    "text",
    "jsonb",
    "text",
    "int4",
    "int4",
    "vector",
    "sparsevec",
    "text",
    "text",
    "int4",
]


def get_document(conn: psycopg.Connection[Any], external_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query("get_document"), {"id": external_id}).fetchone()


@contextmanager
def write_locks(
    cur: psycopg.Cursor[Any], external_ids: Sequence[str] = (), doc_ids: Sequence[int] = ()
) -> Iterator[None]:
    """A write's block: first its locks, in the one order every writer takes them (the documents table,
    after a reembed's swap, which holds it; then the keys of the documents it writes, given by external
    id or stored id, before any row), and at its end the write's statistics folded (sql/02_statistics.sql):
    the rest of its transaction reads them, and their rows are held only until the commit that follows.
    Writes of other documents do not wait for this one."""
    cur.execute(query("lock_documents_for_write"))
    cur.execute(query("lock_documents_keys"), {"external_ids": list(external_ids), "doc_ids": list(doc_ids)})
    yield
    cur.execute(query("fold_statistics"))


def delete_document(conn: psycopg.Connection[Any], external_id: str) -> bool:
    """Delete a document; its postings cascade and the triggers update the statistics."""
    with conn.transaction(), conn.cursor() as cur, write_locks(cur, [external_id]):
        return cur.execute(query("delete_document"), {"id": external_id}).fetchone() is not None


def retokenize(conn: psycopg.Connection[Any], docs: list[tuple[int, AnalyzedDocument]]) -> None:
    """Write stored documents' new tokens (tsvector, lengths, pinyin, postings, content hash) and keep
    their vectors, in one transaction under the write locks; the triggers keep the statistics exact."""
    if not docs:
        return
    ids = [doc_id for doc_id, _ in docs]
    with conn.transaction(), conn.cursor() as cur, write_locks(cur, doc_ids=ids):
        cur.execute(
            query("retokenize_write"),
            {
                "ids": ids,
                "tsv": [a.tsvector for _, a in docs],
                "doc_len": [a.doc_len for _, a in docs],
                "title_len": [a.title_len for _, a in docs],
                "pinyin": [a.pinyin.tsvector for _, a in docs],
                "pinyin_len": [a.pinyin.length for _, a in docs],
                "content_hash": [a.doc.content_hash for _, a in docs],
            },
        )
        cur.execute(query("delete_postings"), {"doc_ids": ids})
        write_postings(cur, docs)
