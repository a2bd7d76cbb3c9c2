"""bge-m3 through FlagEmbedding's BGEM3FlagModel (the model the product is built for): dense vectors, and
the lexical weights of its sparse head for the optional learned sparse leg (one forward pass for both)."""

from __future__ import annotations

from typing import Any

from app.embedding.base import Vectors, l2_normalize
from app.embedding.sparse import SparseWeights, from_token_weights


class BGEM3Embedder:
    """Loads the model at `path` once (`name` is what the database records); encodes in batches."""

    def __init__(self, name: str, path: str, device: str | None, batch_size: int, max_length: int) -> None:
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
        self.dim = int(self._model.model.model.config.hidden_size)
        self._ready = False  # the model prepared for a direct forward pass (_dense_one)
        self.sparse_dim = len(self._model.tokenizer)

    def _run(self, texts: list[str], sparse: bool) -> dict[str, Any]:
        """One forward pass over `texts` in batches: dense vectors, and lexical weights if asked."""
        out: dict[str, Any] = self._model.encode(
            texts,
            batch_size=self._batch_size,
            max_length=self._max_length,
            return_dense=True,
            return_sparse=sparse,
            return_colbert_vecs=False,
        )
        return out

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return l2_normalize([[0.0] * self.dim])[:0]
        return l2_normalize(self._run(texts, sparse=False)["dense_vecs"])

    def encode_queries(self, texts: list[str]) -> Vectors:
        """bge-m3 needs no query instruction: queries and passages are encoded alike. One query (what a
        search waits for) takes one forward pass: FlagEmbedding's `encode` first runs its longest batch
        once more to probe for a batch size that fits in memory, which for a query doubles the wait."""
        if len(texts) != 1:
            return self.encode(texts)
        return l2_normalize(self._dense_one(texts[0]))

    def _dense_one(self, text: str) -> Any:
        import torch

        model = self._model.model
        device = self._model.target_devices[0]
        if not self._ready:  # as FlagEmbedding's encode prepares the model (float on the CPU, eval mode)
            if device == "cpu":
                model.float()
            model.to(device)
            model.eval()
            self._ready = True
        inputs = self._model.tokenizer(
            [text], truncation=True, max_length=self._max_length, padding=True, return_tensors="pt"
        ).to(device)
        with torch.inference_mode():
            out = model(inputs, return_dense=True, return_sparse=False, return_colbert_vecs=False)
        return out["dense_vecs"].float().cpu().numpy()

    def encode_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        if not texts:
            return self.encode([]), []
        out = self._run(texts, sparse=True)
        lexical = out["lexical_weights"]
        if isinstance(lexical, dict):  # FlagEmbedding unwraps a single text's result
            lexical = [lexical]
        return l2_normalize(out["dense_vecs"]), [from_token_weights(w) for w in lexical]

    def encode_queries_with_sparse(self, texts: list[str]) -> tuple[Vectors, list[SparseWeights]]:
        return self.encode_with_sparse(texts)


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())
