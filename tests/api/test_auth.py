"""API keys: writes need one (401 without, 403 with a wrong one); without API_KEYS, writes are open to
loopback clients only; searches are open unless SEARCH_REQUIRES_KEY."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from tests.conftest import LOCAL_CLIENT

DOC = {"documents": [{"id": "k1", "title": "北京", "text": "北京是中国的首都。"}]}
REMOTE = ("203.0.113.7", 40000)


def _client(pool: ConnectionPool, settings: Settings, embedder: Embedder, remote: bool = True) -> TestClient:
    app = create_app(settings, pool=pool, models=ModelHolder.ready(embedder))
    return TestClient(app, client=REMOTE if remote else LOCAL_CLIENT)


def test_writes_need_a_key(pool: ConnectionPool, settings: Settings, tiny_m3: Embedder) -> None:
    s = settings.model_copy(update={"api_keys": ["s3cret-key", "other-key"]})
    with _client(pool, s, tiny_m3) as c:
        r = c.post("/documents", json=DOC)
        assert r.status_code == 401 and "API key" in r.json()["detail"]
        assert r.headers["www-authenticate"] == "Bearer"
        r = c.post("/documents", json=DOC, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403 and r.json()["detail"] == "the API key is not valid"
        assert c.post("/documents", json=DOC, headers={"X-API-Key": "s3cret-keyX"}).status_code == 403
        assert (
            c.post("/documents", json=DOC, headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
        )
        assert c.post("/documents", json=DOC, headers={"X-API-Key": "other-key"}).json()["unchanged"] == 1
        assert c.delete("/documents/k1").status_code == 401
        assert c.delete("/documents/k1", headers={"X-API-Key": "nope"}).status_code == 403
        # reads stay open
        assert c.get("/search", params={"q": "北京", "mode": "keyword"}).json()["hits"][0]["id"] == "k1"
        assert c.get("/documents/k1").status_code == 200
        assert c.delete("/documents/k1", headers={"X-API-Key": "s3cret-key"}).status_code == 204
    # a loopback client needs the key too once keys are set
    with _client(pool, s, tiny_m3, remote=False) as c:
        assert c.post("/documents", json=DOC).status_code == 401


def test_without_keys_writes_are_local_only(
    pool: ConnectionPool, settings: Settings, tiny_m3: Embedder
) -> None:
    with _client(pool, settings, tiny_m3) as c:
        r = c.post("/documents", json=DOC)
        assert r.status_code == 403 and "API_KEYS" in r.json()["detail"]
        assert c.delete("/documents/k1").status_code == 403
        assert c.get("/search", params={"q": "北京", "mode": "keyword"}).status_code == 200
    with _client(pool, settings, tiny_m3, remote=False) as c:
        assert c.post("/documents", json=DOC).status_code == 200


def test_search_can_require_a_key(pool: ConnectionPool, settings: Settings, tiny_m3: Embedder) -> None:
    s = settings.model_copy(update={"api_keys": ["k"], "search_requires_key": True})
    with _client(pool, s, tiny_m3) as c:
        for method, path, kwargs in (
            ("GET", "/search", {"params": {"q": "北京"}}),
            ("POST", "/search", {"json": {"q": "北京"}}),
            ("GET", "/documents/k1", {}),
            ("GET", "/documents/k1/similar", {}),
            ("POST", "/similar", {"json": {"text": "北京"}}),
            ("GET", "/analyze", {"params": {"text": "北京"}}),
        ):
            assert c.request(method, path, **kwargs).status_code == 401, path
            assert c.request(method, path, headers={"X-API-Key": "bad"}, **kwargs).status_code == 403, path
        ok = c.get("/search", params={"q": "北京", "mode": "keyword"}, headers={"Authorization": "Bearer k"})
        assert ok.status_code == 200
        assert c.get("/health").status_code == 200  # probes stay open
        assert c.get("/ready").status_code == 200
    with pytest.raises(ValidationError, match="SEARCH_REQUIRES_KEY needs API_KEYS"):
        Settings(search_requires_key=True)
    assert Settings(api_keys=" a, b ,").api_keys == ["a", "b"]


def test_request_body_limit(pool: ConnectionPool, settings: Settings, tiny_m3: Embedder) -> None:
    s = settings.model_copy(update={"max_body_bytes": 4096})
    with _client(pool, s, tiny_m3, remote=False) as c:
        big = {"documents": [{"id": "big", "text": "北京" * 5000}]}
        r = c.post("/documents", json=big)
        assert r.status_code == 413 and "larger than 4096 bytes" in r.json()["detail"]
        assert c.post("/search", json={"q": "北京" * 3000}).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: FastAPI's own limit stops it
            yield b'{"documents": [{"id": "c", "text": "'
            yield b"x" * 8192
            yield b'"}]}'

        assert (
            c.post("/documents", content=chunks(), headers={"content-type": "application/json"}).status_code
            == 413
        )
        assert c.post("/documents", json=DOC).status_code == 200
