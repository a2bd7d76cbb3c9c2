"""Long documents: embedded as overlapping passages; the best passage scores and gives the snippet."""

from __future__ import annotations

from typing import Literal

import pytest
from psycopg_pool import ConnectionPool

from app import store
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.embedding.synthetic import SyntheticEmbedder
from app.ingest.documents import Document
from app.ingest.pipeline import EmbedPlan, upsert_documents
from app.search import Mode, SearchRequest, SearchService


def test_best_passage_scores_the_document_and_gives_the_snippet(
    pool: ConnectionPool, minilm: Embedder, settings: Settings
) -> None:
    filler = " ".join(f"Step {i}: stir the soup slowly and add a pinch of salt." for i in range(40))
    tail = (
        "This small bicycle with training wheels is perfect for young children learning to ride. "
        "Kids love its bright colours and the light frame makes the bike easy for a child to handle. "
        "A great first bicycle for boys and girls aged three to five."
    )
    docs = [
        Document("long", "Notes", filler + " " + tail),
        Document("soup", "Soup", "Stir the soup slowly and add salt."),
        Document("car", "Cars", "A fast sports car for the motorway."),
    ]
    upsert_documents(pool, minilm, docs, EmbedPlan(max_chars=300, overlap=40))
    with pool.connection() as conn:
        counts = dict(
            conn.execute(
                "SELECT d.external_id, count(*) FROM search.passages p JOIN documents d ON d.id = p.doc_id "
                "GROUP BY d.external_id"
            ).fetchall()
        )
    assert counts["soup"] == 1 and counts["long"] > 5

    service = SearchService(pool, ModelHolder.ready(minilm), settings)
    res = service.search(SearchRequest("a bike for kids", Mode.semantic, limit=3))
    top = res.hits[0]
    assert top.id == "long" and top.passage_start is not None and top.passage_start > 1000
    assert "bicycle" in top.snippet
    best = (
        minilm.encode(["a bike for kids"])[0]
        @ minilm.encode([f"Notes\n{docs[0].body[top.passage_start :]}"])[0]
    )
    assert top.semantic_score == pytest.approx(float(best), abs=0.05)


def test_documents_of_many_passages_rank_as_the_stream_gives_them(
    pool: ConnectionPool, minilm: Embedder
) -> None:
    """search.semantic_ranks reads the first page's passages, then a longer read, then the stream: with
    documents of many passages near the query (so the page's passages repeat documents, and 16 more do
    not complete it), every depth is the index's order of documents by best passage."""
    lines = [
        "A small bicycle for children with training wheels.",
        "Kids learn to ride on a light bike with bright colours.",
        "The child's first bike: easy to handle, safe brakes.",
        "Training wheels help young riders balance on the bicycle.",
    ]
    docs = [
        Document(f"many{i}", f"Bikes {i}", " ".join(f"{lines[(i + j) % 4]} Part {j}." for j in range(30)))
        for i in range(5)
    ] + [Document(f"one{i}", "", f"{lines[i % 4]} Note {i}.") for i in range(8)]
    upsert_documents(pool, minilm, docs, EmbedPlan(max_chars=60, overlap=0))
    vec = minilm.encode(["a bike for kids"])[0]
    with pool.connection() as conn:
        per_doc = conn.execute(
            "SELECT count(*) FROM search.passages p JOIN documents d ON d.id = p.doc_id "
            "WHERE d.external_id = 'many0'"
        ).fetchone()
        assert per_doc is not None and per_doc[0] > 20
        # the definition: the index's stream of passages (the same settings), each document where its
        # first passage appears
        conn.execute("SET hnsw.ef_search = 1000")
        conn.execute("SET hnsw.iterative_scan = strict_order")
        conn.execute("SET enable_seqscan = off")
        stream = conn.execute(
            "SELECT doc_id FROM search.passages ORDER BY embedding <=> %s LIMIT 100000", [vec]
        ).fetchall()
        exact = list(dict.fromkeys(d for (d,) in stream))
        conn.rollback()
        ranks = "SELECT doc_id, rank FROM search.semantic_ranks(%s, %s, NULL, 1000, 0)"  # the index, always
        for k in (1, 3, 5, 6, 10, 13, len(exact), len(exact) + 5):
            rows = conn.execute(ranks, [vec, k]).fetchall()
            assert [d for d, _ in rows] == exact[:k]
            assert [r for _, r in rows] == list(range(1, min(k, len(exact)) + 1))


@pytest.mark.parametrize(("storage", "in_toast"), [("halfvec", False), ("vector", True)])
def test_vectors_stay_inline_when_two_rows_fit_a_page(
    pool: ConnectionPool, storage: Literal["vector", "halfvec"], in_toast: bool
) -> None:
    """A halfvec(1024) passage (2.1 kB) is read from its row, not from TOAST; a vector(1024) one (4.1 kB)
    still goes to TOAST (sql/01_tables.sql, toast_tuple_target)."""
    model = SyntheticEmbedder(1024)
    with pool.connection() as conn:
        store.register_model(conn, model, index=store.VectorIndex(storage))
    upsert_documents(pool, model, [Document(str(i), "", f"正文 {i}") for i in range(10)])
    with pool.connection() as conn:
        toast = conn.execute(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'search.passages'::regclass"
        ).fetchone()
    assert toast is not None and (toast[0] > 0) == in_toast
