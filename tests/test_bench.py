"""`hybrid-search bench` produces a complete report (speed itself is measured by the bench, not here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app import cli
from app.bench.queries import KINDS, draw_queries
from app.bench.stats import latency_summary, recall_at
from app.config import Settings
from app.embedding.synthetic import ClusteredVectors
from tests.conftest import SHARED_DATA


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


def test_queries_cover_every_kind() -> None:
    texts = [f"文本 {i} 常见 词语 稀有{i}" for i in range(300)]
    term_sets = [{"文本", "常见", "词语", f"稀有{i}"} for i in range(300)]
    qs = draw_queries(texts, term_sets, 40)
    assert len(qs) == 40 and {q.kind for q in qs} == set(KINDS)


def test_bench_cli_reports_every_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s = Settings(embedding_model=str(tmp_path / "no-model"), hybrid_search_home=tmp_path / "home")
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    out = tmp_path / "report.json"
    args = ["bench", str(SHARED_DATA / "zh_scale" / "corpus.jsonl"), "--limit-docs", "400", "--queries", "24"]
    args += ["--dim", "64", "--http-requests", "40", "--http-concurrency", "4", "--compare", "none"]
    args += ["--mixed-requests", "60", "--mixed-concurrency", "4"]
    assert cli.main([*args, "--quiet", "--out", str(out)]) == 0
    render_text = capsys.readouterr().out
    assert "keyword p50" in render_text
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ingest"]["documents"] == 400 and report["ingest"]["database"]["docs_per_s"] > 0
    assert (
        report["indexes"]["hnsw_build_s"] >= 0 and "passages_embedding_hnsw" in report["indexes"]["sizes_mb"]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        assert report["search"][mode]["latency_ms"]["n"] == 24
    assert report["search"]["keyword"]["mean_hits"] > 0
    assert all(0 <= r["recall@10"] <= 1 for r in report["semantic_recall"])
    # the loaded index (VECTOR_STORAGE: halfvec), and by default the other storage side by side
    variants = report["index_variants"]
    assert [v["index"].split()[0] for v in variants] == ["halfvec", "vector"]
    assert variants[1]["build_s"] >= 0 and variants[1]["size_mb"] > 0
    assert all(0 <= r["recall@10"] <= 1 for v in variants for r in v["by_ef"])
    http = report["http"]["keyword_c4"]
    assert http["requests"] == 40 and http["errors"] == 0 and http["rps"] > 0
    # searches of every mode and upserts from this process against the service, at once
    mixed = report["http"]["mixed"]
    assert mixed["requests"] == 60 and mixed["errors"] == 0, mixed["error_kinds"]
    assert {k: v["requests"] for k, v in mixed["by_kind"].items()} == {
        "keyword": 16,
        "semantic": 16,
        "hybrid": 16,
        "upsert": 12,
    }
    assert (
        mixed["searches_alone"]["requests"] == 48 and mixed["search_latency_ratio_mixed_to_alone"]["p50"] > 0
    )
    after = mixed["after"]
    assert after["consistent"] and after["documents_as_written"] == after["documents_expected"] == 24
    assert after["removed"] == 24  # taken out again: the corpus is left as loaded
    assert "HTTP mixed load: 60 requests" in render_text
    assert cli.main(["bench", "--limit-docs", "0"]) == 2
    assert cli.main(["bench", "--mixed-write-share", "1.5"]) == 2


def test_bench_skips_bad_records(tmp_path: Path) -> None:
    """A corpus with a bad record (no text, not an object, invalid JSON) is read past, not stopped at."""
    from app.bench.runner import documents

    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {"_id": "a", "text": "第一篇"},
        {"_id": "b"},  # no text: InvalidDocument
        ["not", "an", "object"],
        {"_id": "c", "text": "第三篇"},
    ]
    corpus.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n{oops\n"
        + '{"_id": "d", "text": "x"}\n',
        encoding="utf-8",
    )
    assert [d.external_id for d in documents(corpus, None)] == ["a", "c", "d"]
