"""jieba tokenisation, identical at ingest and at query time (docs/architecture.md, "An ingest").

jieba's cuts are made by app.text.segment (jieba-rs for the dictionary's path, jieba's HMM for the rest:
the same tokens at half the CPU).

Documents use jieba's search mode (a long word also yields its dictionary sub-words, so a precise-mode
query word such as 共和国 finds 中华人民共和国); queries use precise mode. Both go through the same
NFKC + lowercase normaliser; tokens without a letter or digit (punctuation, spaces, emoji) are dropped,
stop words are dropped, and Latin-script words are stemmed (Snowball), so `searches` finds `search`.
The analyzer is configured once per process from the settings (`configure`); its `signature` enters
every document's content hash, so re-ingesting after an analyzer change re-tokenises.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba

from app.text.segment import Segmenter, Span

# Postgres refuses lexemes over 2,047 bytes; a "word" this long is noise, not a search term.
MAX_TERM_CHARS = 64
# Words whose term() is kept, per analyzer (cleared when full: a few MB)
TERM_CACHE_SIZE = 200_000

# Lucene's EnglishAnalyzer stop words (ENGLISH_STOP_WORDS_SET).
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
_LATIN_WORD = re.compile(r"^[a-z\u00df-\u024f]+$")
_HAS_LETTER = re.compile(r"[a-zA-Z]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class AnalyzerConfig:
    stemmer_language: str | None = "english"
    english_stopwords: bool = True
    stopwords_file: Path | None = None
    user_dict: Path | None = None
    fold_script: bool = True  # traditional Chinese folded to simplified before jieba (OpenCC)
    pinyin_fields: tuple[str, ...] = ("title",)  # read into pinyin (app/text/pinyin.py)


# OpenCC's configurations: Taiwan-standard traditional to simplified with its phrase table (軟體 -> 软件),
# and plain traditional to simplified, for a run whose phrase conversion would change its length.
FOLD_PHRASES, FOLD_CHARACTERS = "tw2sp", "t2s"
# Clauses end at punctuation, spaces and line breaks (kept, as their own parts).
_CLAUSE = re.compile(r"([\s,.!?;:()\[\]\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\u2018-\u201f]+)")


@dataclass(frozen=True)
class Token:
    """One kept token: its term, 1-based position, and offsets in the normalised text."""

    term: str
    position: int  # documents: the word's (its sub-words share it); queries: the token's
    start: int
    end: int


class Analyzer:
    """jieba + stop words + stemming, built once from an AnalyzerConfig."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._phrases = self._characters = None
        if config.fold_script:
            import opencc

            self._phrases = opencc.OpenCC(FOLD_PHRASES)
            self._characters = opencc.OpenCC(FOLD_CHARACTERS)
        jieba.setLogLevel(logging.WARNING)
        self._segmenter = Segmenter(config.user_dict)
        stop: set[str] = set(ENGLISH_STOPWORDS) if config.english_stopwords else set()
        if config.stopwords_file is not None:
            text = config.stopwords_file.read_text(encoding="utf-8")
            stop.update(
                self.normalize(w.strip()) for w in text.splitlines() if w.strip() and not w.startswith("#")
            )
        self.stopwords = frozenset(stop)
        self._terms: dict[str, str | None] = {}  # term() per word
        self._stemmer = None
        if config.stemmer_language:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(config.stemmer_language)
        self.signature = self._signature()

    def _signature(self) -> str:
        parts = [f"jieba={jieba.__version__}", f"stem={self.config.stemmer_language or ''}"]
        if self.config.fold_script:
            parts.append(f"fold=opencc-{FOLD_PHRASES}-traditional-clauses")
        if self.config.pinyin_fields:
            parts.append(f"pinyin={','.join(self.config.pinyin_fields)}@pypinyin-{_pypinyin_version()}")
        parts.append("positions=words")  # sub-words share their word's position (phrase search)
        parts.append("stop=" + hashlib.sha1("\n".join(sorted(self.stopwords)).encode()).hexdigest()[:12])
        if self.config.user_dict is not None:
            parts.append("dict=" + hashlib.sha1(self.config.user_dict.read_bytes()).hexdigest()[:12])
        return ";".join(parts)

    def fold(self, text: str) -> str:
        """Traditional characters folded to simplified, phrase by phrase (臺灣 -> 台湾, 軟體 -> 软件), keeping
        the text's length so offsets still point at the document's own characters.

        Only clauses written in traditional script are folded (those holding a character that
        OpenCC's t2s changes): Taiwan's vocabulary table would otherwise rewrite simplified words that
        share its characters (程序 -> 进程, 序列 -> 串行) and merge different words."""
        if self._phrases is None or self._characters is None or text.isascii():
            return text
        if self._characters.convert(text) == text:  # nothing traditional: most text, one call
            return text
        parts = _CLAUSE.split(text)
        return "".join(self._fold_clause(p) if p and self._characters.convert(p) != p else p for p in parts)

    def _fold_clause(self, text: str) -> str:
        """tw2sp over one traditional clause. Where a phrase's conversion changes the length
        (網際網路 -> 互联网) that phrase is folded character by character instead (网际网路): the
        character-level conversion is aligned with the phrase-level one and each replaced span of equal
        length is taken from the latter."""
        assert self._phrases is not None and self._characters is not None
        folded = self._phrases.convert(text)
        if len(folded) == len(text):
            return folded
        chars = self._characters.convert(text)
        if len(chars) != len(text):  # not seen in OpenCC's tables; kept safe character by character
            chars = "".join(c if len(c := self._characters.convert(ch)) == 1 else ch for ch in text)
        out = list(chars)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, chars, folded, autojunk=False).get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                out[i1:i2] = folded[j1:j2]
        return "".join(out)

    def normalize(self, text: str) -> str:
        """What the tokens' offsets point into: `normalize(text)` with traditional characters folded."""
        return self.fold(normalize(text))

    def term(self, word: str) -> str | None:
        """The indexed form of one jieba word (already normalised), or None when it is not kept. Kept per
        word (words repeat: an ingest asks for the same few thousand most of the time)."""
        try:
            return self._terms[word]
        except KeyError:
            pass
        if len(self._terms) >= TERM_CACHE_SIZE:
            self._terms.clear()
        kept = self._terms[word] = self._term(word)
        return kept

    def _term(self, word: str) -> str | None:
        word = word.strip()
        if not is_term(word) or word in self.stopwords:
            return None
        if self._stemmer is not None and _LATIN_WORD.match(word):
            return str(self._stemmer.stemWord(word))
        return word

    def _kept(self, text: str, mode: str) -> list[Span]:
        """(term, start, end) of the tokens kept, in jieba's order."""
        term = self.term
        kept: list[Span] = []
        for word, start, end in self._segmenter.tokenize(self.normalize(text), mode):
            t = term(word)
            if t is not None:
                kept.append((t, start, end))
        return kept

    def document_terms(self, text: str) -> tuple[list[str], list[int]]:
        """A document's terms and their positions (document_tokens without the offsets: what an ingest
        stores)."""
        kept = self._kept(text, "search")
        return [t for t, _, _ in kept], word_positions(kept)

    def document_tokens(self, text: str) -> list[Token]:
        """Search-mode tokens, a word's sub-words at the word's own position (中华人民共和国 and its 中华,
        人民, 共和国 all at one position), so positions count words: a phrase's words are adjacent in
        the tsvector exactly when they follow each other in the text (word_positions)."""
        kept = self._kept(text, "search")
        return [Token(t, p, s, e) for (t, s, e), p in zip(kept, word_positions(kept), strict=True)]

    def query_tokens(self, text: str) -> list[Token]:
        return [Token(t, i, s, e) for i, (t, s, e) in enumerate(self._kept(text, "default"), 1)]

    def query_terms(self, text: str) -> list[str]:
        return [t for t, _, _ in self._kept(text, "default")]

    def term_spans(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        """(start, end) of the search-mode tokens of already normalised text whose term is one of `terms`
        (for highlighting).

        jieba cuts each run of Han characters, letters and digits on its own, so only the runs that may
        hold one of the terms are cut, and only the words that may be one are analysed: the same spans
        for a fraction of the work (a Latin term's stem need not be a substring: words with letters
        always go)."""
        latin = any(_LATIN_WORD.match(t) for t in terms)
        out = []
        for m in jieba.re_han_default.finditer(text):
            block = m.group()
            if not (any(t in block for t in terms) or (latin and _HAS_LETTER.search(block))):
                continue
            for word, start, end in self._segmenter.tokenize(block, "search"):
                if (word in terms or (latin and _HAS_LETTER.search(word))) and self.term(word) in terms:
                    out.append((m.start() + start, m.start() + end))
        return out


_lock = threading.Lock()
_config = AnalyzerConfig()


def _pypinyin_version() -> str:
    from importlib.metadata import version

    return version("pypinyin")


def configure(config: AnalyzerConfig) -> None:
    """Set the process's analyzer (the service and the CLI call this once, from the settings)."""
    global _config
    with _lock:
        _config = config


def current_config() -> AnalyzerConfig:
    """The process's analyzer settings (what worker processes are configured with)."""
    with _lock:
        return _config


@lru_cache(maxsize=4)
def _analyzer_for(config: AnalyzerConfig) -> Analyzer:
    return Analyzer(config)


def analyzer() -> Analyzer:
    with _lock:
        return _analyzer_for(_config)


def warm_up() -> None:
    """Load jieba's dictionary (about a second) and pypinyin's (0.15 s) now, rather than inside the
    first search or the first write (the service's first upsert took 200 ms instead of 20)."""
    from app.text.pinyin import field_pinyin  # it imports this module

    analyzer()
    field_pinyin(["中文"])


def normalize(text: str) -> str:
    """NFKC, lowercase, and without characters Postgres text cannot hold (NUL, lone surrogates)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def is_term(word: str) -> bool:
    """A token is kept when it holds a letter or digit and is not absurdly long."""
    return 0 < len(word) <= MAX_TERM_CHARS and any(ch.isalnum() for ch in word)


def word_positions(spans: list[Span]) -> list[int]:
    """Each search-mode token's 1-based word position. jieba gives a word's sub-words just before the
    word, inside its span: a token that overlaps or covers the spans before it joins their position."""
    positions: list[int] = []
    groups: list[tuple[int, int, int, int]] = []  # (start, end, first token, position) per word
    for i, (_, start, end) in enumerate(spans):
        at, first = start, i
        while groups and (groups[-1][1] > at or groups[-1][0] >= at):
            g_start, g_end, first, _ = groups.pop()
            start, end = min(start, g_start), max(end, g_end)
        position = groups[-1][3] + 1 if groups else 1
        groups.append((start, end, first, position))
        if first < i:
            positions[first:] = [position] * (i - first)
        positions.append(position)
    return positions


def document_tokens(text: str) -> list[Token]:
    """Search-mode tokens of a document, with word positions and offsets into `analyzer().normalize(text)`."""
    return analyzer().document_tokens(text)


def query_terms(text: str) -> list[str]:
    """Precise-mode terms of a query, in order, duplicates kept (BM25 sums a repeated query term)."""
    return analyzer().query_terms(text)


def term_frequencies(tokens: list[Token]) -> Counter[str]:
    """Exact term frequencies (a tsvector keeps at most 256 positions per lexeme, so BM25 reads these)."""
    return Counter(t.term for t in tokens)


def analyze_text(text: str, as_query: bool) -> dict[str, Any]:
    """The tokens a text becomes, with the normalised text their offsets point into, its pinyin (a
    query's reading as a tsquery, or None; a document field's pinyin tsvector) and the analyzer's
    signature: what `GET /analyze` and `hybrid-search analyze` show."""
    from app.text.pinyin import field_pinyin, pinyin_query  # it imports this module

    a = analyzer()
    tokens = a.query_tokens(text) if as_query else a.document_tokens(text)
    return {
        "mode": "query" if as_query else "document",
        "normalized": a.normalize(text),
        "script_folded": a.config.fold_script,
        "tokens": [asdict(t) for t in tokens],
        "pinyin": pinyin_query(text) if as_query else field_pinyin([a.fold(text)]).tsvector,
        "analyzer": a.signature,
    }
