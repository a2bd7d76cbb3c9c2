"""The tests' tiny random-weight model with bge-m3's architecture, loadable by BGEM3FlagModel by path
(app/bench/random_model.py builds it; the real weights cannot be downloaded on the build machine, so
tests exercise the real loading code on this)."""

from __future__ import annotations

from pathlib import Path

from app.bench.random_model import TINY, build_random_bge_m3

SAMPLE_TEXT = [
    "混合检索结合关键词与语义向量。",
    "Hybrid search fuses BM25 and dense vectors with reciprocal rank fusion.",
    "北京是中国的首都,上海是最大的城市。",
    "The quick brown fox jumps over the lazy dog 0123456789.",
]


def build_tiny_bge_m3(path: Path) -> Path:
    """Write tokenizer, config, random weights and the two bge-m3 heads into `path`."""
    return build_random_bge_m3(path, SAMPLE_TEXT * 20, TINY)
