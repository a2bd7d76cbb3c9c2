"""Tokenizer and tsvector literal: pure functions, no database."""

from __future__ import annotations

from pytest import MonkeyPatch

from app.ingest.documents import Document, analyze
from app.text import document_tokens, normalize, query_terms, term_frequencies, tokenizer, tsvector_literal
from app.text.tokenizer import Token
from app.text.tsvector import quote_lexeme


def test_normalize_nfkc_lowercase_and_nul() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("Hello\x00World") == "hello world"


def test_document_tokens_search_mode_yields_sub_words_with_positions() -> None:
    tokens = document_tokens("中华人民共和国万岁")
    terms = [t.term for t in tokens]
    assert "中华人民共和国" in terms and "共和国" in terms and "人民" in terms
    # a word's sub-words share its position (phrases count words): 中华人民共和国 and its parts, then 万岁
    assert {t.term: t.position for t in tokens} == {t.term: 1 for t in tokens[:-1]} | {"万岁": 2}
    text = normalize("中华人民共和国万岁")
    assert all(text[t.start : t.end] == t.term for t in tokens)


def test_query_terms_precise_mode_and_punctuation_dropped() -> None:
    assert query_terms("北京大学生, Hello World!!") == ["北京", "大学生", "hello", "world"]
    assert query_terms("  !!! ，。？ 😀 ") == []
    assert query_terms("c++ & c#") == ["c++", "c#"]


def test_precise_query_terms_are_found_among_search_mode_document_tokens() -> None:
    text = "我来到北京清华大学"
    doc_terms = {t.term for t in document_tokens(text)}
    assert set(query_terms(text)) <= doc_terms


def test_term_frequencies_are_exact_beyond_tsvector_limits() -> None:
    tokens = document_tokens("猫 " * 300)
    assert term_frequencies(tokens)["猫"] == 300
    literal = tsvector_literal(tokens)
    assert literal.count(",") == 255  # 256 positions kept in the tsvector, the exact tf lives elsewhere


def test_tsvector_literal_quotes_everything() -> None:
    tokens = [Token("it's", 1, 0, 4), Token("a\\b", 2, 5, 8), Token("it's", 3, 9, 13)]
    assert tsvector_literal(tokens) == "'a\\\\b':2 'it''s':1,3"
    assert quote_lexeme("x'y") == "'x''y'"


def test_tsvector_positions_clamped() -> None:
    assert tsvector_literal([Token("x", 20000, 0, 1)]) == "'x':16383"


def test_analyze_agrees_with_the_tokens_it_is_a_shortcut_for(monkeypatch: MonkeyPatch) -> None:
    """analyze() reads terms and positions without building tokens, and keeps each word's term:
    the same tsvector and counts as from document_tokens, also while the term cache clears."""
    title, body = "中华人民共和国 Searching", "我来到北京清华大学, 60-70 差差差 it's 猫猫 " + "的 " * 300
    for size in (tokenizer.TERM_CACHE_SIZE, 2):
        monkeypatch.setattr(tokenizer, "TERM_CACHE_SIZE", size)
        a = analyze(Document("d", title, body))
        head, tail = document_tokens(title), document_tokens(body)
        shift = head[-1].position + 1
        tokens = head + [Token(t.term, t.position + shift, t.start, t.end) for t in tail]
        assert a.tsvector == tsvector_literal(tokens)
        assert (a.doc_len, a.title_len) == (len(tokens), len(head))
        assert a.term_freqs == dict(term_frequencies(tokens)) and a.term_freqs["的"] == 300
        assert a.title_freqs == dict(term_frequencies(head))
