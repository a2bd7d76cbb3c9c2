"""`hybrid-search bench` produces a complete report (speed itself is measured by the bench, not here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cli
from app.config import Settings
from tests.conftest import DATA


def test_bench_cli_reports_every_section(
    tmp_path: Path, tiny_m3_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s = Settings(embedding_model=str(tmp_path / "no-model"), hybrid_search_home=tmp_path / "home")
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    out = tmp_path / "reports" / "report.json"  # a folder not made yet: the bench makes it first
    args = ["bench", str(DATA / "cmrc2018" / "corpus.jsonl"), "--limit-docs", "300", "--queries", "24"]
    args += ["--dim", "64", "--http-requests", "40", "--http-concurrency", "4", "--compare", "none"]
    args += ["--mixed-requests", "60", "--mixed-concurrency", "4", "--model-speed", str(tiny_m3_path)]
    assert cli.main([*args, "--quiet", "--out", str(out)]) == 0
    render_text = capsys.readouterr().out
    assert "keyword p50" in render_text
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ingest"]["documents"] == 300 and report["ingest"]["docs_per_s"] > 0
    # loaded as `hybrid-search ingest` loads an empty database: the search indexes built after the load
    built = report["ingest"]["built_s"]
    assert {"postings_impact", "documents_tsv_gin", "passages_embedding_hnsw"} <= set(built)
    assert report["indexes"]["gin_build_s"] == built["documents_tsv_gin"]
    assert (
        report["indexes"]["hnsw_build_s"] >= 0 and "passages_embedding_hnsw" in report["indexes"]["sizes_mb"]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        assert report["search"][mode]["latency_ms"]["n"] == 24
    assert report["search"]["keyword"]["mean_hits"] > 0
    beside = report["semantic_beside_index"]  # the service and the bare index query, alternating
    assert beside["service_ms"]["n"] == beside["index_ms"]["n"] == 24 and "over the bare index" in render_text
    syntax = report["search_syntax"]  # phrases and exclusions on the same queries
    assert set(syntax) == {"keyword", "hybrid"} and set(syntax["keyword"]["by_kind_p50_ms"]) == {
        "phrase",
        "exclusion",
    }
    assert syntax["keyword"]["mean_hits"] > 0 and "with the query syntax" in render_text
    pinyin = report["search_pinyin"]  # the sample's titles typed in pinyin: they find their documents
    assert pinyin["source"] == "titles" and pinyin["keyword"]["mean_hits"] > 0
    assert (
        set(pinyin["hybrid"]["by_kind_p50_ms"]) == {"pinyin", "initials"} and "typed in pinyin" in render_text
    )
    synonyms = report["search_synonyms"]  # rules were added for the run, then removed
    assert (
        synonyms["rules"] > 0
        and synonyms["keyword"]["latency_ms"]["n"] > 0
        and "with synonyms" in render_text
    )
    assert all(0 <= r["recall@10"] <= 1 for r in report["semantic_recall"])
    suggest = report["suggest"]  # a site's log written, suggestions rebuilt and timed, the log removed
    assert suggest["suggestions"] > 0 and suggest["latency_ms"]["n"] > 0 and "suggest:" in render_text
    assert "with_titles_from_text" not in suggest  # the sample has titles
    cache = report["answer_cache"]  # repeated searches given from the kept answers
    assert cache["zipf_keyword_cached"]["kept"] == cache["replay"]["distinct"]
    assert cache["zipf_keyword_uncached"]["kept"] == 0 and "zipf keyword:" in render_text
    assert (
        cache["zipf_hybrid_cached"]["latency_ms"]["p50"] < cache["zipf_hybrid_uncached"]["latency_ms"]["p50"]
    )
    speed = report["model_speed"]  # the tiny model given: timed, not built
    assert not speed["built_random_bge_m3"] and list(speed["by_dtype"])[-2:] == [
        "float32",
        "onnx-int8 (queries)",
    ]
    assert speed["dtype"] in ("bfloat16", "float32") and speed["dtype"] in speed["by_dtype"]  # as configured
    for name, run in speed["by_dtype"].items():
        assert run["query_latency_ms"]["n"] > 0 and (run["passages_per_s"] is None) == ("onnx" in name)
    assert "a short query" in render_text and "float32: query p50" in render_text
    assert "onnx-int8 (queries): query p50" in render_text
    # the loaded index (VECTOR_STORAGE: halfvec), and by default the other storage side by side
    variants = report["index_variants"]
    assert [v["index"].split()[0] for v in variants] == ["halfvec", "vector"]
    assert variants[1]["build_s"] >= 0 and variants[1]["size_mb"] > 0
    assert all(0 <= r["recall@10"] <= 1 for v in variants for r in v["by_ef"])
    http = report["http"]["keyword_c4"]
    assert http["requests"] == 40 and http["errors"] == 0 and http["rps"] > 0
    for name in (
        "keyword_zipf_c4",
        "keyword_zipf_kept_c4",
    ):  # a site's repeats, without and with kept answers
        assert report["http"][name]["requests"] == 40 and report["http"][name]["errors"] == 0
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


def test_bench_refuses_an_out_path_it_cannot_write_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s = Settings(hybrid_search_home=tmp_path / "home")
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    args = ["bench", str(DATA / "cmrc2018" / "corpus.jsonl"), "--out", str(tmp_path / "a-file" / "r.json")]
    assert cli.main(args) == 2
    assert "--out" in capsys.readouterr().err
