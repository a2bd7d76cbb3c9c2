"""On cmrc2018: keyword-leg nDCG@10 equals bm25s's within 0.005 (before and after updates and deletes),
pages up to offset 1000 never repeat or skip, and the SQL fusion matches the pure Python one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import bm25s
import pytest
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app import cli, store
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.eval.beir import load_beir
from app.eval.metrics import score_run
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Fusion, Mode, SearchRequest, SearchService
from app.search.fusion import rrf_fuse
from app.text import configure, document_tokens, query_terms
from app.text.tokenizer import AnalyzerConfig
from tests.conftest import DATA, keyword_path, new_database, rows_read

CMRC = DATA / "cmrc2018"


def cmrc_docs() -> list[Document]:
    with (CMRC / "corpus.jsonl").open(encoding="utf-8") as fh:
        return [Document(r["_id"], r["title"], r["text"]) for r in map(json.loads, fh)]


def sentence_docs() -> list[Document]:
    """Each sentence of the sample's passages a document: enough documents (3,000+) to page to 1,000."""
    return [
        Document(f"{d.external_id}#{n}", d.title, sentence)
        for d in cmrc_docs()
        for n, sentence in enumerate(d.body.split("。"))
        if sentence.strip()
    ]


@pytest.fixture(scope="module")
def cmrc(
    server_url: str, template_url: str, tiny_m3: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ConnectionPool, Settings]]:
    yield from loaded_corpus(server_url, tiny_m3, tmp_path_factory, cmrc_docs())


@pytest.fixture(scope="module")
def sentences(
    server_url: str, template_url: str, tiny_m3: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ConnectionPool, Settings]]:
    yield from loaded_corpus(server_url, tiny_m3, tmp_path_factory, sentence_docs())


def loaded_corpus(
    server_url: str, tiny_m3: Embedder, tmp_path_factory: pytest.TempPathFactory, docs: list[Document]
) -> Iterator[tuple[ConnectionPool, Settings]]:
    from app.db import open_pool

    url = new_database(server_url)
    settings = Settings(database_url=url, hybrid_search_home=tmp_path_factory.mktemp("home"))
    pool = open_pool(url, settings, min_size=1)
    with pool.connection() as conn:
        store.register_model(conn, tiny_m3)
    for i in range(0, len(docs), 256):
        upsert_documents(pool, tiny_m3, docs[i : i + 256])
    with pool.connection() as conn:
        conn.autocommit = True
        # settle the indexes and the visibility map before pages and reads are compared (autovacuum
        # would do it at a moment of its own choosing, changing plans and heap fetches mid-module)
        conn.execute("VACUUM ANALYZE documents, search.postings, search.passages")
        conn.autocommit = False
    yield pool, settings
    pool.close()


def keyword_run(pool: ConnectionPool, queries: dict[str, str]) -> dict[str, list[str]]:
    run = {}
    with pool.connection() as conn:
        for qid, text in queries.items():
            rows = conn.execute(
                "SELECT d.external_id FROM search.keyword_ranks(%s, 10, title_weight => 1) r "
                "JOIN documents d ON d.id = r.doc_id ORDER BY r.rank",
                [query_terms(text)],
            ).fetchall()
            run[qid] = [r[0] for r in rows]
    return run


def bm25s_run(docs: list[Document], queries: dict[str, str]) -> dict[str, list[str]]:
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index(
        [[t.term for t in document_tokens(f"{d.title}\n{d.body}")] for d in docs], show_progress=False
    )
    vocab = retriever.vocab_dict
    run = {}
    for qid, text in queries.items():
        ids = [vocab[t] for t in query_terms(text) if t in vocab]
        if not ids:
            run[qid] = []
            continue
        scores = retriever.get_scores(ids)
        top = sorted((i for i in range(len(docs)) if scores[i] > 0), key=lambda i: (-scores[i], i))[:10]
        run[qid] = [docs[i].external_id for i in top]
    return run


