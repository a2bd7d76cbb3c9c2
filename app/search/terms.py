"""A long query's strongest terms: BM25 scores a query by at most MAX_QUERY_TERMS distinct terms.

Each distinct term weighs what it can add to a document's score, qtf * idf with
idf = ln(1 + (N - df + 0.5) / (df + 0.5)) (the weight `search.keyword_ranks` uses): common words weigh
little and have the longest posting lists, so dropping them first bounds the work while changing the
ranking least. A term no document holds can add nothing and is dropped first of all.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import psycopg

from app.db import query


def strongest_terms(terms: list[str], df: dict[str, int], n_docs: int, cap: int) -> list[str]:
    """`terms` (in order, repeats kept) restricted to the `cap` distinct ones of highest qtf * idf."""
    qtf = Counter(terms)
    if len(qtf) <= cap:
        return terms

    def weight(term: str) -> float:
        if term not in df:
            return -1.0  # matches nothing
        return qtf[term] * math.log(1 + (n_docs - df[term] + 0.5) / (df[term] + 0.5))

    ranked = sorted(qtf, key=weight, reverse=True)  # stable: ties keep the query's order
    keep = set(ranked[:cap])
    return [t for t in terms if t in keep]


def bounded_terms(conn: psycopg.Connection[Any], terms: list[str], cap: int) -> list[str]:
    """strongest_terms with the statistics read from the database (only when over the cap)."""
    distinct = list(dict.fromkeys(terms))
    if len(distinct) <= cap:
        return terms
    rows = conn.execute(query("term_weights"), {"terms": distinct}).fetchall()
    n_docs = int(rows[0][2]) if rows else 0
    return strongest_terms(terms, {str(r[0]): int(r[1]) for r in rows}, n_docs, cap)
