"""A query set drawn from the corpus itself: short queries of 1-3 words, common and rare, and long ones.

Common and rare are by document frequency in the loaded corpus, so every kind of posting list the
keyword leg meets in practice is in the mix.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("common", "rare", "mixed", "long")


@dataclass(frozen=True)
class BenchQuery:
    text: str
    kind: str  # one of KINDS


def document_frequencies(term_sets: Sequence[set[str]]) -> Counter[str]:
    df: Counter[str] = Counter()
    for terms in term_sets:
        df.update(terms)
    return df


def draw_queries(
    texts: Sequence[str], term_sets: Sequence[set[str]], count: int, seed: int = 5
) -> list[BenchQuery]:
    """`count` queries, a quarter of each kind: 1-2 common words; 1-3 rare words (df <= 10); a rare word
    with a common one; the first 20-60 characters of a document."""
    rng = random.Random(seed)
    df = document_frequencies(term_sets)
    n = max(len(term_sets), 1)
    common_df = max(n // 100, 2)
    out: list[BenchQuery] = []
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        kind = KINDS[len(out) % len(KINDS)]
        i = rng.randrange(len(texts))
        terms = sorted(t for t in term_sets[i] if len(t) > 1 or not t.isascii())
        common = [t for t in terms if df[t] >= common_df]
        rare = [t for t in terms if df[t] <= 10]
        if kind == "long":
            start = rng.randrange(max(len(texts[i]) - 20, 1))
            text = texts[i][start : start + rng.randint(20, 60)].strip()
        elif kind == "common" and common:
            text = " ".join(rng.sample(common, min(len(common), rng.randint(1, 2))))
        elif kind == "rare" and rare:
            text = " ".join(rng.sample(rare, min(len(rare), rng.randint(1, 3))))
        elif kind == "mixed" and common and rare:
            text = f"{rng.choice(rare)} {rng.choice(common)}"
        else:
            continue
        if text:
            out.append(BenchQuery(text, kind))
    return out


def syntax_queries(queries: Sequence[BenchQuery]) -> list[tuple[int, BenchQuery]]:
    """The search box's syntax on the same queries (with the index of the query each came from, whose
    vector it reuses): a `phrase` kind quotes the first ten characters of each long query (a piece of a
    document, so it exists) and keeps the rest as words; an `exclusion` kind adds `-word` to each
    mixed query, the word taken from the next query."""
    out: list[tuple[int, BenchQuery]] = []
    for i, q in enumerate(queries):
        if q.kind == "long" and len(q.text) > 12 and '"' not in q.text:
            head, tail = q.text[:10].strip(), q.text[10:].strip()
            out.append((i, BenchQuery(f'"{head}" {tail}', "phrase")))
        elif q.kind == "mixed":
            other = queries[(i + 1) % len(queries)].text.split()
            if other and '"' not in q.text:
                out.append((i, BenchQuery(f"{q.text} -{other[0]}", "exclusion")))
    return out


def pinyin_queries(titles: Sequence[str], queries: Sequence[BenchQuery]) -> tuple[list[BenchQuery], str]:
    """Queries typed in pinyin, and where they come from: the corpus's titles (the PINYIN_FIELDS
    default), each joined (`beijingdaxue`) and as initials (`bjdx`); for a corpus without Chinese
    titles, the Chinese short queries read as pinyin (nothing matches them: what a pinyin query costs
    when no document reads that way)."""
    from app.eval.pinyin_titles import title_queries

    out: list[BenchQuery] = []
    for title in dict.fromkeys(titles):
        typed = title_queries(title)
        if typed:
            out += [BenchQuery(typed["joined"], "pinyin"), BenchQuery(typed["initials"], "initials")]
        if len(out) >= 2 * len(queries):
            break
    if out:
        return out, "titles"
    for q in queries:
        typed = title_queries(q.text.replace(" ", "")) if q.kind != "long" else None
        if typed:
            out.append(BenchQuery(typed["joined"], "pinyin"))
    return out, "queries (no document's pinyin matches)"


def synonym_rules(queries: Sequence[BenchQuery], analyze: Callable[[str], list[str]]) -> list[str]:
    """Equivalence groups that give the short queries' first terms a synonym each (the next query's
    first term), so those queries take the synonym path (a term's forms scored as one term)."""
    firsts = [terms[0] for q in queries if q.kind != "long" and (terms := analyze(q.text))]
    pairs = {(a, b) for a, b in zip(firsts, firsts[1:], strict=False) if a != b}
    return [f"{a}, {b}" for a, b in sorted(pairs)][:100]


def facet_fields_of(metadata: Sequence[dict[str, Any]], n: int = 2) -> list[str]:
    """The `n` metadata fields most documents hold a short text value for: what a shop would facet."""
    held = Counter(k for m in metadata for k, v in m.items() if isinstance(v, str) and len(v) <= 40)
    return [k for k, _ in held.most_common(n)]
