"""Alembic owns the schema: every revision upgrades and downgrades on a database holding data."""

from __future__ import annotations

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from app import store
from app.db import downgrade, psycopg_url, upgrade
from app.embedding.base import Embedder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents


def index_def(conn: psycopg.Connection, name: str) -> str | None:
    row = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name]).fetchone()
    return None if row is None else str(row[0])


def test_downgrade_base_then_upgrade_head_with_data(
    db_url: str, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
    upsert_documents(pool, tiny_m3, [Document(str(i), "标题", f"正文 {i}") for i in range(5)])
    with pool.connection() as conn:
        assert "vector_cosine_ops" in (index_def(conn, "passages_embedding_hnsw") or "")
    pool.close()

    downgrade(db_url, "0001")
    with psycopg.connect(psycopg_url(db_url)) as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE embedding IS NOT NULL").fetchone() == (5,)
        assert "vector_cosine_ops" in (index_def(conn, "documents_embedding_hnsw") or "")
    downgrade(db_url, "base")
    with psycopg.connect(psycopg_url(db_url)) as conn:
        assert conn.execute(
            "SELECT to_regclass('public.documents'), to_regnamespace('search')"
        ).fetchone() == (
            None,
            None,
        )
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url)) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone() == (0,)
        assert conn.execute("SELECT n_docs, total_len FROM search.corpus_stats").fetchone() == (0, 0)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0009",)


def test_upgrade_from_0001_keeps_vectors_searchable(db_url: str) -> None:
    """A database filled under 0001 (one vector per document) gets one passage per document."""
    downgrade(db_url, "0001")
    vec = np.zeros(8, dtype=np.float32)
    vec[0] = 1.0
    with psycopg.connect(psycopg_url(db_url)) as conn:
        register_vector(conn)
        conn.execute("SELECT search.register_model('m', 8)")
        conn.execute(
            "INSERT INTO documents (external_id, body, tsv, doc_len, embedding, content_hash) "
            "VALUES ('old', 'old text', '''old'':1', 1, %s, 'h')",
            [vec],
        )
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url)) as conn:
        register_vector(conn)
        assert conn.execute(
            "SELECT doc_id IS NOT NULL, start_char, end_char FROM search.passages"
        ).fetchone() == (
            True,
            0,
            8,
        )
        assert "vector_cosine_ops" in (index_def(conn, "passages_embedding_hnsw") or "")
        hits = conn.execute("SELECT id, score FROM search.semantic(%s, 5)", [vec]).fetchall()
        assert hits == [("old", 1.0)]
