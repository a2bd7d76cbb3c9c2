"""The bench's pure parts: statistics, synthetic vectors, query drawing, reading past bad records."""

from __future__ import annotations

import numpy as np
import pytest

from app.bench.queries import KINDS, draw_queries
from app.bench.stats import latency_summary, recall_at
from app.embedding.synthetic import ClusteredVectors


def test_stats_and_synthetic_vectors() -> None:
    s = latency_summary([1.0, 2.0, 3.0, 4.0])
    assert s["p50"] == 2.5 and s["max"] == 4.0 and s["n"] == 4
    assert recall_at([1, 2, 3], [3, 2, 9], k=3) == pytest.approx(2 / 3)
    v = ClusteredVectors(dim=64, clusters=8)
    a, b = v.documents(0, 100), v.documents(0, 100)
    assert np.array_equal(a, b) and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # Documents of one cluster are nearer each other than to other clusters' (neighbourhoods exist).
    same = a[0] @ a[8]  # 0 and 8 share a centre: ids map to centres by a multiplicative hash mod 8
    assert same > np.median(a[0] @ a[1:].T)
    # A key's vector is its own, whatever else is in the batch; keys of one centre are near each other.
    keyed = v.for_keys([3, 11, 4])
    assert np.array_equal(keyed[1], v.for_keys([11])[0]) and np.allclose(np.linalg.norm(keyed, axis=1), 1.0)
    assert keyed[0] @ keyed[1] > keyed[0] @ keyed[2]  # 3 and 11 share centre 3 (mod 8), 4 does not


def test_queries_cover_every_kind() -> None:
    texts = [f"文本 {i} 常见 词语 稀有{i}" for i in range(300)]
    term_sets = [{"文本", "常见", "词语", f"稀有{i}"} for i in range(300)]
    qs = draw_queries(texts, term_sets, 40)
    assert len(qs) == 40 and {q.kind for q in qs} == set(KINDS)


def test_syntax_queries_quote_a_piece_of_a_document_and_exclude_a_word() -> None:
    from app.bench.queries import BenchQuery, syntax_queries

    qs = [
        BenchQuery("北京大学的历史很长也很有名气", "long"),
        BenchQuery("北京 天气", "mixed"),
        BenchQuery("上海 很好", "common"),
    ]
    assert syntax_queries(qs) == [
        (0, BenchQuery('"北京大学的历史很长也" 很有名气', "phrase")),
        (1, BenchQuery("北京 天气 -上海", "exclusion")),
    ]


def test_pinyin_queries_type_the_titles_or_read_the_queries() -> None:
    from app.bench.queries import BenchQuery, pinyin_queries

    qs = [BenchQuery("北京 天气", "mixed"), BenchQuery("北京大学的历史很长也很有名气", "long")]
    assert pinyin_queries(["北京大学", "Road bike", "北京大学"], qs) == (
        [BenchQuery("beijingdaxue", "pinyin"), BenchQuery("bjdx", "initials")],
        "titles",
    )
    typed, source = pinyin_queries(["", "Road bike"], qs)
    assert typed == [BenchQuery("beijingtianqi", "pinyin")] and source.startswith("queries")


def test_synonym_rules_pair_the_short_queries_first_terms() -> None:
    from app.bench.queries import BenchQuery, synonym_rules

    qs = [
        BenchQuery("a x", "common"),
        BenchQuery("long text", "long"),
        BenchQuery("b", "rare"),
        BenchQuery("a", "mixed"),
    ]
    assert synonym_rules(qs, str.split) == ["a, b", "b, a"]


def test_facet_fields_are_the_commonest_short_text_fields() -> None:
    from app.bench.queries import facet_fields_of

    metadata = [{"src": "a", "cat": "x", "n": 1}, {"src": "b", "long": "y" * 50}, {"src": "c", "cat": "z"}]
    assert facet_fields_of(metadata) == ["src", "cat"]
    assert facet_fields_of([{}]) == []
