"""The fast segmenter cuts exactly as jieba: the stored tsvectors were made by jieba, and a search must
find what they hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.text.segment import MAX_MIXED_WORDS, Segmenter
from app.text.tokenizer import analyzer

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"

# Where jieba-rs alone cuts otherwise than jieba (routed to jieba), and the cases around them.
EDGES = [
    "作者将整个60-70年代用层出不穷的摇滚巨星",  # jieba: 60 / - / 70; jieba-rs: 60-70
    "适合1-3岁的小宝宝,画面及文字都非常简洁",
    "网址是www.smallstonesoft.com,还有cache.tianya.cn/140524.shtml",
    "7.3-7.4cm的尺寸,0-100%,0-0.25%,2009.03.08出版",
    "e-mail和f-number,t_t,formula_1和c++与c#,at&t",
    "差差差差差,赞赞赞赞赞赞赞!好好好,哈哈哈哈哈,看看看看",
    "谢谢谢谢谢谢,一个一个一个人",
    "㐀㐁中文扩展A,豈更車,鿖鿗新字,𠀀𠀁扩展B",  # Han characters outside jieba's block range
    "好的...不错。。。真的!!!  很  好\t\r\n下一行   end",
    "Hello World, running searches: 北京大学的学生 in 2024 年",
    "臺灣的軟體公司,emoji 😀 和 ①②③ 与 ｆｕｌｌ",
    "",
    " ",
    "中华人民共和国中华人民共和国的人民",
    "常在较陡峭的礁岸可发现它们成群的洄游",  # jieba's HMM: 常|在|较; jieba-rs's: 常在|较 (a near tie)
    "但由于离家已久,故乡渐渐地模糊起来——呵呵~~“表面粗糙”、“内里光滑”",
    "iPhone手机很好用,买了3台,t恤和b超,3d打印",
    "日本語のテキストと中文混合,한국어 텍스트와 中文,café naïve 咖啡,Привет мир 你好世界",
    "中文ｶﾀｶﾅ半角,٣٤٥阿拉伯数字,¹²³上标,ﬁ连字,\u200b零宽\u00a0空格,表情😀🎉中文,ⅫⅣ罗马数字,中文_下划线",
    # letters and digits among Han characters, cut by jieba-rs between them (Segmenter._dictionary_cut)
    "买了3台电脑,打3.5%的折扣,2010年7月1日起,第1-2集",
    "windows\r\n系统和linux  系统,ab中cd,了2010年已久,100%满意a.b.c",
    "1号店的a股和b超,c语言与c++程序,5g手机",
]


def _texts() -> list[str]:
    texts = list(EDGES)
    for line in (DATA / "cmrc2018" / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        texts += [doc.get("title") or "", doc.get("text") or doc.get("body") or ""]
    for line in (DATA / "cmrc2018" / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["text"])
    for bike in json.loads((DATA / "bikes.json").read_text(encoding="utf-8")):
        texts += [bike["model"], bike["description"]]
    return texts


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


@pytest.mark.parametrize("mode", ["default", "search"])
def test_cuts_as_jieba_on_real_and_edge_text(segmenter: Segmenter, mode: str) -> None:
    normalize = analyzer().normalize
    texts = _texts()
    assert len(texts) > 900
    for raw in texts:
        for text in (raw, normalize(raw)):
            assert segmenter.tokenize(text, mode) == list(segmenter.jieba.tokenize(text, mode=mode)), text


def test_where_jieba_rs_alone_differs_jiebas_cut_is_given(segmenter: Segmenter) -> None:
    assert [w for w, _, _ in segmenter.tokenize("60-70年代")][:3] == ["60", "-", "70"]
    assert segmenter._rust.tokenize("60-70年代")[0][0] == "60-70"
    assert [w for w, _, _ in segmenter.tokenize("常在较陡峭")][:3] == ["常", "在", "较"]
    assert segmenter._rust.tokenize("常在较陡峭")[0][0] == "常在"


def test_a_user_dictionary_reaches_both_engines(tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("小石头软件 10 nz\n云计算平台\n区块链技术 5\n", encoding="utf-8")
    plain, custom = Segmenter(), Segmenter(words)
    text = "小石头软件发布了云计算平台和区块链技术的新版本"
    for mode in ("default", "search"):
        cut = custom.tokenize(text, mode)
        assert cut == list(custom.jieba.tokenize(text, mode=mode))
        assert cut == custom._rust.tokenize(text, mode)
        assert {"小石头软件", "云计算平台"} <= {w for w, _, _ in cut}
        assert cut != plain.tokenize(text, mode)


def test_text_with_letters_or_digits_is_cut_without_jieba(
    segmenter: Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words between letters and digits come from jieba-rs and jieba's HMM, not from jieba's own
    (pure Python) dictionary path, unless a dictionary word holds a letter or digit (c++, a股)."""
    text = "2010年7月1日起,我们买了3台电脑,打3.5%的折扣,windows系统很好用"
    expected = {mode: list(segmenter.jieba.tokenize(text, mode=mode)) for mode in ("default", "search")}

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("jieba's own cut")

    monkeypatch.setattr(segmenter.jieba, "tokenize", refuse)
    for mode, cut in expected.items():
        assert segmenter.tokenize(text, mode) == cut
    with pytest.raises(AssertionError, match="jieba's own cut"):
        segmenter.tokenize("c++程序", "default")


def test_a_user_word_with_letters_or_digits_is_cut_as_jieba_cuts_it(tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("5g手机 100 nz\nabc软件\n", encoding="utf-8")
    custom = Segmenter(words)
    for text in ("买了5g手机和abc软件", "5g手机", "用abc软件2年了"):
        for mode in ("default", "search"):
            cut = custom.tokenize(text, mode)
            assert cut == list(custom.jieba.tokenize(text, mode=mode)), text
    assert ("5g手机", 2, 6) in custom.tokenize("买了5g手机")


def test_a_user_dictionary_of_many_words_with_digits_sends_such_text_to_jieba(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_MIXED_WORDS dictionary words with letters or digits, finding them would cost more than
    jieba's own path: text with letters or digits is cut by jieba again, and still as jieba cuts it."""
    words = tmp_path / "dict.txt"
    models = [f"x{n}型号" for n in range(MAX_MIXED_WORDS)]
    words.write_text("".join(f"{w} 50 nz\n" for w in models), encoding="utf-8")
    custom = Segmenter(words)
    texts = ["买了x7型号和x999型号的手机", "2010年7月1日起,打3.5%的折扣", "北京大学的学生"]
    for text in texts:
        for mode in ("default", "search"):
            assert custom.tokenize(text, mode) == list(custom.jieba.tokenize(text, mode=mode)), text
    assert ("x7型号", 2, 6) in custom.tokenize(texts[0])

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("jieba's own cut")

    monkeypatch.setattr(custom.jieba, "tokenize", refuse)
    assert custom.tokenize(texts[2])  # Han characters alone: jieba-rs, as before
    with pytest.raises(AssertionError, match="jieba's own cut"):  # a text not cut before (cuts are kept)
        custom.tokenize("2011年8月2日起,打4.5%的折扣")
