"""Unit tests touch neither a database nor a model: asking for one is a mistake, said at once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def server_url() -> str:
    raise pytest.UsageError("a unit test asked for the database: move it to tests/db/")


@pytest.fixture(scope="session")
def tiny_m3_path() -> str:
    raise pytest.UsageError("a unit test asked for a model: move it to tests/models/")
