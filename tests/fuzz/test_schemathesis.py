"""schemathesis against the app's own OpenAPI schema: every operation, 100 generated requests each
(SCHEMATHESIS_EXAMPLES=400 for more: the default keeps the suite under 10 minutes), must answer 2xx or
4xx with a JSON `detail`, never a 5xx or a stack trace."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from psycopg_pool import ConnectionPool

from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100"))
KEY = "schemathesis-key"


@pytest.fixture
def api_schema(pool: ConnectionPool, settings: Settings, tiny_m3: Embedder) -> Iterator[Any]:
    upsert_documents(pool, tiny_m3, [Document("a", "北京", "北京是中国的首都。", None, {"price": 3})])
    # a generous pool wait: this test is about inputs, not capacity (a busy CI machine must not 503)
    s = settings.model_copy(update={"api_keys": [KEY], "db_pool_timeout_s": 60})
    app = create_app(s, pool=pool, models=ModelHolder.ready(tiny_m3))
    with TestClient(app):  # runs the app's startup (state, query log) for the schema's calls
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema: Any) -> None:
    # The operations are walked here rather than by @schema.parametrize: schemathesis' fixture-backed
    # schemas do not run under pytest 9.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers={"X-API-Key": KEY})
            where = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}"
            assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:500]}"
            assert "Traceback" not in response.text
            if response.status_code >= 400:
                assert isinstance(response.json().get("detail"), (str, list)), where

        check()
