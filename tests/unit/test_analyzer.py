"""The analyzer alone: stemming, stop words and its options."""

from __future__ import annotations

from pathlib import Path

from app.text import document_tokens, query_terms
from app.text.tokenizer import Analyzer, AnalyzerConfig


def test_latin_words_are_stemmed_and_stop_words_dropped() -> None:
    assert query_terms("The searches were running") == ["search", "were", "run"]
    assert [t.term for t in document_tokens("searching C++ in 北京")] == ["search", "c++", "北京"]


def test_analyzer_options(tmp_path: Path) -> None:
    plain = Analyzer(AnalyzerConfig(stemmer_language=None, english_stopwords=False))
    assert plain.query_terms("The searches") == ["the", "searches"]
    stop = tmp_path / "stop.txt"
    stop.write_text("# 中文停用词\n的\n了\n", encoding="utf-8")
    user = tmp_path / "dict.txt"
    user.write_text("混合检索 100000 n\n", encoding="utf-8")
    custom = Analyzer(AnalyzerConfig(stopwords_file=stop, user_dict=user))
    assert custom.query_terms("混合检索的效果好了") == ["混合检索", "效果", "好"]
    assert Analyzer(AnalyzerConfig()).query_terms("混合检索的效果") != ["混合检索", "效果"]
    assert custom.signature != Analyzer(AnalyzerConfig()).signature
