"""Synonyms managed by admins, applied at query time (search.synonyms, sql/13_synonyms.sql).

Rules are written as Solr and Elasticsearch synonym files write them: `手机, 移动电话, 智能手机` makes an
equivalence group (each finds them all); `苹果手机 => iphone` maps one way (a query's 苹果手机 searches
iphone instead). A one-way rule's left side may be several terms as the analyzer reads them (苹果手机 is
苹果 手机, stored as `苹果 手机`): a query holding them in a row has them replaced by the targets, as one
slot. Targets and group members must be one term each (what the keyword leg scores as a term's forms;
a phrase there is not supported yet: add the word to JIEBA_USER_DICT).
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


def _terms(part: str, line: str, phrases: bool = False) -> list[str]:
    """The words of one side as the analyzer's terms; with `phrases`, a word of several terms is kept
    as those terms joined by spaces (terms never hold a space)."""
    out: list[str] = []
    for word in (w.strip() for w in part.split(",")):
        if not word:
            continue
        terms = query_terms(word)
        if not terms or (len(terms) > 1 and not phrases):
            why = "only a one-way rule's left side may hold several" if terms else "a synonym needs one"
            read = " ".join(terms)
            count = f"{len(terms)} terms as the analyzer reads it ({read})"
            raise InvalidQuery(f"{word!r} in {line!r} is {count}; {why}")
        form = " ".join(terms)
        if form not in out:
            out.append(form)
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
        return Rule(text, _terms(left, text, phrases=True), _terms(right, text))
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
    """The query's terms (or runs of terms, `苹果 手机`) that have synonyms, with every form searched
    for each."""
    if not terms:
        return {}
    row = conn.execute(query("synonym_groups"), {"terms": terms}).fetchone()
    return dict(row[0]) if row and row[0] else {}


def expand(terms: list[str], groups: dict[str, list[str]]) -> tuple[list[str], dict[str, list[str]]]:
    """The keyword leg's terms (runs made one slot, with_phrases) and the synonyms of those it keeps:
    what /search sends and `sql-params` prints."""
    if not groups:
        return terms, groups
    slots = with_phrases(terms, groups)
    return slots, {t: groups[t] for t in dict.fromkeys(slots) if t in groups}


def with_phrases(terms: list[str], groups: dict[str, list[str]]) -> list[str]:
    """The query's terms with each run a multi-term rule matched (a `苹果 手机` key of `groups`) made
    one slot, so the keyword leg scores the rule's targets in its place: [买, 苹果, 手机] -> [买, 苹果 手机].
    Longer runs first; a term belongs to one run at most."""
    runs = sorted((k.split(" ") for k in groups if " " in k), key=len, reverse=True)
    if not runs:
        return terms
    out: list[str] = []
    i = 0
    while i < len(terms):
        run = next((r for r in runs if terms[i : i + len(r)] == r), None)
        out.append(" ".join(run) if run else terms[i])
        i += len(run) if run else 1
    return out
