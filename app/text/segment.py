"""jieba's segmentation, faster: jieba-rs (rjieba) finds the dictionary's cut, jieba does the rest.

jieba (pure Python) was most of the CPU an ingest spends per document and a third of a keyword search's
time in the service (highlighting re-cuts each hit's snippet). Its work is two parts: the best path
through the dictionary's words (a DAG, in Python), then an HMM over each run of single characters that
is no word. jieba-rs, a Rust port with jieba's dictionary, finds the same path about ten times faster;
its HMM breaks near ties otherwise than jieba's (常在较: 常|在|较 in jieba, 常在|较 in jieba-rs), and it
groups letters, digits and jieba's joining characters (+#&._%-) otherwise (60-70: jieba 60|-|70). So:
- jieba-rs gives the dictionary's cut (HMM off) of each run of Han characters, and jieba's own HMM
  (finalseg, memoised) cuts the runs of single characters in it, exactly as jieba's __cut_DAG does;
- letters, digits and joining characters are single steps of that path between jieba-rs's runs, as in
  jieba's DAG, where no dictionary word holds one (c++, t恤, 3d: 70 words in jieba's dictionary);
- a block with such a word, Han characters outside jieba's range, or a unit repeated three times
  (差差差: the two break that tie differently too) is cut by jieba itself.
The tokens are jieba's, which stored tsvectors were made with: tests/unit/test_segment.py compares the
two on real and edge text, and docs/performance.md on the 157,814-document bench corpus.

With a user dictionary both engines get its words (jieba's load_userdict, then jieba-rs's add_word with
the frequency jieba gave each).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import jieba
import rjieba
from jieba import finalseg

# jieba's blocks (re_han_default) hold its Han characters and these: ASCII letters and digits, and its
# joining characters
_BLOCK_OTHER = frozenset(string.ascii_letters + string.digits + "+#&._%-")
_OTHER_CHAR = "[" + "".join(map(re.escape, sorted(_BLOCK_OTHER))) + "]"
# What jieba-rs is never given: Han characters jieba-rs takes into its blocks and jieba does not, and a
# unit repeated three times (差差差: the two break the tie between 差|差差 and 差差|差 differently).
_JIEBA_ONLY = re.compile(
    r"[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
    r"|([\u4e00-\u9fd5])\1\1|([\u4e00-\u9fd5]{2})\2\2"
)
# A text jieba-rs is not given whole: those, and the other characters of jieba's blocks (jieba and
# jieba-rs group them differently).
_RISKY = re.compile(_OTHER_CHAR + "|" + _JIEBA_ONLY.pattern)
_OTHER_RUN = re.compile(f"({_OTHER_CHAR}+)")
_HAN_RUN = re.compile("([\u4e00-\u9fd5]+)")  # jieba's Han characters (finalseg's re_han)
# Dictionary words with letters or digits past which such text goes to jieba whole (a pattern of 1,000
# finds none in ~9 us a text, of 70, jieba's own, in ~1)
MAX_MIXED_WORDS = 1_000
Span = tuple[str, int, int]


class Segmenter:
    """jieba.Tokenizer's tokenize (default and search modes, HMM on), with jieba-rs's dictionary cut."""

    def __init__(self, user_dict: Path | None = None) -> None:
        self.jieba = jieba.Tokenizer()
        self.jieba.initialize()
        self._rust = rjieba.Jieba()
        if user_dict is not None:
            self.jieba.load_userdict(str(user_dict))
            for word in _user_words(user_dict):
                # the frequency jieba ended with (given, or its suggest_freq), so both cut alike
                self._rust.add_word(word, self.jieba.FREQ.get(word, 0), None)
        self._mixed_words = _words_with_other_than_han(self.jieba.FREQ)
        # jieba's own cut of a block, kept: the blocks that take it (a repeated unit: 很好很好很好) are
        # few, long and slow (~0.5 ms), and the same documents' snippets meet them again
        self._jieba_cut = lru_cache(maxsize=4096)(self._jieba_tokenize)

    def tokenize(self, text: str, mode: str = "default") -> list[Span]:
        """(word, start, end) as jieba.Tokenizer.tokenize(text, mode) yields them."""
        if not _RISKY.search(text):  # most texts: one call, and jieba's HMM where it applies
            return self._with_hmm(text, self._rust.tokenize(text, mode, False), mode)
        if self._jieba_rs_cuts(text):  # letters or digits, and no word holding one
            return self._with_hmm(text, self._dictionary_cut(text, mode), mode)
        out: list[Span] = []
        for start, block, han in _blocks(text):
            if han and self._jieba_rs_cuts(block):
                spans = self._with_hmm(block, self._dictionary_cut(block, mode), mode)
            else:
                spans = list(self._jieba_cut(block, mode))
            out.extend((w, start + s, start + e) for w, s, e in spans)
        return out

    def _jieba_tokenize(self, block: str, mode: str) -> tuple[Span, ...]:
        return tuple(self.jieba.tokenize(block, mode=mode))

    def _jieba_rs_cuts(self, text: str) -> bool:
        """Whether _dictionary_cut finds jieba's path through `text`: no Han character outside jieba's
        range, no repeated unit, and no dictionary word holding a letter, digit or joining character
        (with more such words than MAX_MIXED_WORDS, a user dictionary's, no letters or digits at all)."""
        if _JIEBA_ONLY.search(text):
            return False
        if self._mixed_words is None:
            return _OTHER_RUN.search(text) is None
        return self._mixed_words.search(text) is None

    def _dictionary_cut(self, text: str, mode: str) -> list[Span]:
        """jieba's dictionary path through a text whose letters, digits and joining characters (+#&._%-)
        no dictionary word holds: each of them a step of its own, as in jieba's DAG, and jieba-rs's
        path through what lies between (no word covers them, so no path crosses them)."""
        spans: list[Span] = []
        at = 0
        for k, part in enumerate(_OTHER_RUN.split(text)):
            if k % 2:
                spans.extend((ch, at + i, at + i + 1) for i, ch in enumerate(part))
            elif part:
                spans.extend((w, at + s, at + e) for w, s, e in self._rust.tokenize(part, mode, False))
            at += len(part)
        return spans

    def _with_hmm(self, text: str, spans: list[Span], mode: str) -> list[Span]:
        """jieba's cut from the dictionary's (`spans`, no HMM): as jieba does, each run of two or more
        single characters that is not itself a word goes through jieba's own HMM (see the module)."""
        # single characters of jieba's blocks (a gram never is one; punctuation is not in a block)
        single = [e - s == 1 and ("\u4e00" <= w <= "\u9fd5" or w in _BLOCK_OTHER) for w, s, e in spans]
        out: list[Span] = []
        i, n = 0, len(spans)
        while i < n:
            if not single[i]:
                out.append(spans[i])
                i += 1
                continue
            j = i + 1
            while j < n and single[j]:
                j += 1
            run = text[spans[i][1] : spans[j - 1][2]] if j - i >= 2 else ""
            if run and not self.jieba.FREQ.get(run):
                out.extend(self._hmm(run, spans[i][1], mode))
            else:
                out.extend(spans[i:j])
            i = j
        return out

    def _hmm(self, buf: str, start: int, mode: str) -> Iterator[Span]:
        """jieba's HMM words of `buf` at `start`, with a long word's dictionary grams in search mode."""
        freq = self.jieba.FREQ
        for word in _hmm_words(buf):
            width = len(word)
            if mode != "default":
                for size in (2, 3):
                    for k in range(width - size + 1 if width > size else 0):
                        if freq.get(word[k : k + size]):
                            yield word[k : k + size], start + k, start + k + size
            yield word, start, start + width
            start += width


def _words_with_other_than_han(freq: dict[str, int]) -> re.Pattern[str] | None:
    """A pattern finding the dictionary's words (of two or more characters) that hold a letter, digit
    or joining character (c++, t恤, 3d: 70 in jieba's own dictionary), longest first; a text holding
    none of them is cut by jieba-rs between its letters and digits (Segmenter._dictionary_cut). None
    past MAX_MIXED_WORDS: the pattern tries every word at every character (10,000 words: ~0.2 ms a
    text, more than jieba's own path)."""
    words = [w for w, f in freq.items() if f and len(w) > 1 and not _BLOCK_OTHER.isdisjoint(w)]
    if len(words) > MAX_MIXED_WORDS:
        return None
    words.sort(key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) or "(?!)")


