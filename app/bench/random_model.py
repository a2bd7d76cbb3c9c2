"""A random-weight model with bge-m3's architecture (an XLM-RoBERTa encoder plus the sparse and colbert
heads), loadable by BGEM3FlagModel by path. Speed does not depend on weights, so the full-size one
(`BGE_M3`: 24 layers of 1,024, 8,192 positions, 250,002 tokens) measures what a user on CPU waits for,
where the real weights cannot be downloaded; the tests build a tiny one."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    vocab: int | None  # the embedding table's size (None: the tokenizer's)
    tokenizer_vocab: int  # pieces the tokenizer learns from the texts it is trained on


BGE_M3 = Shape(1024, 24, 16, 4096, 8194, 250_002, 32_000)
TINY = Shape(32, 2, 2, 64, 514, None, 300)


def build_random_bge_m3(path: Path, texts: Sequence[str], shape: Shape = TINY, seed: int = 0) -> Path:
    """Write a unigram tokenizer trained on `texts`, the config, random weights and the two heads."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast  # type: ignore[attr-defined]

    torch.manual_seed(seed)
    path.mkdir(parents=True, exist_ok=True)
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=shape.tokenizer_vocab, special_tokens=special, unk_token="<unk>"
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.model = models.Unigram(_reproducible(tok, len(special)), unk_id=special.index("<unk>"))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, model_max_length=shape.max_positions - 2)
    fast.save_pretrained(str(path))
    config = XLMRobertaConfig(
        vocab_size=shape.vocab or tok.get_vocab_size(),
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.intermediate,
        max_position_embeddings=shape.max_positions,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(str(path))
    torch.save(torch.nn.Linear(shape.hidden, shape.hidden).state_dict(), path / "colbert_linear.pt")
    torch.save(torch.nn.Linear(shape.hidden, 1).state_dict(), path / "sparse_linear.pt")
    return path


def _reproducible(tok: Any, n_special: int) -> list[tuple[str, float]]:
    """The trained pieces in an order that does not change between builds: the trainer gives the same
    pieces and scores each time but orders ties as its hash maps happen to (and a score's last bit
    varies with the order of its sums), so two builds had different token ids, weight rows and
    semantic rankings. Specials first, as trained; then by rounded score and piece."""
    import json

    pieces = [(str(p), round(float(s), 6)) for p, s in json.loads(tok.to_str())["model"]["vocab"]]
    return pieces[:n_special] + sorted(pieces[n_special:], key=lambda p: (-p[1], p[0]))


def model_speed(
    path: Path,
    queries: Sequence[str],
    passages: Sequence[str],
    *,
    dtypes: Sequence[str] = ("float32",),
    batch_size: int = 16,
    max_length: int = 512,
    onnx_cache: Path | None = None,
) -> dict[str, Any]:
    """What a user on CPU waits for with the model at `path`, in each number format of `dtypes` (the
    first is the one the service uses): one short query's embedding (p50/p99 over `queries`, each alone,
    after a warm-up) and passages embedded in batches sorted by length, each padded to its longest.
    With `onnx_cache`, queries through the 8-bit ONNX encoder too (EMBEDDING_QUERY_RUNTIME=onnx-int8;
    exported into that folder on first use, the time reported)."""
    import torch

    from app.bench.stats import latency_summary
    from app.embedding.bge_m3 import BGEM3Embedder

    t0 = time.perf_counter()
    model = BGEM3Embedder(path.name, str(path), "cpu", batch_size, max_length)
    load_s = time.perf_counter() - t0
    tokenizer = model._model.tokenizer
    tokens = [len(tokenizer(p, truncation=True, max_length=max_length)["input_ids"]) for p in passages]
    query_tokens = [len(tokenizer(q)["input_ids"]) for q in queries]
    runs: dict[str, Any] = {}
    for dtype in dict.fromkeys(dtypes):
        model.dtype = dtype
        per = _query_latencies(model, queries)
        t2 = time.perf_counter()
        model.encode(list(passages))
        passages_s = time.perf_counter() - t2
        runs[dtype] = {
            "query_latency_ms": latency_summary(per),
            "passages_s": round(passages_s, 2),
            "passages_per_s": round(len(passages) / passages_s, 2) if passages_s else None,
        }
    if onnx_cache is not None:
        t3 = time.perf_counter()
        int8 = BGEM3Embedder(
            path.name,
            str(path),
            "cpu",
            batch_size,
            max_length,
            query_runtime="onnx-int8",
            onnx_cache=onnx_cache,
        )
        runs["onnx-int8 (queries)"] = {
            "load_and_export_s": round(time.perf_counter() - t3, 2),
            "query_latency_ms": latency_summary(_query_latencies(int8, queries)),
            "passages_per_s": None,  # passages are embedded by torch
        }
    return {
        "model": str(path),
        "parameters_m": round(sum(p.numel() for p in model._model.model.parameters()) / 1e6, 1),
        "torch_threads": torch.get_num_threads(),
        "load_s": round(load_s, 2),
        "queries": {"count": len(queries), "mean_tokens": round(sum(query_tokens) / max(len(queries), 1), 1)},
        "passages": {
            "count": len(passages),
            "mean_tokens": round(sum(tokens) / max(len(tokens), 1), 1),
            "batch_size": batch_size,
            "max_length": max_length,
        },
        "dtype": dtypes[0],
        "by_dtype": runs,
    }


def _query_latencies(model: Any, queries: Sequence[str]) -> list[float]:
    """ms per query, each encoded alone, after three to warm up."""
    for q in queries[:3]:
        model.encode_queries([q])
    per: list[float] = []
    for q in queries:
        t1 = time.perf_counter()
        model.encode_queries([q])
        per.append((time.perf_counter() - t1) * 1000)
    return per
