"""Property-based fuzzing (hypothesis): any text through the analyzer and the tsvector literal, any
JSON through the filter parser, and both through a real search, end in a result or a clear refusal
(EmptyQuery / InvalidQuery), never another exception. HYPOTHESIS_EXAMPLES raises the count."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from app.config import Settings
from app.embedding.loader import ModelHolder
from app.errors import EmptyQuery, InvalidQuery
from app.ingest.documents import clean_json, clean_text
from app.search import Mode, SearchRequest, SearchService
from app.search.filters import normalize_filters, parse_filters_json
from app.text import query_terms
from app.text.tokenizer import document_tokens
from app.text.tsvector import tsvector_literal

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Every code point, lone surrogates included, with the characters that break naive query builders
# (quotes, tsquery operators, backslashes, NUL) and Chinese text made likely.
SPECIAL = st.sampled_from(
    list("'\"\\&|!():*<>-\x00 \t\n　，。北京大学的 ") + ["' OR 1=1 --", "'); DROP TABLE documents; --"]
)
TEXT = st.lists(st.one_of(st.characters(exclude_categories=()), SPECIAL), max_size=200).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FILTER_KEYS = st.sampled_from(["brand", "price", "a.b", "", "any", "gte", "$x", "'", "北京"]) | st.text(
    max_size=8
)
FILTERS = st.dictionaries(
    FILTER_KEYS,
    JSON
    | st.dictionaries(
        st.sampled_from(["any", "gte", "gt", "lte", "lt", "exists", "eq", "x"]), JSON, max_size=3
    ),
    max_size=4,
)


@FUZZ
@given(TEXT)
def test_analyzer_takes_any_text(text: str) -> None:
    for term in query_terms(text):
        assert term and "\x00" not in term and term == term.strip()
    for tok in document_tokens(text):
        assert tok.term and tok.position >= 1


@FUZZ
@given(TEXT, JSON)
def test_document_fields_are_made_storable(text: str, value: Any) -> None:
    """What a document keeps of any text or JSON encodes as UTF-8 and holds no NUL: Postgres takes it."""
    cleaned = clean_text(text)
    assert "\x00" not in cleaned
    cleaned.encode("utf-8")  # raises on a lone surrogate
    assert clean_text(cleaned) == cleaned and len(cleaned) == len(text) - text.count("\x00")
    stored = json.dumps(clean_json({text: [value, text]}), ensure_ascii=False, allow_nan=True)
    assert "\\u0000" not in stored
    stored.encode("utf-8")


@FUZZ
@given(JSON)
def test_filter_parser_accepts_or_refuses(value: Any) -> None:
    with contextlib.suppress(InvalidQuery):
        normalize_filters(value)


@FUZZ
@given(TEXT)
def test_filter_json_text_accepts_or_refuses(text: str) -> None:
    with contextlib.suppress(InvalidQuery):
        parse_filters_json(text)


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
