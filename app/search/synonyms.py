"""Synonyms managed by admins, applied at query time (search.synonyms, sql/13_synonyms.sql).

Rules are written as Solr and Elasticsearch synonym files write them: `手机, 移动电话, 智能手机` makes an
equivalence group (each finds them all); `苹果手机 => iphone` maps one way (a query's 苹果手机 searches
iphone instead; write `苹果手机 => 苹果手机, iphone` to keep it). Each word must be one term as the
analyzer reads it (so `智能手机` must not split): what the keyword leg scores as a term's forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from app.db import query
from app.errors import InvalidQuery
from app.text import query_terms


@dataclass(frozen=True)
class Rule:
    text: str  # as written
    forms: list[str]
    targets: list[str] | None = None  # None: an equivalence group


def _terms(part: str, line: str) -> list[str]:
    out: list[str] = []
    for word in (w.strip() for w in part.split(",")):
        if not word:
            continue
        terms = query_terms(word)
        if len(terms) != 1:
            raise InvalidQuery(
                f"{word!r} in {line!r} is {len(terms)} terms as the analyzer reads it ({' '.join(terms)}); "
                "a synonym must be one"
            )
        if terms[0] not in out:
            out.append(terms[0])
    return out


def parse_rule(line: str) -> Rule | None:
    """One line of a synonym file: a rule, None for a blank or `#` comment line, InvalidQuery when bad."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if "=>" in text:
        left, _, right = text.partition("=>")
        if "=>" in right or not left.strip(" ,") or not right.strip(" ,"):
            raise InvalidQuery(f"{text!r}: a one-way rule is `words => words`")
        return Rule(text, _terms(left, text), _terms(right, text))
    forms = _terms(text, text)
    if len(forms) < 2:
        raise InvalidQuery(f"{text!r}: an equivalence group needs two words or more, comma-separated")
    return Rule(text, forms)


def add_rules(conn: psycopg.Connection[Any], rules: Iterable[Rule]) -> list[int]:
    """Store rules; their ids. They apply to the next search of every worker (read per search)."""
    ids = []
    for rule in rules:
        params = {"rule": rule.text, "forms": rule.forms, "targets": rule.targets}
        row = conn.execute(query("synonyms_add"), params).fetchone()
        assert row is not None
        ids.append(int(row[0]))
    return ids


def remove_rules(conn: psycopg.Connection[Any], ids: list[int]) -> int:
    return conn.execute(query("synonyms_remove"), {"ids": ids}).rowcount


def list_rules(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    rows = conn.execute(query("synonyms_list")).fetchall()
    return [{"id": r[0], "rule": r[1], "forms": r[2], "targets": r[3]} for r in rows]


def synonym_groups(conn: psycopg.Connection[Any], terms: list[str]) -> dict[str, list[str]]:
    """The query's terms that have synonyms, with every form searched for each."""
    if not terms:
        return {}
    row = conn.execute(query("synonym_groups"), {"terms": terms}).fetchone()
    return dict(row[0]) if row and row[0] else {}
