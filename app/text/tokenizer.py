"""jieba tokenisation, identical at ingest and at query time (DESIGN.md, "Tokenisation").

Documents use jieba's search mode (a long word also yields its dictionary sub-words, so a precise-mode
query word such as 共和国 finds 中华人民共和国); queries use precise mode. Both go through the same
NFKC + lowercase normaliser, and tokens without a letter or digit (punctuation, spaces, emoji) are dropped.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass

import jieba

# Postgres refuses lexemes over 2,047 bytes; a "word" this long is noise, not a search term.
MAX_TERM_CHARS = 64

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


@dataclass(frozen=True)
class Token:
    """One kept token: its term, 1-based position among kept tokens, and offsets in the normalised text."""

    term: str
    position: int
    start: int
    end: int


def _jieba() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer, initialised once (loading its dictionary takes about a second)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            _tokenizer = tok
        return _tokenizer


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than inside the first search."""
    _jieba()


def normalize(text: str) -> str:
    """NFKC, lowercase, and without characters Postgres text cannot hold (NUL, lone surrogates)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def is_term(word: str) -> bool:
    """A token is kept when it holds a letter or digit and is not absurdly long."""
    return 0 < len(word) <= MAX_TERM_CHARS and any(ch.isalnum() for ch in word)


def document_tokens(text: str) -> list[Token]:
    """Search-mode tokens of a document, with positions and offsets into `normalize(text)`."""
    tokens: list[Token] = []
    for word, start, end in _jieba().tokenize(normalize(text), mode="search"):
        word = word.strip()
        if is_term(word):
            tokens.append(Token(word, len(tokens) + 1, start, end))
    return tokens


def query_terms(text: str) -> list[str]:
    """Precise-mode terms of a query, in order, duplicates kept (BM25 sums a repeated query term)."""
    return [w.strip() for w in _jieba().cut(normalize(text)) if is_term(w.strip())]


def term_frequencies(tokens: list[Token]) -> Counter[str]:
    """Exact term frequencies (a tsvector keeps at most 256 positions per lexeme, so BM25 reads these)."""
    return Counter(t.term for t in tokens)
