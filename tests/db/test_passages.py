"""Long documents: embedded as overlapping passages; the best passage scores and gives the snippet."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
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
