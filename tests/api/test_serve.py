"""`hybrid-search serve` on the embedded database: migrations applied, /health and /docs answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_embedded_database(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HYBRID_SEARCH_HOME": str(tmp_path / "home"),
        "EMBEDDING_MODEL": str(tmp_path / "missing-model"),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        r = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "北京", "mode": "keyword"})
        assert r.status_code == 200 and r.json()["hits"] == []
        assert (tmp_path / "home" / "pgdata" / "PG_VERSION").exists()
    finally:
        proc.terminate()
        proc.wait(30)
