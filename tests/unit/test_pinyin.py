"""Pinyin, pure: how fields read (word-level readings, initials pairs) and when a query is pinyin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.eval.pinyin_titles import title_queries
from app.ingest.documents import Document, pinyin_of
from app.text import configure
from app.text.pinyin import SYLLABLES, field_pinyin, pinyin_query, splits_of
from app.text.tokenizer import AnalyzerConfig


def test_syllables_are_pypinyins() -> None:
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    derived = {to_normal(r) for v in pinyin_dict.values() for r in v.split(",")}
    derived = {s for s in derived if s.isascii() and s.isalpha()} - {"m", "n", "ng", "hm", "hng"}
    assert derived == SYLLABLES


def test_spaced_and_joined_pinyin_read_alike() -> None:
    spaced, joined = pinyin_query("beijing daxue"), pinyin_query("BeiJingDaXue")
    assert spaced == joined
    assert spaced is not None and spaced.startswith("('bei' <-> 'jing' <-> 'da' <-> 'xue')")
    assert pinyin_query("xi'an") == "('xi' <-> 'an')"
    assert pinyin_query("xian") == "'xian' | ('xi' <-> 'an')"  # 先 first: 西安 is written xi'an
    assert pinyin_query("lue") is not None and "'lve'" in pinyin_query("lue")  # type: ignore[operator]


def test_initials() -> None:
    assert pinyin_query("bjdx") == "('~bj' <-> '~jd' <-> '~dx')"
    assert pinyin_query("bj") == "'~bj'"


@pytest.mark.parametrize(
    "q",
    [
        "mountain bike",
        "hello world",
        "hello",
        "english",
        "北京",
        "beijing2008",
        "b",
        "",
        "  ",
        "'",
        "a-b",
        "北京 daxue",
    ],
)
def test_not_pinyin(q: str) -> None:
    assert pinyin_query(q) is None


def test_a_long_or_hostile_query_is_bounded() -> None:
    assert pinyin_query("a" * 65) is None
    reading = pinyin_query("xianxianxianxianxian")
    assert reading is not None and reading.count("|") < 8
    assert len(splits_of("fangan")) == 2


def test_fields_read_by_word() -> None:
    assert field_pinyin(["重庆"]).tsvector == "'chong':1 'qing':2 '~cq':1"  # not zhong
    bank = field_pinyin(["银行", "行长"])
    assert "'hang':2,4" in bank.tsvector and "'zhang':5" in bank.tsvector and bank.length == 4
    assert field_pinyin(["iPhone 15 评测"]).tsvector == "'ce':2 'ping':1 '~pc':1"
    assert field_pinyin(["北京", "大学"]).tsvector.count("~") == 2  # no pair across fields (a gap)
    assert field_pinyin(["", "abc"]) == field_pinyin([])


def test_traditional_titles_read_as_their_simplified_words() -> None:
    assert "'hang'" in pinyin_of(Document("a", "銀行", "")).tsvector  # 銀行 alone reads yin xing


def test_pinyin_fields_come_from_the_analyzer(restore_analyzer: None) -> None:
    doc = Document("a", "手机", "正文", metadata={"brand": "小米", "price": 5})
    assert "'xiao'" not in pinyin_of(doc).tsvector
    configure(AnalyzerConfig(pinyin_fields=("title", "brand", "price")))
    assert "'xiao':4" in pinyin_of(doc).tsvector  # after the title's two syllables and a gap
    configure(AnalyzerConfig(pinyin_fields=()))
    assert pinyin_of(doc).length == 0


def test_titles_typed_three_ways() -> None:
    assert title_queries("北京大学") == {
        "full": "bei jing da xue",
        "joined": "beijingdaxue",
        "initials": "bjdx",
    }
    assert title_queries("战国无双3") is None  # not typed in pinyin alone


def test_sql_params_keep_the_pinyin_for_the_keyword_leg() -> None:
    from psycopg.types.json import Jsonb

    from app.search.request import Mode
    from app.sqlparams import leg_params

    params = {"filters": Jsonb({"pinyin": "'~bj'", "synonyms": {"a": ["b"]}, "text": "'x'"})}
    assert leg_params(Mode.keyword, params) is params
    assert leg_params(Mode.semantic, params)["filters"].obj == {"text": "'x'"}
    assert leg_params(Mode.semantic, {"filters": Jsonb({"pinyin": "'~bj'"})})["filters"] is None


def test_warm_up_loads_pypinyin_before_the_first_write() -> None:
    """The service warms up at start: its first upsert took 200 ms instead of 20 when pypinyin's
    dictionaries were first read inside it. A fresh interpreter, so that no other test loaded them."""
    code = (
        "import sys; from app.text.tokenizer import warm_up; assert 'pypinyin' not in sys.modules; "
        "warm_up(); assert 'pypinyin.core' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
