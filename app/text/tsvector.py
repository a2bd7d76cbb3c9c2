"""Build a tsvector literal from our own tokens, so Postgres never re-splits or re-normalises them."""

from __future__ import annotations

from collections import defaultdict

from app.text.tokenizer import Token

MAX_POSITION = 16383  # positions above this collapse to it in Postgres
MAX_POSITIONS_PER_LEXEME = 256  # Postgres keeps at most this many


def quote_lexeme(term: str) -> str:
    """Quote one lexeme for tsvector/tsquery input syntax: backslash and quote are escaped."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(tokens: list[Token]) -> str:
    """`'term':1,4 'other':2` text, passed as a parameter and cast with `::tsvector`."""
    positions: dict[str, list[int]] = defaultdict(list)
    for tok in tokens:
        pos = positions[tok.term]
        if len(pos) < MAX_POSITIONS_PER_LEXEME:
            pos.append(min(tok.position, MAX_POSITION))
    parts = []
    for term in sorted(positions):
        unique = sorted(set(positions[term]))
        parts.append(quote_lexeme(term) + ":" + ",".join(str(p) for p in unique))
    return " ".join(parts)
