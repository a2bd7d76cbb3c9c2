"""Crash-safe ingest: an ingest killed with SIGKILL in the middle leaves every document either whole
(row, tsvector, postings, passages with vectors, lexical weights) or absent, statistics equal to a
recount; running the same ingest again finishes the job without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from psycopg_pool import ConnectionPool

from app.ingest.documents import Document, analyze
from tests.reference.test_bm25 import assert_stats_equal_recount

N = 400


def _write_corpus(path: Path) -> None:
    topics = ["北京的天气", "上海的交通", "音乐会", "足球比赛", "人工智能"]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(N):
            text = f"{topics[i % 5]}，第{i}篇报道。" * (1 + i % 4)
            fh.write(
                json.dumps({"_id": f"c{i}", "title": f"标题{i}", "text": text}, ensure_ascii=False) + "\n"
            )


def _ingest(db_url: str, model: Path, corpus: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_MODEL": str(model), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "ingest", str(corpus), "--batch-size", "16", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _count(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])  # type: ignore[index]


def _assert_each_document_whole(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        rows = conn.execute(
            """SELECT d.id, d.title, d.body, d.doc_len, d.tsv <> ''::tsvector, d.embedding IS NOT NULL,
                      d.sparse IS NOT NULL, (SELECT count(*) FROM search.passages p WHERE p.doc_id = d.id),
                      (SELECT coalesce(jsonb_object_agg(term, tf), '{}')
                       FROM search.postings p WHERE p.doc_id = d.id)
               FROM documents d"""
        ).fetchall()
        for _, title, body, doc_len, has_tsv, has_vec, has_sparse, n_passages, postings in rows:
            expected = analyze(Document("x", title, body))
            assert has_tsv and has_vec and has_sparse and n_passages >= 1
            assert postings == expected.term_freqs and doc_len == expected.doc_len
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM search.postings p WHERE NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.id = p.doc_id)),"
            " (SELECT count(*) FROM search.passages p WHERE NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.id = p.doc_id))"
        ).fetchone()
        assert orphans == (0, 0)


def test_sigkill_mid_ingest_then_rerun(
    db_url: str, pool: ConnectionPool, tiny_m3_path: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus)
    proc = _ingest(db_url, tiny_m3_path, corpus)
    deadline = time.monotonic() + 120
    while _count(pool) < 48:  # a few batches in
        assert proc.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "the ingest wrote nothing"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    partial = _count(pool)
    assert 48 <= partial < N, partial
    _assert_each_document_whole(pool)
    assert_stats_equal_recount(pool)

    again = _ingest(db_url, tiny_m3_path, corpus)
    assert again.wait(300) == 0
    assert _count(pool) == N
    with pool.connection() as conn:
        assert conn.execute("SELECT count(DISTINCT external_id) FROM documents").fetchone() == (N,)
    _assert_each_document_whole(pool)
    assert_stats_equal_recount(pool)
