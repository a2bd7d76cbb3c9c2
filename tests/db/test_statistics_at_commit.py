"""The BM25 statistics are folded at commit (sql/02_statistics.sql, migration 0024): a write of other
documents does not wait for a transaction still writing, the statistics are exact at every commit, and
the app's writes see their own statistics before they commit."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from app import store
from app.ingest.documents import Document, analyze
from tests.reference.test_bm25 import assert_stats_equal_recount

ANALYST_WRITE = """
WITH d AS (
    INSERT INTO public.documents (external_id, title, body, tsv, doc_len, title_len, content_hash)
    VALUES ('by-hand', '', '北京 上海', '''北京'':1 ''上海'':2', 2, 0, 'x') RETURNING id
)
INSERT INTO search.postings (term, doc_id, tf, dl, tf_title, tl, grp)
SELECT t, d.id, 1, 2, 0, 0, 0 FROM d, unnest(ARRAY['北京', '上海']) AS t
"""


def stats(conn: psycopg.Connection) -> tuple[int, int, int | None]:  # type: ignore[type-arg]
    row = conn.execute(
        "SELECT c.n_docs, c.total_len, (SELECT df FROM search.term_stats WHERE term = '北京')"
        " FROM search.corpus_stats AS c"
    ).fetchone()
    assert row is not None
    return row


def test_a_write_goes_on_beside_a_transaction_still_writing(pool: ConnectionPool) -> None:
    with pool.connection() as open_write:  # an analyst's write, left uncommitted
        open_write.execute(ANALYST_WRITE)
        assert stats(open_write) == (0, 0, None)  # folded at its commit, not before
        with pool.connection() as other:
            other.execute("SET lock_timeout = '2s'")  # it used to wait for the open write's commit
            store.write_documents(other, [analyze(Document("app", "", "北京 北京 天津"))], None)
            assert stats(other) == (1, 3, 1)  # its own statistics, before its commit
        open_write.commit()
        assert stats(open_write) == (2, 5, 2)
    assert_stats_equal_recount(pool)


def test_the_same_document_written_twice_at_once_queues(pool: ConnectionPool) -> None:
    """Two writes of the same document: the second waits for the first's commit."""
    doc = [analyze(Document("same", "", "北京"))]
    with pool.connection() as first:
        store.write_documents(first, doc, None)  # not committed yet
        with pool.connection() as second:
            second.execute("SET lock_timeout = '300ms'")
            try:
                store.write_documents(second, doc, None)
                raise AssertionError("the second write of the same document did not wait")
            except psycopg.errors.LockNotAvailable:
                second.rollback()
        first.commit()
    assert_stats_equal_recount(pool)


def test_rolled_back_writes_leave_the_statistics_as_they_were(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        store.write_documents(conn, [analyze(Document("a", "", "北京 上海"))], None)
        conn.commit()
        before = stats(conn)
        store.write_documents(conn, [analyze(Document("b", "", "北京"))], None)
        conn.execute(ANALYST_WRITE)
        conn.rollback()
        assert stats(conn) == before
        assert conn.execute("SELECT count(*) FROM search.stats_pending").fetchone() == (0,)
    assert_stats_equal_recount(pool)
