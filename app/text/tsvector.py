"""Build a tsvector literal from our own tokens, so Postgres never re-splits or re-normalises them."""

from __future__ import annotations

from collections.abc import Sequence

from app.text.tokenizer import Token

MAX_POSITION = 16383  # positions above this collapse to it in Postgres
MAX_POSITIONS_PER_LEXEME = 256  # Postgres keeps at most this many


def quote_lexeme(term: str) -> str:
    """Quote one lexeme for tsvector/tsquery input syntax: backslash and quote are escaped."""
    if "'" in term or "\\" in term:
        term = term.replace("\\", "\\\\").replace("'", "''")
    return "'" + term + "'"


def tsvector_literal(tokens: list[Token]) -> str:
    """`'term':1,4 'other':2` text, passed as a parameter and cast with `::tsvector`."""
    return tsvector_of([t.term for t in tokens], [t.position for t in tokens])


def tsvector_of(terms: Sequence[str], positions: Sequence[int]) -> str:
    """tsvector_literal of the tokens `terms` at `positions` (aligned): each lexeme's first 256
    positions as given, then sorted without repeats."""
    by_term: dict[str, list[int]] = {}
    for term, pos in zip(terms, positions, strict=True):
        at = by_term.get(term)
        if at is None:
            by_term[term] = [pos if pos < MAX_POSITION else MAX_POSITION]
        elif len(at) < MAX_POSITIONS_PER_LEXEME:
            at.append(pos if pos < MAX_POSITION else MAX_POSITION)
    return " ".join(
        f"{quote_lexeme(term)}:{at[0]}"
        if len(at) == 1
        else f"{quote_lexeme(term)}:{','.join(map(str, sorted(set(at))))}"
        for term, at in sorted(by_term.items())
    )
