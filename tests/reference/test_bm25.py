"""Keyword leg parity: our SQL BM25 equals bm25s (method="lucene") fed the same tokens, to 1e-4,
before and after updates and deletes; the statistics always equal a recount."""

from __future__ import annotations

import json
import random
from typing import Any

import bm25s
import numpy as np
import pytest
from psycopg_pool import ConnectionPool

from app import store
from app.embedding.base import Embedder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.text import document_tokens, query_terms
from tests.conftest import DATA, keyword_path

N_DOCS = 250
N_QUERIES = 60


def load_cmrc() -> tuple[list[Document], list[str]]:
    docs: list[Document] = []
    with (DATA / "cmrc2018" / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            docs.append(Document(r["_id"], r["title"], r["text"]))
            if len(docs) == N_DOCS:
                break
    ids = {d.external_id for d in docs}
    queries: list[str] = []
    with (DATA / "cmrc2018" / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["_id"].rsplit("_QUERY_", 1)[0] in ids:
                queries.append(r["text"])
    queries += ["the of 的 是", "电影 音乐 历史", "1987年 美国", "完全不存在的词汇xyz"]
    return docs, queries[: N_QUERIES - 4] + queries[-4:]


def reference_scores(docs: list[Document], queries: list[str]) -> list[dict[str, float]]:
    """bm25s over exactly the tokens our engine indexes (title + body, jieba search mode)."""
    corpus_tokens = [[t.term for t in document_tokens(f"{d.title}\n{d.body}")] for d in docs]
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index(corpus_tokens, show_progress=False)
    vocab = set(retriever.vocab_dict)
    out: list[dict[str, float]] = []
    for q in queries:
        terms = [t for t in query_terms(q) if t in vocab]
        if not terms:
            out.append({})
            continue
        scores = retriever.get_scores(terms)
        out.append({docs[i].external_id: float(s) for i, s in enumerate(scores) if s > 0})
    return out


def engine_scores(pool: ConnectionPool, queries: list[str]) -> list[dict[str, float]]:
    out = []
    with pool.connection() as conn:
        for q in queries:
            rows = conn.execute(
                "SELECT d.external_id, r.score FROM search.keyword_ranks(%s, 100000, title_weight => 1) r "
                "JOIN documents d ON d.id = r.doc_id",
                [query_terms(q)],
            ).fetchall()
            out.append({r[0]: float(r[1]) for r in rows})
    return out


def assert_parity(pool: ConnectionPool, docs: list[Document], queries: list[str]) -> None:
    ref = reference_scores(docs, queries)
    ours = engine_scores(pool, queries)
    compared = 0
    for q, r, o in zip(queries, ref, ours, strict=True):
        assert set(o) == set(r), f"matched documents differ for {q!r}"
        for doc_id, score in r.items():
            assert o[doc_id] == pytest.approx(score, abs=1e-4), (q, doc_id)
            compared += 1
    assert compared > 500


def assert_stats_equal_recount(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        n, total = conn.execute("SELECT n_docs, total_len FROM search.corpus_stats").fetchone()  # type: ignore[misc]
        assert (n, total) == conn.execute(
            "SELECT count(*), coalesce(sum(doc_len), 0) FROM documents"
        ).fetchone()
        drift = conn.execute(
            """SELECT count(*) FROM search.term_stats s FULL JOIN
                 (SELECT term, count(*) AS df FROM search.postings GROUP BY term) p USING (term)
               WHERE s.df IS DISTINCT FROM p.df"""
        ).fetchone()
        assert drift == (0,)


def test_bm25_matches_bm25s_before_and_after_updates_and_deletes(
    pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    docs, queries = load_cmrc()
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
    written, _, failures = upsert_documents(pool, tiny_m3, docs)
    assert written == len(docs) and not failures
    assert_stats_equal_recount(pool)
    assert_parity(pool, docs, queries)

    rng = np.random.default_rng(7)
    order = rng.permutation(len(docs))
    updated = {docs[i].external_id for i in order[:30]}
    deleted = {docs[i].external_id for i in order[30:50]}
    new_docs: list[Document] = []
    for d in docs:
        if d.external_id in deleted:
            continue
        if d.external_id in updated:
            d = Document(d.external_id, d.title, d.body[: len(d.body) // 2] + " 更新后的内容 电影 音乐 历史")
        new_docs.append(d)
    new_docs += [
        Document(f"NEW_{i}", "新文档", f"第{i}篇 新增 电影 历史 1987年 美国 音乐") for i in range(10)
    ]

    upsert_documents(
        pool, tiny_m3, [d for d in new_docs if d.external_id in updated or d.external_id.startswith("NEW_")]
    )
    with pool.connection() as conn:
        for doc_id in deleted:
            assert store.delete_document(conn, doc_id)
    assert_stats_equal_recount(pool)
    assert_parity(pool, new_docs, queries)


def test_postings_hold_exact_term_frequencies(pool: ConnectionPool, tiny_m3: Embedder) -> None:
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
    upsert_documents(pool, tiny_m3, [Document("many", "", "猫 " * 400 + "狗")])
    with pool.connection() as conn:
        rows: list[Any] = conn.execute("SELECT term, tf, dl FROM search.postings ORDER BY term").fetchall()
    assert rows == [("狗", 1, 401), ("猫", 400, 401)]


def test_title_weight_is_bm25f_over_weighted_counts(pool: ConnectionPool, tiny_m3: Embedder) -> None:
    """Title weight w gives the scores of bm25s fed the title tokens w times (BM25F, one k1 and b)."""
    docs = [
        Document("t", "北京 故宫", "故宫 是 明清 两代 的 皇家 宫殿"),
        Document("b", "上海", "北京 故宫 北京 的 历史"),
        Document("x", "广州", "早茶 文化 历史"),
        Document("y", "历史", "北京 上海 广州"),
    ]
    upsert_documents(pool, tiny_m3, docs)
    for w in (1, 2, 3):
        corpus = [
            [t.term for t in document_tokens(d.title)] * w + [t.term for t in document_tokens(d.body)]
            for d in docs
        ]
        ref = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        ref.index(corpus, show_progress=False)
        terms = query_terms("北京 故宫 历史")
        expected = ref.get_scores([t for t in terms if t in ref.vocab_dict])
        with pool.connection() as conn:
            rows = conn.execute(
                "SELECT d.external_id, r.score FROM search.keyword_ranks(%s, 10, 1.2, 0.75, NULL, %s) r "
                "JOIN documents d ON d.id = r.doc_id",
                [terms, float(w)],
            ).fetchall()
        got = dict(rows)
        for d, score in zip(docs, expected, strict=True):
            if score > 0:
                assert got[d.external_id] == pytest.approx(float(score), abs=1e-4), (w, d.external_id)


def test_tied_documents_rank_by_id_on_every_keyword_path(pool: ConnectionPool, tiny_m3: Embedder) -> None:
    """Documents that tie (the same words, the same length) rank by id, whichever way keyword_ranks reads
    the lists: one statement over short lists, one long list's best postings per tf group beside the
    short lists, MaxScore (both settings off), and whole lists (search.keyword_ranks_scan, title weight
    1)."""
    docs = [Document(f"tie{i:02d}", "", "苹果 香蕉 橙子") for i in range(30)]
    docs += [Document(f"long{i:02d}", "", "苹果 香蕉 葡萄 西瓜 " * (i + 1)) for i in range(10)]
    upsert_documents(pool, tiny_m3, list(reversed(docs)))  # ids are not in external-id order
    sql = (
        "SELECT d.external_id FROM search.keyword_ranks(%s, %s, 1.2, 0.75, NULL, %s) r "
        "JOIN documents d ON d.id = r.doc_id ORDER BY r.rank"
    )
    with pool.connection() as conn:
        for terms in (["苹果"], ["苹果", "香蕉"], ["橙子", "葡萄"]):
            naive = [r[0] for r in conn.execute(NAIVE_BM25_IDS, {"terms": terms}).fetchall()]
            for scan_postings, short_postings in (("", ""), ("0", ""), ("0", "-1")):
                keyword_path(conn, scan_postings, short_postings)
                for k in (1, 5, 12, 40):
                    for title_weight in (2.0, 1.0):
                        got = [r[0] for r in conn.execute(sql, [terms, k, title_weight]).fetchall()]
                        assert got == naive[:k], (terms, k, scan_postings, short_postings, title_weight)
            conn.rollback()


def test_long_lists_tf_groups_found_by_skipping_give_exact_top_k(pool: ConnectionPool) -> None:
    """Lists longer than keyword_ranks' grouping limit (600 postings, migration 0039) have their tf groups
    found by skipping through the impact index, not by reading them: the bounds taken from those groups
    must keep the top k exact through the MaxScore steps (lists of 900 and 720 postings beside one of 600,
    tf 1-5, lengths varied; the cmrc sample has no list that long)."""
    rng = random.Random(3)
    fillers = ["桌子", "椅子", "窗户", "台灯", "书架", "地毯", "沙发", "镜子"]
    docs = []
    for i in range(900):
        words = ["苹果"] * rng.randint(1, 5)
        words += ["香蕉"] * rng.randint(1, 4) if i % 10 < 8 else []  # ~720 documents
        words += ["葡萄"] * rng.randint(1, 3) if i % 3 else []  # ~600 documents
        words += ["西瓜"] if i % 37 == 0 else []
        words += rng.choices(fillers, k=rng.randint(0, 40))
        rng.shuffle(words)
        docs.append(Document(f"d{i:03d}", "", " ".join(words)))
    upsert_documents(pool, None, docs)
    sql = (
        "SELECT d.external_id FROM search.keyword_ranks(%s, %s) r "
        "JOIN documents d ON d.id = r.doc_id ORDER BY r.rank"
    )
    with pool.connection() as conn:
        dfs = dict(conn.execute("SELECT term, df FROM search.term_stats WHERE df > 600").fetchall())
        assert {"苹果", "香蕉"} <= set(dfs), dfs
        keyword_path(conn)
        for terms in (["苹果", "香蕉"], ["苹果", "香蕉", "葡萄"], ["西瓜", "香蕉", "苹果", "葡萄"]):
            naive = [r[0] for r in conn.execute(NAIVE_BM25_IDS, {"terms": terms}).fetchall()]
            for k in (1, 10, 50):
                assert [r[0] for r in conn.execute(sql, [terms, k]).fetchall()] == naive[:k], (terms, k)
        conn.rollback()


# Brute-force BM25 order (score, then id) of every document holding a term, as external ids.
NAIVE_BM25_IDS = """
WITH c AS (SELECT n_docs::float8 AS n, total_len::float8 / n_docs AS avgdl FROM search.corpus_stats),
w AS (
  SELECT s.term, ln(1 + (c.n - s.df + 0.5) / (s.df + 0.5)) AS weight
  FROM search.term_stats AS s CROSS JOIN c WHERE s.term = ANY(%(terms)s::text[])
), scored AS (
  SELECT p.doc_id, sum(search.bm25_term(w.weight, p.tf, p.tf_title, p.dl, p.tl, 1.2, 0.75, c.avgdl, 2)
                       ORDER BY p.term) AS s
  FROM search.postings AS p JOIN w ON w.term = p.term CROSS JOIN c GROUP BY p.doc_id
)
SELECT d.external_id FROM scored JOIN documents AS d ON d.id = scored.doc_id ORDER BY scored.s DESC, d.id
"""


def test_an_analysts_sql_delete_takes_postings_and_passages_with_it(
    pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    """No per-row foreign keys: a statement-level trigger removes what belonged to deleted documents."""
    docs = [Document(str(i), "标题", f"北京 大学 第{i}篇 正文") for i in range(20)]
    upsert_documents(pool, tiny_m3, docs)
    with pool.connection() as conn:
        conn.execute("DELETE FROM documents WHERE external_id IN ('3', '4', '5')")
        conn.commit()
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM search.postings p WHERE NOT EXISTS "
            "(SELECT 1 FROM documents d WHERE d.id = p.doc_id)), "
            "(SELECT count(*) FROM search.passages p WHERE NOT EXISTS "
            "(SELECT 1 FROM documents d WHERE d.id = p.doc_id))"
        ).fetchone()
        assert orphans == (0, 0)
        assert conn.execute("SELECT count(DISTINCT doc_id) FROM search.passages").fetchone() == (17,)
    assert_stats_equal_recount(pool)
