"""Snippets: the passage of a document that holds the most query terms, with them wrapped in <mark>.

Terms are located on the normalised text (NFKC + lowercase + traditional folded, as indexed) and mapped
back to the original characters, so the snippet shows the document as written. The chosen window is
re-tokenised with jieba so only whole tokens, in their analysed form, are marked (`cat` is not marked
inside `concatenate`; 北京 is marked in 北京大学 because jieba's search mode indexes it there).
Everything else is HTML-escaped.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from app.text.tokenizer import analyzer

ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    text: str  # plain text of the passage
    html: str  # the passage with <mark> around query terms, everything else escaped


class _CharNorm(dict[int, str]):
    """str.translate table: each character NFKC-normalised and lowercased on its own (memoised)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        self[code] = out = unicodedata.normalize("NFKC", ch).lower() or ch
        return out


_CHAR_NORM = _CharNorm()


def _normalized_with_map(text: str) -> tuple[str, Sequence[int]]:
    """Normalised text (traditional characters folded, as indexed: folding keeps the length) and, for
    each of its characters, the index of the original character."""
    norm = analyzer().fold(text.translate(_CHAR_NORM))
    if len(norm) == len(text):  # every character became exactly one (the usual case)
        return norm, range(len(text))
    index: list[int] = []
    for i, ch in enumerate(text):
        index.extend([i] * len(_CHAR_NORM[ord(ch)]))
    return norm, index


def _occurrences(norm: str, terms: set[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for term in terms:
        start = norm.find(term)
        while start != -1 and len(found) < 10_000:
            found.append((start, term))
            start = norm.find(term, start + 1)
    return sorted(found)


def _best_start(occ: list[tuple[int, str]], width: int) -> int:
    """Start of the window of `width` characters holding the most distinct terms, then most hits."""
    best = (0, 0, 0)  # (distinct, hits, -start)
    best_start = 0
    counts: dict[str, int] = {}  # the window occ[i:j]'s terms (slid along: a body may hold thousands)
    j = 0
    for i, (start, term) in enumerate(occ):
        while j < len(occ) and occ[j][0] < start + width:
            counts[occ[j][1]] = counts.get(occ[j][1], 0) + 1
            j += 1
        key = (len(counts), j - i, -start)
        if key > best:
            best, best_start = key, start
        counts[term] -= 1
        if not counts[term]:
            del counts[term]
    return best_start


def _marked_spans(window: str, terms: set[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of `window` (normalised) whose analysed token is a query term (so a
    stemmed term marks `searches` and `searching` alike)."""
    spans = sorted(analyzer().term_spans(window, terms))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


# Where a long body may be cut around the semantic leg's window: characters normalisation leaves as they
# are and that end a clause (traditional script is folded clause by clause), so a stretch of whole
# clauses normalises exactly as it does inside the whole body.
_CUT = re.compile(r"[\s,.!?;:\u3001\u3002]")
_CUT_REACH = 256  # how far to look for one; none: the whole body


def _clauses_around(body: str, start_at: int, width: int) -> tuple[int, int]:
    """[a, b): whole clauses holding every character the window at `start_at` can show (it shifts left
    by up to `width` at the body's end), or the whole body when no clause ends near."""
    lo, hi = max(0, start_at - width), min(len(body), start_at + 2 * width)
    a = 0
    if lo > 0:
        cuts = [m.end() for m in _CUT.finditer(body, max(0, lo - _CUT_REACH), lo)]
        a = cuts[-1] if cuts else 0
    after = _CUT.search(body, hi, hi + _CUT_REACH) if hi < len(body) else None
    b = after.start() if after else len(body)
    return a, b


def snippet(body: str, terms: list[str], width: int = 160, start_at: int | None = None) -> Snippet:
    """The best passage of `body` for `terms` (the start of the body when no term occurs), or the
    window beginning at character `start_at` of the body (the semantic leg's best passage: only the
    clauses around it are normalised, not a long body whole)."""
    if start_at is None or len(body) <= 4 * width:
        return _snippet(body, terms, width, start_at, (0, len(body)))
    a, b = _clauses_around(body, start_at, width)
    return _snippet(body[a:b], terms, width, start_at - a, (a, len(body)))


def _snippet(
    body: str, terms: list[str], width: int, start_at: int | None, within: tuple[int, int]
) -> Snippet:
    """snippet() of `body`, which starts at character within[0] of a body within[1] long (for the
    ellipses)."""
    wanted = {t for t in terms if t}
    norm, index = _normalized_with_map(body)
    occ = _occurrences(norm, wanted)
    if start_at is not None:
        start = next((i for i, orig in enumerate(index) if orig >= start_at), len(norm))
    else:
        start = max(0, _best_start(occ, width) - width // 5) if occ else 0
    end = min(len(norm), start + width)
    start = max(0, min(start, end - width))
    spans = _marked_spans(norm[start:end], wanted) if occ else []

    orig_start = index[start] if start < len(index) else len(body)
    orig_end = index[end - 1] + 1 if end > 0 and end <= len(index) else len(body)
    prefix = ELLIPSIS if within[0] + orig_start > 0 else ""
    suffix = ELLIPSIS if within[0] + orig_end < within[1] else ""
    parts: list[str] = []
    cursor = orig_start
    for s, e in spans:
        os, oe = index[start + s], index[start + e - 1] + 1
        if os < cursor:
            continue
        parts.append(html.escape(body[cursor:os]))
        parts.append("<mark>" + html.escape(body[os:oe]) + "</mark>")
        cursor = oe
    parts.append(html.escape(body[cursor:orig_end]))
    plain = body[orig_start:orig_end]
    return Snippet(prefix + plain + suffix, prefix + "".join(parts) + suffix)
