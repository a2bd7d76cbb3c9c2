"""The search box's syntax read alone: phrases, exclusions, OR, and hostile input read as plain text."""

from __future__ import annotations

from app.search.syntax import ParsedQuery, parse, phrase_text, text_condition


def test_phrases_exclusions_and_or() -> None:
    q = parse('"北京 大学" 历史 -清华 -"mountain bike" OR kids')
    assert q == ParsedQuery("北京 大学 历史 kids", ["北京 大学"], ["清华", "mountain bike"])
    assert parse("bike or helmet").text == "bike helmet"  # OR: scoring is disjunctive already
    assert text_condition(q) == "('北京大学') & !('清华') & !('mountain' <-> 'bike')"
    assert phrase_text("北京 大学") == "北京大学" and phrase_text("mountain  bike") == "mountain  bike"


def test_hostile_input_is_plain_text() -> None:
    for q in ['"北京 大学', '"', "-", "--", "OR", "or -", '""', '-""', "-北京"]:
        parsed = parse(q)
        assert not parsed.has_operators or parsed.text.strip(), q
    assert parse('"北京 大学').text == "北京 大学" and not parse('"北京 大学').phrases  # unpaired quote
    assert parse("-北京") == ParsedQuery("-北京")  # exclusions only: nothing to find, so plain text
    # every lexeme is quoted: a tsquery operator typed by the user is never an operator
    assert text_condition(parse('w -"x&y|z"')) == "!('x' <-> 'y' <-> 'z')"
    assert text_condition(parse("w -o'neil")) == "!('o' <-> 'neil')"  # the analyzer splits at quotes