@pytest.mark.parametrize(
    ("mode", "exact_below", "sparse"),
    [
        (Mode.hybrid, 0, False),
        (Mode.hybrid, 0, True),
        (Mode.keyword, 0, False),
        (Mode.semantic, 0, False),
        (Mode.semantic, 2000, False),
        (Mode.sparse, 0, False),
        (Mode.sparse, 2000, False),
    ],
)
def test_pages_of_ten_up_to_offset_1000_never_repeat_or_skip(
    sentences: tuple[ConnectionPool, Settings], tiny_m3: Embedder, mode: Mode, exact_below: int, sparse: bool
) -> None:
    """exact_below = 0 forces the HNSW index (the corpus is small enough for exact search otherwise)."""
    pool, settings = sentences
    settings = settings.model_copy(update={"exact_search_below": exact_below})
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    q = "的 是 中国"
    by_ten = [
        h.id
        for offset in range(0, 1010, 10)
        for h in service.search(
            SearchRequest(q, mode, limit=10, offset=offset, sparse=sparse), snippets=False
        ).hits
    ]
    by_hundred = [
        h.id
        for offset in range(0, 1010, 100)
        for h in service.search(
            SearchRequest(q, mode, limit=100, offset=offset, sparse=sparse), snippets=False
        ).hits
    ][: len(by_ten)]
    assert by_ten == by_hundred and len(set(by_ten)) == len(by_ten)
    if mode is Mode.sparse and exact_below == 0:
        # HNSW over inner products need not reach every document; what it reaches, it pages the same.
        assert len(by_ten) > 900
    else:
        assert len(by_ten) == 1010


def test_sql_rrf_equals_python_rrf_and_minmax_is_a_convex_score(
    cmrc: tuple[ConnectionPool, Settings], tiny_m3: Embedder
) -> None:
    pool, settings = cmrc
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    for text in ["战国无双3是由哪两个公司合作开发的", "北京 大学", "历史上的战争"]:
        terms, vec = query_terms(text), tiny_m3.encode([text])[0]
        with pool.connection() as conn:
            kw = conn.execute(
                "SELECT doc_id, rank FROM search.keyword_ranks(%s, 100, title_weight => 2)", [terms]
            ).fetchall()
            sem = conn.execute("SELECT doc_id, rank FROM search.semantic_ranks(%s, 100)", [vec]).fetchall()
            names = dict(conn.execute("SELECT id, external_id FROM documents").fetchall())
        expected = [
            (names[d], s)
            for d, s in rrf_fuse({"keyword": kw, "semantic": sem}, {"keyword": 2, "semantic": 1}, 30)[:50]
        ]
        res = service.search(
            SearchRequest(text, limit=50, rrf_k=30, keyword_weight=2), embedding=vec, snippets=False
        )
        assert [h.id for h in res.hits] == [e[0] for e in expected]
        assert [h.score for h in res.hits] == pytest.approx([e[1] for e in expected])

        mm = service.search(
            SearchRequest(text, limit=20, fusion=Fusion.minmax), embedding=vec, snippets=False
        )
        assert all(0 <= h.score <= 1 for h in mm.hits) and mm.fusion["method"] == "minmax"
        cut = service.search(
            SearchRequest(text, limit=100, fusion=Fusion.minmax, min_score=0.5), embedding=vec, snippets=False
        )
        assert cut.hits and all(h.score >= 0.5 for h in cut.hits)


