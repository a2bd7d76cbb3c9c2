"""Whole answers kept per process and given again for an identical request while the database's answer
version (search.answers_version(): every write to documents, synonyms, curations or the model, and
timed curations starting or ending) is the one they were made under, so an answer is never older than
the last write. Sites repeat their queries (a few popular ones make most searches): a repeated search
skips the model and the database but for one small read."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from app.search.request import SearchRequest, SearchResult


def answer_key(
    req: SearchRequest, embedding: np.ndarray | None, sparse: Any | None, snippets: bool
) -> str | None:
    """The request as a key: every option, and the caller's own vectors when given (evaluation and the
    bench pass them); None when the request cannot be keyed (a sparse query vector given)."""
    if sparse is not None:
        return None
    vector = b"" if embedding is None else np.ascontiguousarray(embedding).tobytes()
    digest = hashlib.blake2b(vector).hexdigest() if vector else ""
    return f"{req.model_dump()!r}|{digest}|{int(snippets)}"


class AnswerCache:
    """At most `size` answers, the least recently used dropped first; each kept with the version it was
    made under and given only for that version. Thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[str, tuple[str, SearchResult]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: str) -> SearchResult | None:
        with self._lock:
            kept = self._answers.get(key)
            if kept is None:
                return None
            if kept[0] != version:
                del self._answers[key]
                return None
            self._answers.move_to_end(key)
            return kept[1]

    def put(self, key: str, version: str, result: SearchResult) -> None:
        if self.size < 1:
            return
        with self._lock:
            self._answers[key] = (version, result)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self._answers)
