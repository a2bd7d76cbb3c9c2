"""The learned sparse leg: bge-m3 lexical weights stored as sparsevec, searched by inner product, fused as a
third leg and switchable per request. The tiny random-weight bge-m3 has a real sparse head, so the
mechanics are exact here even though its weights mean nothing."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from pgvector import SparseVector
from psycopg_pool import ConnectionPool

from app import store
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.bge_m3 import BGEM3Embedder
from app.embedding.loader import ModelHolder
from app.embedding.sparse import (
    from_token_weights,
    lexical_score,
    merge_max,
    sparse_embedder,
    top_weights,
)
from app.errors import InvalidQuery
from app.ingest.documents import Document
from app.ingest.pipeline import EmbedPlan, upsert_documents
from app.search import Fusion, Mode, SearchRequest, SearchService
from app.search.fusion import rrf_fuse
from app.text import query_terms
from tests.api.test_api import client_for
from tests.reference.test_quality import cmrc_docs

QUERIES = ["战国无双3是由哪两个公司合作开发的", "北京 大学", "历史上的战争", "the history of China"]
PLAN = EmbedPlan(max_chars=200, overlap=20, sparse_terms=40)


def weights_of(v: SparseVector) -> dict[int, float]:
    return dict(zip(v.indices(), v.values(), strict=True))


@pytest.fixture
def m3(tiny_m3: Embedder) -> BGEM3Embedder:
    assert isinstance(tiny_m3, BGEM3Embedder)
    return tiny_m3


@pytest.fixture
def loaded(pool: ConnectionPool, m3: BGEM3Embedder) -> ConnectionPool:
    with pool.connection() as conn:
        store.register_model(conn, m3)
    docs = cmrc_docs()[:150]
    written, _, failures = upsert_documents(pool, m3, docs, PLAN)
    assert written == 150 and not failures
    return pool


def stored_weights(pool: ConnectionPool) -> dict[int, dict[int, float]]:
    with pool.connection() as conn:
        rows = conn.execute("SELECT id, sparse FROM documents").fetchall()
    return {doc_id: weights_of(v) for doc_id, v in rows}


def test_weight_helpers() -> None:
    assert from_token_weights({"5": 0.5, "7": 0.0, "9": -1.0}) == {5: 0.5}
    assert merge_max([{1: 0.2, 2: 0.9}, {1: 0.5, 3: 0.1}]) == {1: 0.5, 2: 0.9, 3: 0.1}
    assert top_weights({1: 0.5, 2: 0.9, 3: 0.5, 4: 0.1}, 2) == {2: 0.9, 1: 0.5}  # a tie keeps the smaller id
    assert top_weights({1: 0.5}, 1000) == {1: 0.5}
    assert lexical_score({1: 2.0, 2: 1.0}, {2: 3.0, 5: 9.0}) == 3.0


def test_lexical_weights_are_flagembeddings_in_the_same_pass(m3: BGEM3Embedder) -> None:
    texts = ["北京是中国的首都", "Hybrid search with BM25", "上海"]
    dense, lexical = m3.encode_with_sparse(texts)
    assert dense == pytest.approx(m3.encode(texts), abs=1e-5)
    raw = m3._model.encode(texts, return_dense=False, return_sparse=True)["lexical_weights"]
    assert lexical == [from_token_weights(w) for w in raw]
    assert all(lexical) and all(w > 0 for lw in lexical for w in lw.values())
    flag_score = m3._model.compute_lexical_matching_score(raw[0], raw[1])
    assert lexical_score(lexical[0], lexical[1]) == pytest.approx(flag_score)
    assert sparse_embedder(m3) is m3 and m3.sparse_dim >= max(t for lw in lexical for t in lw)


def test_ingest_keeps_each_documents_heaviest_terms_under_an_ip_index(
    loaded: ConnectionPool, m3: BGEM3Embedder
) -> None:
    with loaded.connection() as conn:
        assert conn.execute("SELECT sparse_dim FROM search.embedding_model").fetchone() == (m3.sparse_dim,)
        indexdef = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'documents_sparse_hnsw'"
        ).fetchone()
        assert indexdef and "hnsw" in indexdef[0] and "sparsevec_ip_ops" in indexdef[0]
        doc = cmrc_docs()[7]
        (v,) = conn.execute(
            "SELECT sparse FROM documents WHERE external_id = %s", [doc.external_id]
        ).fetchone()
    # The stored weights are the passages' weights merged by max, cut to the 40 heaviest.
    from app.ingest.passages import split_passages

    texts = [
        f"{doc.title}\n{doc.body[s:e]}" for s, e in split_passages(doc.body, PLAN.max_chars, PLAN.overlap)
    ]
    assert len(texts) > 1
    _, parts = m3.encode_with_sparse(texts)
    expected = top_weights(merge_max(parts), 40)
    assert weights_of(v).keys() == expected.keys()
    # stored ones were computed in a batch with other documents: padding moves float32 in the 6th digit
    assert [weights_of(v)[t] for t in expected] == pytest.approx(list(expected.values()), rel=1e-5)
    assert all(len(w) <= 40 for w in stored_weights(loaded).values())


@pytest.mark.parametrize("exact_below", [2000, 0])
def test_sparse_ranks_are_the_lexical_matching_scores(
    loaded: ConnectionPool, m3: BGEM3Embedder, exact_below: int
) -> None:
    """Exact search equals a Python dot product over the stored weights; the HNSW path (exact_below 0)
    returns the same top documents."""
    stored = stored_weights(loaded)
    for text in QUERIES:
        _, (q,) = m3.encode_queries_with_sparse([text])
        expected = sorted(
            ((d, lexical_score(q, w)) for d, w in stored.items() if lexical_score(q, w) > 0),
            key=lambda item: (-item[1], item[0]),
        )
        with loaded.connection() as conn:
            got = conn.execute(
                "SELECT doc_id, rank, score FROM search.sparse_ranks(%s, 1000, NULL, 100, %s)",
                [SparseVector(q, m3.sparse_dim), exact_below],
            ).fetchall()
            complete = conn.execute("SELECT current_setting('search.sparse_complete')").fetchone()
        assert [r for _, r, _ in got] == list(range(1, len(got) + 1))
        assert all(s > 0 for _, _, s in got)
        if exact_below:
            # pgvector sums in single precision: near-ties may swap, so compare per document.
            assert {d for d, _, _ in got} == {d for d, _ in expected}
            by_doc = dict(expected)
            assert [s for _, _, s in got] == pytest.approx([by_doc[d] for d, _, _ in got], rel=1e-5)
            assert [s for _, _, s in got] == sorted((s for _, _, s in got), reverse=True)
        else:
            top = {d for d, _ in expected[:10]}
            assert len(top & {d for d, _, _ in got[:10]}) >= 9
            assert [s for _, _, s in got] == sorted((s for _, _, s in got), reverse=True)
        # HNSW over inner products may not reach every document; a short list must say so.
        assert complete == (("true",) if len(got) == min(len(expected), 1000) else ("false",))


def test_hybrid_fuses_three_legs_and_the_leg_is_switchable(
    loaded: ConnectionPool, m3: BGEM3Embedder, settings: Settings
) -> None:
    service = SearchService(loaded, ModelHolder.ready(m3), settings)
    text = QUERIES[0]
    terms = query_terms(text)
    dense, (q,) = m3.encode_queries_with_sparse([text])
    with loaded.connection() as conn:
        kw = conn.execute("SELECT doc_id, rank FROM search.keyword_ranks(%s, 100)", [terms]).fetchall()
        sem = conn.execute("SELECT doc_id, rank FROM search.semantic_ranks(%s, 100)", [dense[0]]).fetchall()
        sp = conn.execute(
            "SELECT doc_id, rank FROM search.sparse_ranks(%s, 100)", [SparseVector(q, m3.sparse_dim)]
        ).fetchall()
        names = dict(conn.execute("SELECT id, external_id FROM documents").fetchall())
    weights = {"keyword": 1.0, "semantic": 0.5, "sparse": 2.0}
    expected = rrf_fuse({"keyword": kw, "semantic": sem, "sparse": sp}, weights, 20)[:30]

    res = service.search(
        SearchRequest(text, limit=30, rrf_k=20, semantic_weight=0.5, sparse=True, sparse_weight=2.0)
    )
    assert [h.id for h in res.hits] == [names[d] for d, _ in expected]
    assert [h.score for h in res.hits] == pytest.approx([s for _, s in expected])
    assert any(h.sparse_rank is not None for h in res.hits) and res.fusion["sparse_weight"] == 2.0
    assert res.complete

    off = service.search(SearchRequest(text, limit=30, sparse=False))
    assert all(h.sparse_rank is None for h in off.hits) and off.fusion["sparse_weight"] == 0.0
    default = service.search(SearchRequest(text, limit=30))  # HYBRID_SPARSE is off by default
    assert [h.id for h in default.hits] == [h.id for h in off.hits]
    on_by_setting = SearchService(
        loaded, ModelHolder.ready(m3), settings.model_copy(update={"hybrid_sparse": True})
    )
    assert any(h.sparse_rank is not None for h in on_by_setting.search(SearchRequest(text, limit=30)).hits)

    alone = service.search(SearchRequest(text, Mode.sparse, limit=5))
    assert [h.sparse_rank for h in alone.hits] == [1, 2, 3, 4, 5]
    assert all(h.score == h.sparse_score and h.semantic_rank is None for h in alone.hits)
    assert alone.hits[0].id == names[sp[0][0]] and "<mark>" in alone.hits[0].highlight

    mm = service.search(SearchRequest(text, limit=20, sparse=True, fusion=Fusion.minmax))
    assert all(0 <= h.score <= 1 for h in mm.hits)


def test_sparse_leg_with_filters(loaded: ConnectionPool, m3: BGEM3Embedder, settings: Settings) -> None:
    docs = [Document(f"f{i}", "过滤", f"北京 大学 第{i}篇", metadata={"n": i}) for i in range(6)]
    upsert_documents(loaded, m3, docs, PLAN)
    service = SearchService(loaded, ModelHolder.ready(m3), settings)
    for exact_below in (2000, 0):
        s = service.settings.model_copy(update={"exact_search_below": exact_below})
        res = SearchService(loaded, ModelHolder.ready(m3), s).search(
            SearchRequest("北京 大学", Mode.sparse, limit=10, filters={"n": {"gte": 2}})
        )
        assert sorted(h.id for h in res.hits) == ["f2", "f3", "f4", "f5"] and res.complete


def test_a_model_without_a_sparse_head(pool: ConnectionPool, minilm: Embedder, settings: Settings) -> None:
    """Asked for, the leg is refused with a reason; by the HYBRID_SPARSE default, it is left out."""
    upsert_documents(pool, minilm, [Document("a", "Bikes", "A mountain bike for kids")])
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE sparse IS NULL").fetchone() == (1,)
    service = SearchService(pool, ModelHolder.ready(minilm), settings)
    with pytest.raises(InvalidQuery, match="sparse head"):
        service.search(SearchRequest("bike", Mode.sparse))
    with pytest.raises(InvalidQuery, match="sparse head"):
        service.search(SearchRequest("bike", sparse=True))
    by_default = SearchService(
        pool, ModelHolder.ready(minilm), settings.model_copy(update={"hybrid_sparse": True})
    )
    assert [h.id for h in by_default.search(SearchRequest("bike")).hits] == ["a"]


def test_http_mode_sparse_and_flag(
    pool: ConnectionPool, m3: BGEM3Embedder, minilm: Embedder, settings: Settings
) -> None:
    clients: Iterator[TestClient] = client_for(pool, settings, ModelHolder.ready(m3))
    client = next(clients)
    docs = [
        {"id": str(i), "title": "城市", "text": t} for i, t in enumerate(["北京是首都", "上海是城市", "天津"])
    ]
    assert client.post("/documents", json={"documents": docs}).status_code == 200
    r = client.get("/search", params={"q": "北京", "mode": "sparse"})
    assert r.status_code == 200, r.text
    assert r.json()["hits"][0]["sparse_rank"] == 1
    r = client.get("/search", params={"q": "北京", "sparse": "true", "sparse_weight": 2})
    assert r.status_code == 200 and r.json()["fusion"]["sparse_weight"] == 2.0
    assert any(h["sparse_rank"] for h in r.json()["hits"])
    r = client.post("/search", json={"q": "北京", "sparse": False})
    assert all(h["sparse_rank"] is None for h in r.json()["hits"])
    assert client.get("/search", params={"q": "北京", "sparse_weight": -1}).status_code == 422
    clients.close()

    other = client_for(pool, settings, ModelHolder.ready(minilm))
    r = next(other).get("/search", params={"q": "北京", "mode": "sparse"})
    assert r.status_code == 422 and "sparse head" in r.json()["detail"]
    other.close()


def test_weights_are_added_to_documents_stored_without_them(pool: ConnectionPool, m3: BGEM3Embedder) -> None:
    docs = cmrc_docs()[:8]
    with pool.connection() as conn:
        store.register_model(conn, m3, with_sparse=False)
    assert upsert_documents(pool, m3, docs, EmbedPlan(sparse_terms=0))[0] == 8
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE sparse IS NULL").fetchone() == (8,)
        assert conn.execute("SELECT sparse_dim FROM search.embedding_model").fetchone() == (None,)
        store.register_model(conn, m3)  # the same model may add its sparse head later
    assert upsert_documents(pool, m3, docs, PLAN)[:2] == (8, 0)
    assert upsert_documents(pool, m3, docs, PLAN)[:2] == (0, 8)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE sparse IS NOT NULL").fetchone() == (8,)


def test_register_model_refuses_another_vocabulary(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        conn.execute("SELECT search.register_model('m', 8, 100)")
        conn.execute("SELECT search.register_model('m', 8)")  # without lexical weights: fine
        conn.commit()
        with pytest.raises(psycopg.Error, match="sparse vocabulary mismatch") as err:
            conn.execute("SELECT search.register_model('m', 8, 200)")
        assert err.value.sqlstate == "HS001"
