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


def test_traditional_and_simplified_fold_to_one_script() -> None:
    a = Analyzer(AnalyzerConfig())
    assert a.query_terms("臺灣 軟體") == a.query_terms("台湾 软件") == ["台湾", "软件"]  # the phrase table
    assert a.query_terms("北京大學的歷史") == a.query_terms("北京大学的历史")
    # the normalised text keeps its length, so offsets still point at the document's own characters
    for text in [
        "臺灣的軟體產業在網際網路時代",
        "他說：「計程車」",
        "English 和 中文 mixed 軟體",
        "简体不变",
    ]:
        assert len(a.normalize(text)) == len(text.lower())
    # a phrase whose conversion changes length (網際網路 -> 互联网) folds character by character,
    # while the rest of the text keeps its phrase-level folding
    assert a.normalize("臺灣的軟體產業在網際網路時代") == "台湾的软件产业在网际网路时代"
    off = Analyzer(AnalyzerConfig(fold_script=False))
    assert off.query_terms("臺灣") != ["台湾"] and off.normalize("軟體") == "軟體"
    assert off.signature != a.signature  # re-ingest re-tokenises after the setting changes


def test_simplified_text_keeps_its_own_words() -> None:
    """Taiwan's vocabulary table applies to traditional clauses only: in simplified text 程序 (program)
    and 进程 (process), 序列 and 串行 stay different words."""
    a = Analyzer(AnalyzerConfig())
    for text in ["程序设计", "光谱化学序列", "内存和硬盘"]:
        assert a.fold(text) == text
    assert a.query_terms("程序") != a.query_terms("进程")
    assert a.fold("我用電腦寫程式。程序员写程序") == "我用电脑写程序。程序员写程序"  # one clause each


def test_highlight_marks_the_documents_own_characters() -> None:
    from app.search.highlight import snippet

    folded = snippet("他說臺灣的軟體產業發展很快。", ["台湾", "软件"])
    assert folded.html == "他說<mark>臺灣</mark>的<mark>軟體</mark>產業發展很快。"
    assert folded.text == "他說臺灣的軟體產業發展很快。"
