"""Snippets: best passage, whole-token <mark>s, HTML escaped everywhere else."""

from __future__ import annotations

from app.search.highlight import snippet
from app.text import query_terms


def test_chinese_terms_marked_on_jieba_boundaries() -> None:
    body = "北京大学是中国著名的高等学府。" * 2
    s = snippet(body, query_terms("北京 学府"))
    assert "<mark>北京</mark>" in s.html and "<mark>学府</mark>" in s.html
    assert s.text == body


def test_english_whole_words_only_and_escaping() -> None:
    s = snippet("The cat <sat> & concatenated; CAT!", ["cat"])
    assert s.html == "The <mark>cat</mark> &lt;sat&gt; &amp; concatenated; <mark>CAT</mark>!"


def test_best_passage_is_chosen_and_shown_as_written() -> None:
    filler = "无关的内容。" * 60
    body = filler + "混合检索把关键词和语义向量融合在一起。" + filler
    s = snippet(body, query_terms("混合检索 语义向量"), width=60)
    assert s.text.startswith("…") and s.text.endswith("…")
    assert "<mark>混合</mark>" in s.html or "<mark>混合检索</mark>" in s.html
    assert "语义" in s.text
    full_width = snippet("ＨＹＢＲＩＤ search", ["hybrid"])
    assert full_width.html == "<mark>ＨＹＢＲＩＤ</mark> search"


def test_no_term_found_gives_the_start_of_the_body() -> None:
    s = snippet("<p>" + "x" * 300, ["zzz"], width=50)
    assert s.text == "<p>" + "x" * 47 + "…" and s.html.startswith("&lt;p&gt;")
