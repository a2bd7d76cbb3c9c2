"""HTTP API: search (GET and POST), documents CRUD, health, and clear 4xx/503 errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from tests.conftest import LOCAL_CLIENT

DOCS = [
    {
        "id": "bj",
        "title": "北京",
        "text": "北京是中华人民共和国的首都，也是全国的政治文化中心。",
        "metadata": {"city": "北京"},
    },
    {"id": "sh", "title": "上海", "text": "上海是中国最大的城市和经济中心，位于长江入海口。"},
    {
        "id": "en",
        "title": "Hybrid search",
        "text": "Hybrid search fuses BM25 keyword ranking with dense vectors.",
        "url": "https://example.org/hs",
    },
]


def client_for(pool: ConnectionPool, settings: Settings, models: ModelHolder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, pool=pool, models=models), client=LOCAL_CLIENT) as client:
        yield client


@pytest.fixture
def client(pool: ConnectionPool, settings: Settings, minilm: Embedder) -> Iterator[TestClient]:
    yield from client_for(pool, settings, ModelHolder.ready(minilm))


@pytest.fixture
def loaded(client: TestClient) -> TestClient:
    r = client.post("/documents", json={"documents": DOCS})
    assert r.status_code == 200, r.text
    assert r.json() == {"written": 3, "unchanged": 0}
    return client


def test_get_search_all_modes(loaded: TestClient) -> None:
    for mode in ("hybrid", "keyword", "semantic"):
        r = loaded.get("/search", params={"q": "中国的首都", "mode": mode, "limit": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == mode and len(body["hits"]) <= 2 and body["hits"]
        hit = body["hits"][0]
        assert set(hit) >= {"id", "title", "url", "snippet", "score", "keyword_rank", "semantic_rank"}
    kw = loaded.get("/search", params={"q": "首都", "mode": "keyword"}).json()
    assert kw["terms"] == ["首都"] and kw["hits"][0]["id"] == "bj"
    assert kw["hits"][0]["metadata"] == {"city": "北京"}


def test_post_search_with_fusion_parameters(loaded: TestClient) -> None:
    r = loaded.post("/search", json={"q": "dense vectors", "rrf_k": 10, "semantic_weight": 0.5, "limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fusion"]["k"] == 10 and body["fusion"]["semantic_weight"] == 0.5
    assert body["hits"][0]["id"] == "en" and body["hits"][0]["url"] == "https://example.org/hs"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x", "limit": 0},
        {"q": "x", "limit": 1000},
        {"q": "x", "offset": -1},
        {"q": "x", "offset": 100000},
        {"q": "x", "mode": "fuzzy"},
        {"q": "x" * 5000},
        {"q": "!!!", "mode": "keyword"},
        {"q": "x", "limit": "ten"},
    ],
)
def test_bad_parameters_are_4xx_with_a_message(client: TestClient, params: dict[str, object]) -> None:
    r = client.get("/search", params=params)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["detail"]


def test_documents_crud(loaded: TestClient) -> None:
    doc = loaded.get("/documents/sh").json()
    assert doc["title"] == "上海" and doc["has_embedding"] and doc["doc_len"] > 0
    assert loaded.post("/documents", json={"documents": DOCS}).json() == {"written": 0, "unchanged": 3}
    changed = [{**DOCS[1], "text": "上海是一座港口城市。"}]
    assert loaded.post("/documents", json={"documents": changed}).json() == {"written": 1, "unchanged": 0}
    assert loaded.get("/documents/sh").json()["text"] == "上海是一座港口城市。"
    assert loaded.delete("/documents/sh").status_code == 204
    assert loaded.get("/documents/sh").status_code == 404
    assert loaded.delete("/documents/sh").status_code == 404
    assert loaded.get("/search", params={"q": "上海", "mode": "keyword"}).json()["hits"] == []


def test_bad_documents_are_refused(client: TestClient) -> None:
    assert client.post("/documents", json={"documents": []}).status_code == 422
    assert client.post("/documents", json={"documents": [{"id": "x"}]}).status_code == 422
    assert client.post("/documents", json={"documents": [{"text": "no id"}]}).status_code == 422
    assert (
        client.post(
            "/documents", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_health_ready_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["database"] == "ok" and ready["model"] == "ready"
    assert "/search" in client.get("/openapi.json").json()["paths"]


def test_without_model_keyword_works_hybrid_degrades_semantic_503(
    pool: ConnectionPool, settings: Settings, minilm: Embedder
) -> None:
    for c in client_for(pool, settings, ModelHolder.ready(minilm)):
        c.post("/documents", json={"documents": DOCS})
    for c in client_for(pool, settings, ModelHolder.unavailable("cannot reach the model hub")):
        assert c.get("/search", params={"q": "首都", "mode": "keyword"}).json()["hits"]
        hy = c.get("/search", params={"q": "首都"}).json()
        assert hy["degraded"] and hy["hits"] and "cannot reach the model hub" in hy["degraded_reason"]
        sem = c.get("/search", params={"q": "首都", "mode": "semantic"})
        assert sem.status_code == 503 and "cannot reach the model hub" in sem.json()["detail"]
        assert c.post("/documents", json={"documents": DOCS}).status_code == 503
        ready = c.get("/ready").json()
        assert ready["model"] == "failed" and "model hub" in ready["model_reason"]


def test_real_loading_of_an_unreachable_model_starts_degraded(
    pool: ConnectionPool, settings: Settings
) -> None:
    s = settings.model_copy(update={"embedding_model": "/nonexistent/bge-m3"})
    with TestClient(create_app(s, pool=pool)) as c:
        assert c.get("/health").status_code == 200
        c.app.state.hybrid.models.wait(60)  # type: ignore[attr-defined]
        assert c.get("/ready").json()["model"] == "failed"
        assert c.get("/search", params={"q": "x", "mode": "semantic"}).status_code == 503


def test_filters_fusion_and_highlight_over_http(loaded: TestClient) -> None:
    r = loaded.get("/search", params={"q": "首都 城市", "mode": "keyword", "filters": '{"city": "北京"}'})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["id"] for h in body["hits"]] == ["bj"] and body["complete"]
    assert "<mark>首都</mark>" in body["hits"][0]["highlight"]
    post = loaded.post(
        "/search", json={"q": "城市", "filters": {"city": {"exists": True}}, "fusion": "minmax"}
    )
    assert post.status_code == 200 and all(h["id"] == "bj" for h in post.json()["hits"])
    for bad in ['{"city": ', '["x"]', '{"price": {"gte": "cheap"}}']:
        r = loaded.get("/search", params={"q": "城市", "filters": bad})
        assert r.status_code == 422 and r.json()["detail"], bad
    assert loaded.get("/search", params={"q": "x", "min_score": "nan"}).status_code == 422
