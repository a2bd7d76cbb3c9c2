"""Vector storage chosen at the first registration: halfvec columns and index, searched with the same
SQL as vector ones; a later registration keeps what is recorded; a downgrade turns them back."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from app import store
from app.config import Settings
from app.db import downgrade, psycopg_url, upgrade
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import EmbedPlan, upsert_documents
from app.search import Mode, SearchRequest, SearchService

TOPICS = ["apples and pears in the orchard", "football match results", "train timetables", "baking bread"]
DOCS = [Document(str(i), f"note {i}", f"{TOPICS[i % 4]}, part {i}") for i in range(30)]


def column_types(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'embedding' "
        "AND attrelid IN ('public.documents'::regclass, 'search.passages'::regclass) ORDER BY attrelid"
    ).fetchall()
    return [r[0] for r in rows]


def test_halfvec_storage_is_searchable_and_downgrades(
    db_url: str, pool: ConnectionPool, settings: Settings, minilm: Embedder
) -> None:
    s = settings.model_copy(update={"vector_storage": "halfvec", "hnsw_m": 8, "hnsw_ef_construction": 32})
    plan = EmbedPlan.from_settings(s)
    assert plan.index == store.VectorIndex("halfvec", 8, 32)
    assert upsert_documents(pool, minilm, DOCS, plan)[0] == len(DOCS)
    with pool.connection() as conn:
        assert column_types(conn) == [f"halfvec({minilm.dim})"] * 2
        indexdef = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'passages_embedding_hnsw'"
        ).fetchone()[0]  # type: ignore[index]
        assert "halfvec_cosine_ops" in indexdef and "m='8'" in indexdef and "ef_construction='32'" in indexdef
        assert store.recorded_index(conn) == store.VectorIndex("halfvec", 8, 32)
        # a later registration with other settings keeps what is recorded
        store.register_model(conn, minilm, index=store.VectorIndex("vector", 16, 64))
        assert store.recorded_index(conn) == store.VectorIndex("halfvec", 8, 32)

    # the semantic leg answers from halfvec vectors, exact and through the index, the same documents
    service = SearchService(pool, ModelHolder.ready(minilm), s)
    exact = service.search(SearchRequest("fruit trees", Mode.semantic, limit=5))
    indexed = SearchService(pool, ModelHolder.ready(minilm), s.model_copy(update={"exact_search_below": 0}))
    via_index = indexed.search(SearchRequest("fruit trees", Mode.semantic, limit=5))
    assert len(exact.hits) == 5 and {h.id for h in via_index.hits} == {h.id for h in exact.hits}
    assert all(int(h.id) % 4 == 0 for h in exact.hits)  # the orchard notes
    assert service.search(SearchRequest("fruit trees", Mode.hybrid, limit=5)).hits
    # re-ingesting changed documents writes halfvec passages again
    changed = [Document(d.external_id, d.title, d.body + " (revised)") for d in DOCS[:3]]
    assert upsert_documents(pool, minilm, changed, plan)[0] == 3
    pool.close()

    downgrade(db_url, "0005")
    with psycopg.connect(psycopg_url(db_url)) as conn:
        assert column_types(conn) == [f"vector({minilm.dim})"] * 2
        stored = conn.execute("SELECT count(*) FROM search.passages WHERE embedding IS NOT NULL").fetchone()
        assert stored == (len(DOCS),)
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url)) as conn:
        assert store.recorded_index(conn) == store.VectorIndex("vector", 16, 64)


def test_index_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="twice HNSW_M"):
        Settings(hnsw_m=32, hnsw_ef_construction=40)
    with pytest.raises(ValueError):
        Settings(vector_storage="float8")  # type: ignore[arg-type]
