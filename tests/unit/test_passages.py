"""Long bodies split into overlapping passages that prefer sentence ends."""

from __future__ import annotations

import pytest

from app.ingest.passages import split_passages


def test_split_passages_cover_overlap_and_prefer_sentence_ends() -> None:
    assert split_passages("short", 10, 2) == [(0, 5)]
    body = "一二三四五六七八。" * 10  # 90 characters, a sentence end every 9
    spans = split_passages(body, 40, 8)
    assert spans[0][0] == 0 and spans[-1][1] == len(body)
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 < e1 and e1 - s2 == 8  # overlapping
        assert body[e1 - 1] == "。"  # cut after a sentence
    assert all(e - s <= 40 for s, e in spans)
    with pytest.raises(ValueError):
        split_passages("x", 10, 10)
