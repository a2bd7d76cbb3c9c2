"""Fuzzing the pure parts (hypothesis): the analyzer, document fields, the filter parser."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given

from app.errors import InvalidQuery
from app.ingest.documents import clean_json, clean_text
from app.search.filters import normalize_filters, parse_filters_json
from app.text import query_terms
from app.text.tokenizer import document_tokens
from tests.strategies import FUZZ, JSON, TEXT


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
