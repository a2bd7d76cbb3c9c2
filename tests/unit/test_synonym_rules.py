"""Synonym rules as Solr writes them, read alone."""

from __future__ import annotations

import pytest

from app.errors import InvalidQuery
from app.search.synonyms import Rule, parse_rule


def test_equivalence_groups_and_one_way_rules() -> None:
    group = "手机, 移动电话, 智能手机"
    assert parse_rule(group) == Rule(group, ["手机", "移动电话", "智能手机"])
    assert parse_rule(" 电脑 => 计算机, 电脑 ") == Rule("电脑 => 计算机, 电脑", ["电脑"], ["计算机", "电脑"])
    assert parse_rule("Laptops, notebook") == Rule("Laptops, notebook", ["laptop", "notebook"])  # analysed
    for line in ("", "   ", "# a comment"):
        assert parse_rule(line) is None


def test_bad_rules_say_why() -> None:
    for line, why in [
        ("手机", "two words or more"),
        ("手机 =>", "words => words"),
        ("x => y => z", "words => words"),
        ("苹果手机 => iphone", "2 terms"),  # one word as the analyzer reads it (JIEBA_USER_DICT helps)
        ("手机, ，。", "0 terms"),
    ]:
        with pytest.raises(InvalidQuery, match=why):
            parse_rule(line)
