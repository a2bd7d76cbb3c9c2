"""The embedded server runs with our settings: PostgreSQL's default page cache (128 MB) is a tenth of a
large corpus's indexes."""

from __future__ import annotations

import os

import psycopg
import pytest

from app.db import shared_buffers_mb


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="an external server has its own settings"
)
def test_the_embedded_server_has_our_page_cache(server_url: str) -> None:
    with psycopg.connect(server_url) as conn:
        row = conn.execute(
            "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
    assert row is not None and row[0] == shared_buffers_mb()
    assert 128 <= shared_buffers_mb() <= 4096


def test_the_page_cache_is_a_quarter_of_the_memory_within_bounds() -> None:
    gb = 2**30
    assert shared_buffers_mb(8 * gb) == 2048
    assert shared_buffers_mb(64 * gb) == 4096  # at most 4 GB
    assert shared_buffers_mb(256 * 2**20) == 128  # at least PostgreSQL's own default
    assert shared_buffers_mb(1 * gb) == 256  # a container's limit counts (memory_bytes)
