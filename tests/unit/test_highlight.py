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


def test_the_window_with_most_distinct_terms_wins_over_one_repeated() -> None:
    """The window holding more distinct query terms is shown, though another holds more hits of one
    term; among equals, the earliest."""
    crowd = "苹果" * 40 + "。"
    filler = "无关的内容。" * 30
    body = crowd + filler + "苹果手机的价格。" + filler + "手机苹果。"
    s = snippet(body, query_terms("苹果 价格"), width=40)
    assert "价格" in s.text and "苹果苹果苹果" not in s.text
    two = filler + "苹果价格。" + filler + "苹果价格。"
    first = len(filler) - 20 // 5  # the window starts a fifth of its width before the passage
    assert snippet(two, query_terms("苹果 价格"), width=20).text == "…" + two[first : first + 20] + "…"


def test_no_term_found_gives_the_start_of_the_body() -> None:
    s = snippet("<p>" + "x" * 300, ["zzz"], width=50)
    assert s.text == "<p>" + "x" * 47 + "…" and s.html.startswith("&lt;p&gt;")


def test_a_long_body_is_cut_at_clauses_with_the_same_snippet() -> None:
    """The semantic leg's window in a long body: only the clauses around it are normalised, with the
    same text, marks and ellipses as the whole body gives (traditional script is folded per clause)."""
    import json
    import random
    from pathlib import Path

    import opencc

    from app.search.highlight import _snippet

    corpus = Path(__file__).resolve().parents[2] / "examples" / "data" / "cmrc2018" / "corpus.jsonl"
    bodies = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    to_traditional = opencc.OpenCC("s2t")
    bodies += [to_traditional.convert(b) for b in bodies[:60]]  # folded back when analysed
    rng = random.Random(7)
    cut = 0
    for body in bodies:
        for _ in range(3):
            start = rng.randrange(len(body))
            terms = query_terms(body[max(0, start - 30) : start + 60])[::2]
            for width in (160, 50):
                whole = _snippet(body, terms, width, start, (0, len(body)))
                assert snippet(body, terms, width, start) == whole
                cut += len(body) > 4 * width
    assert cut > 300
