"""Writes and reads of documents, always through the SQL in app/queries (parameters, never formatting).

Every write keeps the row, its tsvector, its vector and the BM25 statistics in one transaction: the
postings are replaced here, and the statistics triggers (sql/0001_search.sql) follow them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import psycopg
from pgvector import SparseVector
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from app.db import query
from app.embedding.base import Embedder
from app.embedding.sparse import SparseWeights, sparse_embedder
from app.errors import ModelMismatch
from app.ingest.documents import AnalyzedDocument

MODEL_MISMATCH_SQLSTATE = "HS001"

# One document's passages: (start, end) in characters of its body, and the passage's vector.
Passages = list[tuple[int, int, np.ndarray]]


def register_model(conn: psycopg.Connection[Any], embedder: Embedder, with_sparse: bool = True) -> None:
    """Record the model on first use; ModelMismatch if the database's vectors come from another one.
    A model with a sparse head records its vocabulary size too (which types the sparse column), unless
    lexical weights are not to be stored (`with_sparse` False)."""
    sparse = sparse_embedder(embedder) if with_sparse else None
    params = {"name": embedder.name, "dim": embedder.dim, "sparse_dim": sparse.sparse_dim if sparse else None}
    try:
        with conn.transaction():
            conn.execute(query("register_model"), params)
    except psycopg.Error as exc:
        if exc.sqlstate == MODEL_MISMATCH_SQLSTATE:
            raise ModelMismatch(exc.diag.message_primary or str(exc)) from exc
        raise


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


def sparse_dim(conn: psycopg.Connection[Any]) -> int | None:
    """The sparsevec dimension recorded with the model (None: no lexical weights are stored)."""
    row = conn.execute(query("recorded_model")).fetchone()
    return None if row is None else row[2]


def write_documents(
    conn: psycopg.Connection[Any],
    docs: Sequence[AnalyzedDocument],
    passages: Sequence[Passages] | None,
    sparse: Sequence[SparseWeights] | None = None,
) -> list[int]:
    """Upsert `docs` (unique ids) with their passages' vectors, lexical weights and postings in the
    caller's transaction. The document's own `embedding` is its first passage's (the start, with the
    title). Lexical weights need the model registered with its sparse dimension."""
    sql = query("upsert_document")
    doc_ids: list[int] = []
    dim = sparse_dim(conn) if sparse is not None else None
    if sparse is not None and dim is None:
        raise ValueError("lexical weights given, but no sparse dimension is registered")
    with conn.cursor() as cur:
        for i, a in enumerate(docs):
            d = a.doc
            cur.execute(
                sql,
                {
                    "external_id": d.external_id,
                    "title": d.title,
                    "body": d.body,
                    "url": d.url,
                    "metadata": Jsonb(d.metadata),
                    "tsv": a.tsvector,
                    "doc_len": a.doc_len,
                    "title_len": a.title_len,
                    "embedding": None if passages is None else passages[i][0][2],
                    "sparse": None if sparse is None or dim is None else SparseVector(sparse[i], dim),
                    "content_hash": d.content_hash,
                },
            )
            row = cur.fetchone()
            assert row is not None
            doc_ids.append(int(row[0]))
        cur.execute(query("delete_postings"), {"doc_ids": doc_ids})
        cur.execute(query("delete_passages"), {"doc_ids": doc_ids})
        if passages is not None:
            cur.executemany(
                query("insert_passage"),
                [
                    {"doc_id": doc_id, "no": no, "start": s, "end": e, "embedding": vec}
                    for doc_id, doc_passages in zip(doc_ids, passages, strict=True)
                    for no, (s, e, vec) in enumerate(doc_passages)
                ],
            )
        terms: list[str] = []
        posting_ids: list[int] = []
        tfs: list[int] = []
        dls: list[int] = []
        title_tfs: list[int] = []
        title_lens: list[int] = []
        for doc_id, a in zip(doc_ids, docs, strict=True):
            for term, tf in a.term_freqs.items():
                terms.append(term)
                posting_ids.append(doc_id)
                tfs.append(tf)
                dls.append(a.doc_len)
                title_tfs.append(a.title_freqs.get(term, 0))
                title_lens.append(a.title_len)
        if terms:
            cur.execute(
                query("insert_postings"),
                {
                    "terms": terms,
                    "doc_ids": posting_ids,
                    "tfs": tfs,
                    "dls": dls,
                    "title_tfs": title_tfs,
                    "title_lens": title_lens,
                },
            )
    return doc_ids


def get_document(conn: psycopg.Connection[Any], external_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query("get_document"), {"id": external_id}).fetchone()


def delete_document(conn: psycopg.Connection[Any], external_id: str) -> bool:
    """Delete a document; its postings cascade and the triggers update the statistics."""
    return conn.execute(query("delete_document"), {"id": external_id}).fetchone() is not None
