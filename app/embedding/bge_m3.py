"""bge-m3 through FlagEmbedding's BGEM3FlagModel (the model the product is built for): dense vectors, and
the lexical weights of its sparse head for the optional learned sparse leg (one forward pass for both).

FlagEmbedding loads the model and computes its forward pass (pooling, heads); the batching is ours, for
two measured reasons: its `encode` runs the longest batch twice (a probe for a batch size that fits in
memory), which doubles a single query's wait, and it turns the model back to float32 on a CPU at every
call, where bfloat16 is 2-3x faster (app/embedding/precision.py). Queries may instead go through
ONNX Runtime with 8-bit weights (app/embedding/onnx_query.py, EMBEDDING_QUERY_RUNTIME=onnx-int8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.config import QueryRuntime
from app.embedding.base import Vectors, l2_normalize
from app.embedding.precision import Dtype, resolve_dtype, torch_dtype
from app.embedding.sparse import SparseWeights, token_weights


class BGEM3Embedder:
    """Loads the model at `path` once (`name` is what the database records); encodes in batches sorted by
    length, each padded to its own longest text, in the number format `dtype` resolves to. With
    `query_runtime` "onnx-int8" queries go through the 8-bit ONNX encoder kept under `onnx_cache`."""

    def __init__(
        self,
        name: str,
        path: str,
        device: str | None,
        batch_size: int,
        max_length: int,
        dtype: Dtype = "float32",
        query_runtime: QueryRuntime = "torch",
        onnx_cache: Path | None = None,
    ) -> None:
        import torch
        from FlagEmbedding import BGEM3FlagModel

        self.name = name
        self._batch_size = batch_size
        self._max_length = max_length
        devices = device or ("cuda" if _cuda_available() else "cpu")
        self._model = BGEM3FlagModel(
            path,
            use_fp16=devices.startswith("cuda"),
            devices=devices,
            batch_size=batch_size,
            passage_max_length=max_length,
            query_max_length=max_length,
            return_dense=True,
        )
        self._device = self._model.target_devices[0]
        self.dtype = resolve_dtype(dtype, self._device)
        self.dim = int(self._model.model.model.config.hidden_size)
        self.sparse_dim = len(self._model.tokenizer)
        tokenizer = self._model.tokenizer
        self._special = {
            int(tokenizer.convert_tokens_to_ids(tokenizer.special_tokens_map[t]))
            for t in ("cls_token", "eos_token", "pad_token", "unk_token")
            if t in tokenizer.special_tokens_map
        }
        self._int8 = None
        if query_runtime == "onnx-int8":
            from app.embedding.onnx_query import Int8QueryEncoder

            cache = onnx_cache or Path(".hybrid-search") / "onnx"  # HYBRID_SEARCH_HOME's default
            self._int8 = Int8QueryEncoder(Path(path), cache, torch.get_num_threads())
            head = self._model.model.sparse_linear
            self._sparse_w = head.weight.detach().float().cpu().numpy()[0]
            self._sparse_b = float(head.bias.detach().float().cpu().numpy()[0])

    def encode(self, texts: list[str]) -> Vectors:
        return self._run(texts, sparse=False)[0]

    def encode_queries(self, texts: list[str]) -> Vectors:
        """bge-m3 needs no query instruction: queries and passages are encoded alike (by the 8-bit
        encoder when the query runtime is onnx-int8)."""
        return self._run(texts, sparse=False, int8=self._int8 is not None)[0]

    def encode_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        return self._run(texts, sparse=True)

    def encode_queries_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        return self._run(texts, sparse=True, int8=self._int8 is not None)

    def _run(self, texts: list[str], sparse: bool, int8: bool = False) -> tuple[Vectors, list[SparseWeights]]:
        """One forward pass per batch of `batch_size` texts, longest first: unit dense vectors and, if
        asked, each text's lexical weights (FlagEmbedding's: the heaviest weight of each token, special
        tokens left out)."""
        if not texts:
            return l2_normalize(np.zeros((1, self.dim)))[:0], []
        tokenizer = self._model.tokenizer
        encoded = tokenizer(texts, truncation=True, max_length=self._max_length)
        rows = [{k: encoded[k][i] for k in encoded} for i in range(len(texts))]
        order = sorted(range(len(texts)), key=lambda i: -len(rows[i]["input_ids"]))
        dense = np.zeros((len(texts), self.dim), dtype=np.float32)
        lexical: list[SparseWeights] = [{} for _ in texts]
        for start in range(0, len(order), self._batch_size):
            chosen = order[start : start + self._batch_size]
            batch = [rows[i] for i in chosen]
            dense[chosen], weights, ids = (
                self._int8_pass(batch, sparse) if int8 else self._torch_pass(batch, sparse)
            )
            if weights is not None:
                for j, i in enumerate(chosen):
                    lexical[i] = token_weights(weights[j], ids[j], self._special)
        return l2_normalize(dense), lexical

    def _torch_pass(
        self, rows: list[dict[str, Any]], sparse: bool
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """FlagEmbedding's forward pass: the batch's dense vectors, its tokens' sparse weights if asked,
        and its token ids."""
        import torch

        batch = self._model.tokenizer.pad(rows, padding=True, return_tensors="pt").to(self._device)
        with torch.inference_mode():
            out = self._prepared()(batch, return_dense=True, return_sparse=sparse, return_colbert_vecs=False)
        weights = out["sparse_vecs"].squeeze(-1).float().cpu().numpy() if sparse else None
        return out["dense_vecs"].float().cpu().numpy(), weights, batch["input_ids"].cpu().numpy()

    def _int8_pass(
        self, rows: list[dict[str, Any]], sparse: bool
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """The same from the 8-bit encoder's hidden states, pooled as bge-m3 pools: the first token's
        state as the dense vector, relu(sparse head) of each token's as its weight."""
        assert self._int8 is not None
        batch = self._model.tokenizer.pad(rows, padding=True, return_tensors="np")
        hidden = self._int8.hidden(batch["input_ids"], batch["attention_mask"])
        weights = np.maximum(hidden @ self._sparse_w + self._sparse_b, 0.0) if sparse else None
        return hidden[:, 0], weights, batch["input_ids"]

    def _prepared(self) -> Any:
        """The model on its device in eval mode and in `dtype` (checked at every call: FlagEmbedding's own
        `encode`, if anything calls it, turns a CPU model back to float32)."""
        model = self._model.model
        wanted = torch_dtype(self.dtype)
        if model.training or next(model.parameters()).dtype != wanted:
            model.to(device=self._device, dtype=wanted)
            model.eval()
        return model


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())
