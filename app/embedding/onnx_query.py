"""bge-m3's encoder for queries through ONNX Runtime, its weights in 8-bit blocks (EMBEDDING_QUERY_RUNTIME).

A short query costs one pass over the encoder's weights: 0.6 GB in bfloat16 on a CPU (52-61 ms for a
bge-m3-size model on 2 cores), half of that in 8 bits. Measured choices (docs/performance.md,
session 11): ONNX Runtime's weight-only MatMulNBits, 8 bits in blocks of 32 computed in int8
(accuracy level 4) answers in 24-31 ms, nDCG unchanged and 97.5% of each top 10 kept on a real model
(bfloat16: 99.2%); dynamic int8 (activations per tensor, torch's or ONNX Runtime's) keeps 78-90%;
8-bit blocks computed in float32 or bfloat16 take ~0.5 s (no fast kernel). The model is exported and
quantised once, on first use, into a folder keyed by the model's files; passages are still embedded
by torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

BITS = 8
BLOCK_SIZE = 32
ACCURACY_LEVEL = 4  # int8 compute: the one fast 8-bit path on a CPU
FILE_NAME = "encoder-int8.onnx"


def model_key(model_dir: Path) -> str:
    """Names the quantised copy: the model's files (name, size, modification time), the recipe and the
    ONNX Runtime version, so a changed model or recipe is exported again."""
    import onnxruntime

    digest = hashlib.sha1(f"{BITS}/{BLOCK_SIZE}/{ACCURACY_LEVEL}/{onnxruntime.__version__}".encode())
    for f in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = f.stat()
        digest.update(f"{f.relative_to(model_dir)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return f"{model_dir.name}-{digest.hexdigest()[:12]}"


def quantised_encoder(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 ONNX file of the encoder in `model_dir`, made on first use (about a minute
    and 1.4 GB for bge-m3) in a scratch folder and moved into `cache_dir` whole, so an interrupted or
    concurrent export never leaves a half-written model behind."""
    target = cache_dir / model_key(model_dir)
    if (target / FILE_NAME).exists():
        return target / FILE_NAME
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX with 8-bit weights into %s (once)", model_dir, target)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp:
        exported = Path(tmp) / "fp32" / "encoder.onnx"
        exported.parent.mkdir()
        _export(model_dir, exported)
        done = Path(tmp) / "int8"
        done.mkdir()
        _quantise(exported, done / FILE_NAME)
        shutil.rmtree(exported.parent)
        try:
            os.replace(done, target)
        except OSError:  # another process finished first: keep its copy
            if not (target / FILE_NAME).exists():
                raise
    return target / FILE_NAME


def _export(model_dir: Path, out: Path) -> None:
    """The encoder's last hidden states for (input_ids, attention_mask), float32, batch and length free
    (any BERT-family encoder transformers loads: bge-m3's XLM-RoBERTa, the tests' MiniLM)."""
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    model = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False, dtype=torch.float32)
    ids = torch.tensor([[0, 6, 7, 2]])
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model.eval()),
            (ids, torch.ones_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes={
                "input_ids": {0: "b", 1: "s"},
                "attention_mask": {0: "b", 1: "s"},
                "hidden": {0: "b", 1: "s"},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantise(src: Path, dst: Path) -> None:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(
        block_size=BLOCK_SIZE, is_symmetric=True, accuracy_level=ACCURACY_LEVEL, bits=BITS
    )
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(src)),
        bits=BITS,
        block_size=BLOCK_SIZE,
        is_symmetric=True,
        accuracy_level=ACCURACY_LEVEL,
        algo_config=config,
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(dst), use_external_data_format=True)


class Int8QueryEncoder:
    """Runs the quantised encoder: the hidden states of a batch of already tokenised texts."""

    def __init__(self, model_dir: Path, cache_dir: Path, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(threads, 1)
        options.inter_op_num_threads = 1
        self.path = quantised_encoder(model_dir, cache_dir)
        self._session = onnxruntime.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def hidden(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        return np.asarray(self._session.run(["hidden"], feeds)[0], dtype=np.float32)