@lru_cache(maxsize=1 << 16)
def _hmm_words(buf: str) -> tuple[str, ...]:
    """finalseg.cut(buf), jieba's HMM cut of a run of single characters (runs repeat across texts: 已久,
    names): each run of Han characters through the HMM (memoised too: with digits around them the
    runs are seldom seen twice, their Han parts often), finalseg's groups of the others (letters and
    digits, a decimal, a percent) between them."""
    parts = _HAN_RUN.split(buf)
    words: list[str] = []
    for k, part in enumerate(parts):
        if k % 2:
            words.extend(_han_hmm_words(part))
        elif part:
            words.extend(x for x in finalseg.re_skip.split(part) if x)
    return tuple(words)


@lru_cache(maxsize=1 << 16)
def _han_hmm_words(run: str) -> tuple[str, ...]:
    return tuple(finalseg.cut(run))


def _blocks(text: str) -> Iterator[tuple[int, str, bool]]:
    """jieba's own split of a text: (start, block, whether it is a run of re_han_default), the runs and
    what lies between them alternating (the pattern's group: every odd part is a run)."""
    pos = 0
    for k, part in enumerate(jieba.re_han_default.split(text)):
        if part:
            yield pos, part, k % 2 == 1
            pos += len(part)


def _user_words(path: Path) -> Iterator[str]:
    """A jieba user dictionary's words (`word [freq] [tag]` per line), as jieba reads them."""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        match = jieba.re_userdict.match(line)
        if match is None:
            continue
        yield match.group(1).strip()
