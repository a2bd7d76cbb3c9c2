"""Alembic owns the schema: downgrade to base and upgrade to head work on a database holding data."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from app import store
from app.db import downgrade, psycopg_url, upgrade
from app.embedding.base import Embedder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents


def test_downgrade_base_then_upgrade_head_with_data(
    db_url: str, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
    upsert_documents(pool, tiny_m3, [Document(str(i), "标题", f"正文 {i}") for i in range(5)])
    with pool.connection() as conn:
        idx = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'documents_embedding_hnsw'"
        ).fetchone()
    assert idx is not None and "vector_cosine_ops" in idx[0]
    pool.close()

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
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)