def small_beir(tmp: Path, n_docs: int = 60) -> Path:
    docs = cmrc_docs()[:n_docs]
    ids = {d.external_id for d in docs}
    (tmp / "qrels").mkdir(parents=True)
    (tmp / "corpus.jsonl").write_text(
        "".join(
            json.dumps({"_id": d.external_id, "title": d.title, "text": d.body}, ensure_ascii=False) + "\n"
            for d in docs
        ),
        encoding="utf-8",
    )
    qrels = [
        line
        for line in (CMRC / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
        if line.split("\t")[1] in ids
    ]
    (tmp / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "\n".join(qrels) + "\n", encoding="utf-8"
    )
    empty = '{"_id": "EMPTY", "text": ""}\n'  # an empty query scores 0, it does not stop the run
    queries = empty + (CMRC / "queries.jsonl").read_text(encoding="utf-8")
    (tmp / "queries.jsonl").write_text(queries, encoding="utf-8")
    with (tmp / "qrels" / "test.tsv").open("a", encoding="utf-8") as fh:
        fh.write(f"EMPTY\t{docs[0].external_id}\t1\n")
    return tmp


def test_eval_cli_keyword_needs_no_model_and_all_modes_with_sweep(
    tmp_path: Path, tiny_m3_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    beir = small_beir(tmp_path / "beir")
    s = Settings(embedding_model=str(tmp_path / "no-such-model"), hybrid_search_home=tmp_path / "home")
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    assert cli.main(["eval", str(beir), "--mode", "keyword", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] is None and out["documents"] == 60 and out["modes"]["keyword"]["ndcg@10"] > 0.8

    s2 = s.model_copy(update={"embedding_model": str(tiny_m3_path)})
    monkeypatch.setattr(cli, "get_settings", lambda: s2)
    assert cli.main(["eval", str(beir), "--max-queries", "40", "--sweep", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    # The tiny bge-m3 has a sparse head: the sparse runs and the three-leg sweep points are there too.
    assert set(out["modes"]) == {"keyword", "semantic", "sparse", "hybrid", "hybrid+sparse"}
    assert out["queries"] == 40
    assert len(out["sweep"]) == 25 + 50 and all(0 <= r["ndcg@10"] <= 1 for r in out["sweep"])
    assert cli.main(["eval", str(beir), "--max-queries", "5", "--quiet"]) == 0
    assert "nDCG@10" in capsys.readouterr().out


# Every document's BM25 by brute force: all postings of the query terms, summed in term order (as
# search.keyword_ranks sums its final scores), ordered by score then id.
NAIVE_BM25 = """
WITH c AS (
  SELECT n_docs::float8 AS n,
         (total_len + (%(tw)s - 1) * total_title_len)::float8 / n_docs AS avgdl FROM search.corpus_stats
), w AS (
  SELECT q.term, q.qtf * ln(1 + (c.n - s.df + 0.5) / (s.df + 0.5)) AS weight
  FROM (SELECT t AS term, count(*) AS qtf FROM unnest(%(terms)s::text[]) AS t GROUP BY t) AS q
  JOIN search.term_stats AS s ON s.term = q.term CROSS JOIN c
)
SELECT p.doc_id, sum(search.bm25_term(w.weight, p.tf, p.tf_title, p.dl, p.tl, 1.2, 0.75, c.avgdl, %(tw)s)
                     ORDER BY p.term) AS s
FROM search.postings AS p JOIN w ON w.term = p.term CROSS JOIN c
GROUP BY p.doc_id ORDER BY s DESC, p.doc_id
"""


def test_keyword_top_k_is_exact_bm25(cmrc: tuple[ConnectionPool, Settings]) -> None:
    """keyword_ranks reads only what can reach the top k (impact-ordered lists, MaxScore): its top k must
    be exactly brute-force BM25's first k, scores and ties included; with another title weight (whole
    lists, search.keyword_ranks_scan) too, and with a filter. Each query is checked with the settings
    unset (on this sample most queries hold under 2,000 + 25 * k postings: one statement scores them all),
    without that scan (one long list beside lists of <= 200 postings is read as those and the long list's
    best), and through the MaxScore steps alone."""
    pool, _ = cmrc
    data = load_beir(CMRC)
    queries = [query_terms(q) for q in list(data.queries.values())[:150]]
    queries += [["的"], ["的", "是", "在"], ["战国", "的"], ["北京", "大学", "的", "历史"]]
    queries += [["的", "的", "年"]]  # a repeated term counts twice
    queries += [["的"] * 6 + ["了"] * 3 + query_terms(q) for q in list(data.queries.values())[150:170]]
    sql = "SELECT doc_id, rank, score FROM search.keyword_ranks(%s, %s, 1.2, 0.75, %s, %s)"
    with pool.connection() as conn:
        for scan_postings, short_postings in (("", ""), ("0", ""), ("0", "-1")):
            keyword_path(conn, scan_postings, short_postings)
            for terms in queries:
                for title_weight in (2.0, 1.0):
                    naive = conn.execute(NAIVE_BM25, {"terms": terms, "tw": title_weight}).fetchall()
                    for k in (1, 10, 100):
                        top = conn.execute(sql, [terms, k, None, title_weight]).fetchall()
                        where = (terms, k, title_weight, scan_postings, short_postings)
                        assert [r[0] for r in top] == [r[0] for r in naive[:k]], where
                        assert [r[1] for r in top] == list(range(1, len(top) + 1))
                        assert [r[2] for r in top] == pytest.approx([r[1] for r in naive[:k]], rel=1e-12)
            conn.rollback()
        f = Jsonb({"conditions": [{"path": ["nope"], "op": "exists"}]})
        assert conn.execute(sql, [queries[0], 10, f, 2.0]).fetchall() == []


def test_keyword_lookups_read_the_postings_key_alone(cmrc: tuple[ConnectionPool, Settings]) -> None:
    """Through the MaxScore steps, a candidate's posting of a term and the full scores are read from the
    postings' primary key alone (it carries tf, tf_title, dl and tl: migration 0035): once the table is
    vacuumed, no posting row is visited. Before 0035 each lookup read the row as well."""
    pool, _ = cmrc
    data = load_beir(CMRC)
    queries = [["的"] * 6 + ["了"] * 3 + query_terms(q) for q in list(data.queries.values())[150:160]]
    with pool.connection() as conn:
        conn.autocommit = True
        conn.execute("VACUUM search.postings")  # every page all-visible: index-only scans need no row
        conn.autocommit = False
        keyword_path(conn)
        before = rows_read(conn, "search.postings")
        for terms in queries:
            assert conn.execute("SELECT * FROM search.keyword_ranks(%s, 10)", [terms]).fetchall()
        assert rows_read(conn, "search.postings") == before
        conn.rollback()


def test_keyword_top_k_is_exact_bm25_under_a_text_filter(cmrc: tuple[ConnectionPool, Settings]) -> None:
    """With a filter the keyword leg scores whole lists and takes the filter's documents as a semi-join
    (search.scan_candidates, migration 0034): its top k is brute-force BM25's first k among the documents
    the filter holds, scores and ties included, for an excluded word, a phrase and either of two words."""
    pool, _ = cmrc
    data = load_beir(CMRC)
    queries = [query_terms(q) for q in list(data.queries.values())[:60]]
    queries += [["的", "是", "在"], ["战国", "的"], ["的"] * 3 + ["年"]]
    sql = "SELECT doc_id, rank, score FROM search.keyword_ranks(%s, %s, 1.2, 0.75, %s)"
    with pool.connection() as conn:
        for text in ("!'的'", "'战国' <-> '无双'", "'中国' | '日本'"):
            held = {r[0] for r in conn.execute("SELECT id FROM documents WHERE tsv @@ %s::tsquery", [text])}
            assert 0 < len(held) < 300, text
            for terms in queries:
                naive = [r for r in conn.execute(NAIVE_BM25, {"terms": terms, "tw": 2.0}) if r[0] in held]
                for k in (1, 10, 50):
                    top = conn.execute(sql, [terms, k, Jsonb({"text": text})]).fetchall()
                    assert [r[0] for r in top] == [r[0] for r in naive[:k]], (terms, k, text)
                    assert [r[2] for r in top] == pytest.approx([r[1] for r in naive[:k]], rel=1e-12)


def test_traditional_queries_rank_as_simplified_ones(
    cmrc: tuple[ConnectionPool, Settings], restore_analyzer: None
) -> None:
    """The sample's questions converted to Taiwan-standard traditional script (OpenCC s2twp, phrases
    too): keyword nDCG@10 within 0.01 of the simplified questions'. Without folding the gap is large,
    so this test can fail."""
    import opencc

    pool, _ = cmrc
    data = load_beir(CMRC)
    to_traditional = opencc.OpenCC("s2twp")
    traditional = {qid: to_traditional.convert(text) for qid, text in data.queries.items()}
    assert sum(traditional[q] != data.queries[q] for q in data.queries) > 0.9 * len(data.queries)
    simplified = score_run(keyword_run(pool, data.queries), data.qrels)["ndcg@10"]
    folded = score_run(keyword_run(pool, traditional), data.qrels)["ndcg@10"]
    assert abs(simplified - folded) <= 0.01, (simplified, folded)
    configure(AnalyzerConfig(fold_script=False))  # the documents stay as indexed (folded)
    unfolded = score_run(keyword_run(pool, traditional), data.qrels)["ndcg@10"]
    assert simplified - unfolded > 0.05, (simplified, unfolded)


# Last in the module: it changes the corpus the other tests here read.
def test_keyword_ndcg_equals_bm25s_before_and_after_changes(
    cmrc: tuple[ConnectionPool, Settings], tiny_m3: Embedder
) -> None:
    pool, _ = cmrc
    data = load_beir(CMRC)
    docs = cmrc_docs()
    ours = score_run(keyword_run(pool, data.queries), data.qrels)["ndcg@10"]
    ref = score_run(bm25s_run(docs, data.queries), data.qrels)["ndcg@10"]
    assert ours > 0.9 and abs(ours - ref) <= 0.005, (ours, ref)

    # a batch of updates and deletes, then the same comparison on the corpus as it now is
    changed = [Document(d.external_id, d.title, d.body[: len(d.body) // 2]) for d in docs[100:160]]
    upsert_documents(pool, tiny_m3, changed)
    with pool.connection() as conn:
        for d in docs[200:230]:
            store.delete_document(conn, d.external_id)
    deleted = {d.external_id for d in docs[200:230]}
    current = {d.external_id: d for d in docs if d.external_id not in deleted} | {
        d.external_id: d for d in changed
    }
    now = [current[d.external_id] for d in docs if d.external_id in current]
    ours = score_run(keyword_run(pool, data.queries), data.qrels)["ndcg@10"]
    ref = score_run(bm25s_run(now, data.queries), data.qrels)["ndcg@10"]
    assert abs(ours - ref) <= 0.005, (ours, ref)
    upsert_documents(pool, tiny_m3, [d for d in docs if d.external_id in deleted or d in docs[100:160]])
