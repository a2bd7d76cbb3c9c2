"""The number format a torch model computes in. bfloat16 on a CPU that computes it natively (AVX512-BF16
or AMX) runs a bge-m3-size model 2-3x faster than float32, nDCG@10 unchanged and 99% of each top 10 kept
on a real model (docs/performance.md, session 9); float16 on a GPU, as FlagEmbedding's `use_fp16`."""

from __future__ import annotations

from typing import Any

from app.config import EmbeddingDtype as Dtype
from app.errors import ModelUnavailable


def native_bfloat16() -> bool:
    """Does this CPU compute bfloat16 in hardware (else torch emulates it, slower than float32)?"""
    import torch

    cpu = torch.cpu
    return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())


def resolve_dtype(wanted: Dtype, device: str) -> str:
    """`auto`: float16 on a GPU, bfloat16 on a CPU with native bfloat16, float32 otherwise; float16 on a
    CPU is refused as the model being unavailable (torch computes it slowly there)."""
    if wanted == "auto":
        if device.startswith("cuda"):
            return "float16"
        return "bfloat16" if native_bfloat16() else "float32"
    if wanted == "float16" and not device.startswith("cuda"):
        raise ModelUnavailable("EMBEDDING_DTYPE=float16 needs a GPU; on a CPU use bfloat16 or float32")
    return wanted


def torch_dtype(name: str) -> Any:
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
