"""The CLI as a newcomer meets it, from a subprocess: the first command in a new home migrates the
database itself; a database that cannot be reached is one line and exit code 1, quickly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.conftest import DATA, url_for_db

BIKES = DATA / "bikes.json"


def hybrid_search(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The command in a subprocess; `env` over this one's (DATABASE_URL left out unless `env` sets it)."""
    inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**inherited, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_first_command_is_ingest_into_a_new_home(tmp_path: Path, tiny_m3_path: Path) -> None:
    env = {"HYBRID_SEARCH_HOME": str(tmp_path / "home"), "EMBEDDING_MODEL": str(tiny_m3_path)}
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        '{"id": "1", "title": "北京", "text": "北京是中国的首都"}\n{"id": "2", "text": "上海在东海边"}\n',
        encoding="utf-8",
    )
    done = hybrid_search("ingest", str(docs), "--quiet", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "migrating the database" in done.stderr and "Traceback" not in done.stderr
    assert json.loads(done.stdout)["written"] == 2
    found = hybrid_search("search", "首都", "--mode", "keyword", "--json", env=env, timeout=120)
    assert found.returncode == 0, found.stderr
    assert "migrating" not in found.stderr  # already at head: said once, done once
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == ["1"]


def test_no_migrate_refuses_a_database_behind(server_url: str) -> None:
    name = f"hs_empty_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    env = {"DATABASE_URL": url_for_db(server_url, name)}
    refused = hybrid_search("stats", "--no-migrate", env=env)
    assert refused.returncode == 1
    assert "run `hybrid-search db upgrade`" in refused.stderr and "Traceback" not in refused.stderr
    assert hybrid_search("stats", "--json", env=env).returncode == 0  # migrates, then answers
    again = hybrid_search("stats", "--no-migrate", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["documents"] == 0


def test_a_database_a_newer_version_migrated_is_named_as_such(server_url: str) -> None:
    """An older hybrid-search against a database a newer one migrated (at a revision it does not know):
    one line naming both revisions and the way back, exit code 1, the database left as it was."""
    name = f"hs_newer_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    env = {"DATABASE_URL": url_for_db(server_url, name)}
    assert hybrid_search("db", "upgrade", env=env).returncode == 0
    with psycopg.connect(url_for_db(server_url, name), autocommit=True) as conn:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for command in (["stats"], ["search", "bike", "--mode", "keyword"], ["db", "upgrade"]):
        done = hybrid_search(*command, env=env)
        assert done.returncode == 1, (command, done.stderr)
        last = [line for line in done.stderr.splitlines() if line.strip()][-1]
        assert "is at revision 9999, which this version of hybrid-search does not know" in last, last
        assert f"its newest is {head}" in last and f"hybrid-search db downgrade {head}" in last
        assert "migrating" not in done.stderr and "Traceback" not in done.stderr
    with psycopg.connect(url_for_db(server_url, name), autocommit=True) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)


def test_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/nothing", "DB_POOL_TIMEOUT_S": "2"}
    for command in (
        ["ingest", str(BIKES)],
        ["search", "bike", "--mode", "keyword"],
        ["stats"],
        ["sql-params", "bike"],
        ["db", "upgrade"],
        ["db", "reindex"],
    ):
        started = time.monotonic()
        done = hybrid_search(*command, env=env)
        assert done.returncode == 1, (command, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip() and "Warning" not in line]
        assert lines[-1].startswith("error: cannot reach the database at nobody@127.0.0.1:1/nothing: "), lines
        assert "Traceback" not in done.stderr and "secret" not in done.stderr
        assert time.monotonic() - started < 30
