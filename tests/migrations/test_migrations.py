"""Alembic owns the schema: every revision upgrades and downgrades on a database holding data."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from app import store
from app.db import alembic_config, downgrade, open_pool, psycopg_url, revisions, schema_files, upgrade
from app.embedding.base import Embedder
from app.embedding.synthetic import SyntheticEmbedder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from tests.conftest import url_for_db
from tests.migrations.catalog import differences, snapshot


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
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (revisions(db_url)[1],)


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


def empty_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url_for_db(server_url, name)


def head_catalog(template_url: str) -> dict[str, Any]:
    with psycopg.connect(psycopg_url(template_url)) as conn:
        return snapshot(conn)


def test_sql_folder_is_exactly_what_upgrade_head_installs(server_url: str, template_url: str) -> None:
    """sql/ is the schema's current state: applied in order to an empty database, it gives the same
    functions, tables, columns, constraints, indexes, views, triggers, comments and privileges as every
    migration up to head (so a change to sql/ without a revision, or the reverse, fails here)."""
    url = empty_database(server_url, f"hs_declarative_{os.getpid()}")
    with psycopg.connect(psycopg_url(url)) as conn:
        for path in schema_files():
            conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[call-overload]
    with psycopg.connect(psycopg_url(url)) as conn:
        declared = snapshot(conn)
    assert not differences(head_catalog(template_url), declared)
    assert any(k.startswith("function search.hybrid(") for k in declared)


def test_each_downgrade_gives_that_revision_and_upgrade_gives_head(
    server_url: str, db_url: str, template_url: str
) -> None:
    """Down from head to every revision: the same catalog as a fresh database upgraded to it (a downgrade
    that replays an older file must not leave another revision's function behind); and up again: the
    same catalog as a fresh `upgrade head`."""
    from alembic.script import ScriptDirectory

    head = head_catalog(template_url)
    script = ScriptDirectory.from_config(alembic_config(db_url))
    revisions = [r.revision for r in script.walk_revisions()][1:]  # newest first, head left out
    assert len(revisions) >= 9 and revisions[-1] == "0001"
    for revision in [*revisions, "base"]:
        fresh = empty_database(server_url, f"hs_at_{revision}_{os.getpid()}")
        upgrade(fresh, revision)
        with psycopg.connect(psycopg_url(fresh)) as conn:
            expected = snapshot(conn)
        downgrade(db_url, revision)
        with psycopg.connect(psycopg_url(db_url)) as conn:
            found = snapshot(conn)
        if revision == "base":  # 0001's downgrade keeps the vector extension (other schemas may use it)
            found["extensions"] = expected["extensions"]
        problems = differences(expected, found)
        assert not problems, f"down to {revision} (fresh, then downgraded):\n" + "\n".join(problems)
        upgrade(db_url)
        with psycopg.connect(psycopg_url(db_url)) as conn:
            problems = differences(head, snapshot(conn))
        assert not problems, f"down to {revision} and up again:\n" + "\n".join(problems)


def test_0019_groups_stored_postings_and_a_deferred_impact_index(
    db_url: str, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    """Postings stored before 0019 get their documents' metadata groups; an impact index a bulk load
    left deferred is built with the group column when the load is finished."""
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
        head_def = index_def(conn, "postings_impact")
    docs = [Document(str(i), "", f"正文 {i}", metadata={"k": i % 2}) for i in range(6)]
    upsert_documents(pool, tiny_m3, docs)
    pool.close()
    downgrade(db_url, "0018")
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        assert "grp" not in (index_def(conn, "postings_impact") or "")
        conn.execute("SELECT search.defer_indexes()").fetchall()  # a bulk load interrupted
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        groups = conn.execute(
            "SELECT d.metadata, count(DISTINCT p.grp), count(*) FROM search.postings AS p "
            "JOIN documents AS d ON d.id = p.doc_id JOIN search.metadata_groups AS g ON g.id = p.grp "
            "WHERE g.metadata = d.metadata GROUP BY 1 ORDER BY 1"
        ).fetchall()
        total = conn.execute("SELECT count(*) FROM search.postings").fetchone()
        assert [g[1] for g in groups] == [1, 1] and sum(g[2] for g in groups) == (total or [0])[0] > 0
        assert index_def(conn, "postings_impact") is None
        conn.execute("SELECT search.restore_indexes()").fetchall()
        assert index_def(conn, "postings_impact") == head_def


def toast_bytes(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(
        "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = %s::regclass", [table]
    ).fetchone()
    return int(row[0]) if row else -1


def test_0027_moves_stored_vectors_inline(db_url: str, settings: Any) -> None:
    """halfvec(1024) passages written under 0026 sit in TOAST; upgraded, they are read from their rows
    (the TOAST table empty) and found by the HNSW index as before."""
    model = SyntheticEmbedder(1024)
    downgrade(db_url, "0026")
    with open_pool(db_url, settings, min_size=1) as old:
        with old.connection() as conn:
            store.register_model(conn, model, index=store.VectorIndex("halfvec"))
        upsert_documents(old, model, [Document(str(i), "", f"正文 {i}") for i in range(20)])
        with old.connection() as conn:
            assert toast_bytes(conn, "search.passages") > 0
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        register_vector(conn)
        assert toast_bytes(conn, "search.passages") == 0
        assert conn.execute("SELECT count(*) FROM search.passages").fetchone() == (20,)
        assert "halfvec_cosine_ops" in (index_def(conn, "passages_embedding_hnsw") or "")
        query = model.encode(["正文 7"])[0]
        top = conn.execute(
            "SELECT d.external_id FROM search.semantic_ranks(%s, 1) AS r "
            "JOIN documents AS d ON d.id = r.doc_id",
            [query],
        ).fetchone()
        assert top == ("7",)


def test_0030_writes_documents_vectors_inline_and_keeps_the_old_ones(db_url: str, settings: Any) -> None:
    """Under 0029 a halfvec(1024) document's vector goes to TOAST; upgraded, documents written keep it
    in their row (the TOAST table does not grow), those stored before stay readable, and both find
    their neighbours from their stored vector."""
    model = SyntheticEmbedder(1024)
    downgrade(db_url, "0029")
    with open_pool(db_url, settings, min_size=1) as old:
        with old.connection() as conn:
            store.register_model(conn, model, index=store.VectorIndex("halfvec"))
        upsert_documents(old, model, [Document(f"old{i}", "", f"正文 {i}") for i in range(20)])
        with old.connection() as conn:
            toasted = toast_bytes(conn, "public.documents")
            assert toasted > 0
    upgrade(db_url)
    with open_pool(db_url, settings, min_size=1) as new:
        upsert_documents(new, model, [Document(f"new{i}", "", f"正文 {i}") for i in range(20)])
        with new.connection() as conn:
            register_vector(conn)
            assert toast_bytes(conn, "public.documents") == toasted  # 20 more vectors, none in TOAST
            for doc in ("old7", "new7"):
                stored = conn.execute(
                    "SELECT embedding::vector FROM documents WHERE external_id = %s", [doc]
                ).fetchone()[0]
                assert stored is not None and len(stored.to_numpy()) == 1024
                near = conn.execute("SELECT id FROM search.similar(%s, 1, %s)", [stored, doc]).fetchone()
                assert near is not None and near[0] in ("old7", "new7") and near[0] != doc  # its twin


def test_0029_keeps_the_postings_and_statistics_and_compares_terms_bytewise(
    db_url: str, settings: Any
) -> None:
    """Postings and statistics written under 0028 stay as they were, now in COLLATE "C" (the indexes on
    the terms rebuilt), and the keyword leg finds the same documents with the same scores."""
    downgrade(db_url, "0028")
    with open_pool(db_url, settings, min_size=1) as old:
        upsert_documents(old, None, [Document(str(i), "标题", f"北京 大学 正文 Z{i % 3}") for i in range(30)])
        with old.connection() as conn:
            before = _terms_and_ranks(conn)
            assert _term_collations(conn) == {"default"}
    upgrade(db_url)
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        assert _term_collations(conn) == {"C"}
        assert _terms_and_ranks(conn) == before


def _terms_and_ranks(conn: psycopg.Connection) -> tuple[Any, ...]:
    postings = conn.execute("SELECT term, doc_id, tf FROM search.postings ORDER BY 1, 2").fetchall()
    stats = conn.execute("SELECT term, df FROM search.term_stats ORDER BY 1").fetchall()
    ranks = conn.execute(
        "SELECT doc_id, rank, score FROM search.keyword_ranks(ARRAY['北京', 'z1'], 20)"
    ).fetchall()
    assert len(stats) == 7 and len(ranks) == 20
    return postings, stats, ranks


def _term_collations(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT coalesce(c.collname, 'default') FROM pg_attribute AS a "
        "LEFT JOIN pg_collation AS c ON c.oid = a.attcollation AND c.collname <> 'default' "
        "WHERE a.attrelid IN ('search.postings'::regclass, 'search.term_stats'::regclass) "
        "AND a.attname = 'term'"
    ).fetchall()
    return {r[0] for r in rows}
