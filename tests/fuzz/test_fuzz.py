"""Property-based fuzzing (hypothesis): any text through the analyzer and the tsvector literal, any
JSON through the filter parser, and both through a real search, end in a result or a clear refusal
(EmptyQuery / InvalidQuery), never another exception. HYPOTHESIS_EXAMPLES raises the count."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from app.config import Settings
from app.embedding.loader import ModelHolder
from app.errors import EmptyQuery, InvalidQuery
from app.search import Mode, SearchRequest, SearchService
from app.text.tokenizer import document_tokens
from app.text.tsvector import tsvector_literal
from tests.strategies import FILTERS, FUZZ, TEXT


@pytest.fixture
def service(pool: ConnectionPool, settings: Settings) -> SearchService:
    return SearchService(pool, ModelHolder.unavailable("fuzz"), settings)


@FUZZ
@given(TEXT)
def test_tsvector_literal_round_trips(pool: ConnectionPool, text: str) -> None:
    tokens = document_tokens(text)
    with pool.connection() as conn:
        got = conn.execute(
            "SELECT array(SELECT lexeme FROM unnest(%s::tsvector))", [tsvector_literal(tokens)]
        ).fetchone()
    assert got is not None and sorted(got[0]) == sorted({t.term for t in tokens})


@FUZZ
@given(TEXT, st.one_of(st.none(), FILTERS), st.sampled_from([Mode.keyword, Mode.hybrid]))
def test_search_takes_any_query_and_filter(
    service: SearchService, text: str, filters: dict[str, Any] | None, mode: Mode
) -> None:
    try:
        result = service.search(SearchRequest(text, mode, limit=5, filters=filters))
    except (EmptyQuery, InvalidQuery, ValidationError):  # refused as bad input, with a message
        return
    except psycopg.Error as exc:  # the database refused what the service let through: a bug
        raise AssertionError(f"{type(exc).__name__}: {exc}") from exc
    assert len(result.hits) <= 5


LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzBJDX' -\"\\", max_size=40)


@FUZZ
@given(LATIN, TEXT)
def test_pinyin_readings_are_valid_tsqueries_and_searches(service: SearchService, q: str, title: str) -> None:
    """Anything typed in Latin letters, quotes and apostrophes: its pinyin reading (when it has one)
    parses as a tsquery, a field's pinyin as a tsvector, and the search answers or refuses cleanly."""
    from app.text.pinyin import field_pinyin, pinyin_query

    reading = pinyin_query(q)
    with service.pool.connection() as conn:
        if reading is not None:
            conn.execute("SELECT %s::tsquery", [reading])
        conn.execute("SELECT %s::tsvector", [field_pinyin([title]).tsvector])
    try:
        service.search(SearchRequest(q, Mode.keyword, limit=5))
    except (EmptyQuery, InvalidQuery, ValidationError):
        return
