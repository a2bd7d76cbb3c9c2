"""Synonym rules as Solr writes them, read alone."""

from __future__ import annotations

import pytest

from app.errors import InvalidQuery
from app.search.synonyms import Rule, expand, parse_rule, with_phrases


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
        ("iphone => 苹果手机", "2 terms"),  # a target must be one term (JIEBA_USER_DICT helps)
        ("苹果手机, iphone", "2 terms"),  # so must a group's members
        ("手机, ，。", "0 terms"),
    ]:
        with pytest.raises(InvalidQuery, match=why):
            parse_rule(line)


def test_a_one_way_rule_may_start_from_several_terms() -> None:
    assert parse_rule("苹果手机 => iphone") == Rule(
        "苹果手机 => iphone", ["苹果 手机"], ["iphon"]
    )  # stemmed, as documents are


def test_runs_become_one_slot() -> None:
    groups = {"苹果 手机": ["iphone"], "手机": ["手机", "移动电话"], "苹果 手机 壳": ["iphone壳"]}
    assert with_phrases(["买", "苹果", "手机"], groups) == ["买", "苹果 手机"]
    assert with_phrases(["苹果", "手机", "壳", "手机"], groups) == ["苹果 手机 壳", "手机"]  # longest first
    assert with_phrases(["手机", "苹果"], groups) == ["手机", "苹果"]  # not in a row
    terms, kept = expand(["买", "苹果", "手机"], groups)
    assert terms == ["买", "苹果 手机"] and kept == {"苹果 手机": ["iphone"]}  # 手机 is inside the run
