"""The search box's query syntax, with PostgreSQL's `websearch_to_tsquery` conventions so analysts know
it: `"exact phrase"`, `-word` and `-"phrase"` (excluded), and `OR` between words. What is left once the
operators are read is the query text the keyword leg scores and the semantic leg embeds.

Reading never fails: a quote without its pair, a lone `-`, a query of operators only, or tsquery's
own characters (`&|!():*<>`) are read as plain text, and `syntax=plain` reads everything so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.text import query_terms
from app.text.tsvector import quote_lexeme

# A quoted phrase, a word (anything up to white space or a quote), each maybe after a minus sign.
_TOKEN = re.compile(r'(?P<neg>-?)(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


@dataclass(frozen=True)
class ParsedQuery:
    """A query as the search box's syntax reads it."""

    text: str  # the words and phrases to score and embed, without operators
    phrases: list[str] = field(default_factory=list)  # each must occur, its words adjacent and in order
    excluded: list[str] = field(default_factory=list)  # words or phrases no hit may contain

    @property
    def has_operators(self) -> bool:
        return bool(self.phrases or self.excluded)


def plain(q: str) -> ParsedQuery:
    return ParsedQuery(q)


def parse(q: str) -> ParsedQuery:
    """Read `q` with websearch_to_tsquery's conventions; plain text when that leaves nothing to find."""
    # a quote without its pair: quotes mean nothing in this query
    q_for_syntax = q.replace('"', " ") if q.count('"') % 2 else q
    kept: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    for m in _TOKEN.finditer(q_for_syntax):
        negated, phrase, word = bool(m.group("neg")), m.group("phrase"), m.group("word")
        if phrase is not None:
            phrase = " ".join(phrase.split())
            if not phrase:
                continue
            (excluded if negated else phrases).append(phrase)
            if not negated:
                kept.append(phrase)
        elif word is not None:
            if word.lower() == "or" or word == "-":  # OR: scoring is disjunctive already
                continue
            if negated:
                excluded.append(word)
            else:
                kept.append(word)
    if not kept:  # operators only (`-x`, `OR`, `""`): read it as plain text
        return plain(q)
    return ParsedQuery(" ".join(kept), phrases, excluded)


def phrase_text(phrase: str) -> str:
    """A phrase as it is tokenised: spaces between Chinese characters dropped (`"北京 大学"` is 北京大学,
    which jieba keeps as one word), other spaces kept."""
    return _CJK_SPACE.sub("", phrase)


def phrase_tsquery(text: str) -> str | None:
    """A phrase as tsquery text: its query terms adjacent and in order (`'北京' <-> '大学'`), each lexeme
    quoted, so nothing the user typed is read as a tsquery operator; None when it has no terms."""
    terms = query_terms(phrase_text(text))
    if not terms:
        return None
    return "(" + " <-> ".join(quote_lexeme(t) for t in terms) + ")"


def text_condition(parsed: ParsedQuery) -> str | None:
    """What every hit's tsvector must match (search.text_holds): each phrase, and none of the
    excluded words or phrases; None when the query has no such operators."""
    required = [q for q in map(phrase_tsquery, parsed.phrases) if q]
    refused = [f"!{q}" for q in map(phrase_tsquery, parsed.excluded) if q]
    return " & ".join(required + refused) or None
