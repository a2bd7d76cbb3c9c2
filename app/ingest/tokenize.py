"""Tokenising in worker processes. jieba is pure Python and holds the interpreter's lock, so an ingest
tokenises on one core however many the machine has; worker processes (each with the parent's analyzer
settings and its own jieba dictionary) tokenise on the others while the parent embeds and writes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import fields
from itertools import chain
from types import TracebackType
from typing import Any

from app.ingest.documents import AnalyzedDocument, Document, analyze
from app.text.tokenizer import AnalyzerConfig, configure, current_config, warm_up

# An ingest's first this-many documents are tokenised in its own process: starting a worker (imports
# and jieba's dictionary, about a second) costs more than it saves on a small input.
MIN_DOCS_FOR_PROCESSES = 2_000


def default_processes() -> int:
    """One tokenising process per core."""
    return os.cpu_count() or 1


class Tokenizers:
    """`analyze` for batches of documents, spread over `processes` worker processes (1: in this
    process, no worker; None: one per core, from the MIN_DOCS_FOR_PROCESSES-th document on), started
    once `start_after` documents have been tokenised here. Until the workers have started (about a
    second) batches are still tokenised here, rather than waiting for them. Results keep the
    documents' order and equal the in-process analysis."""

    def __init__(self, processes: int | None = 1, start_after: int | None = None) -> None:
        self.processes = max(1, processes or default_processes())
        if start_after is None:
            start_after = MIN_DOCS_FOR_PROCESSES if processes is None else 0
        self.start_after = start_after
        self.sent = 0  # documents tokenised by the workers
        self._seen = 0
        self._pool: Executor | None = None
        self._started: list[Future[list[tuple[Any, ...]]]] = []

    def analyze(self, docs: list[Document]) -> list[AnalyzedDocument]:
        return self.submit(docs)()

    @property
    def workers_ready(self) -> bool:
        """Whether the workers have started and taken their first (empty) task."""
        return bool(self._started) and all(f.done() for f in self._started)

    def submit(self, docs: list[Document]) -> Callable[[], list[AnalyzedDocument]]:
        """analyze(docs), started: the workers tokenise while the caller goes on (embeds the same
        documents, say); the call returned gives the result, waiting for them. In this process the
        work is done before returning."""
        self._seen += len(docs)
        if self.processes > 1 and len(docs) >= 2 and self._seen > self.start_after:
            self._start()
        if self._pool is None or not self.workers_ready or len(docs) < 2:
            done = _analyze_all(docs)
            return lambda: done
        size = -(-len(docs) // self.processes)
        parts = [self._pool.submit(_analyses, docs[i : i + size]) for i in range(0, len(docs), size)]
        self.sent += len(docs)

        def result() -> list[AnalyzedDocument]:
            found = chain.from_iterable(part.result() for part in parts)
            return [AnalyzedDocument(doc, *rest) for doc, rest in zip(docs, found, strict=True)]

        return result

    def _start(self) -> None:
        """Start the workers, once: each gets an empty task, done when it has started."""
        if self._pool is not None:
            return
        # spawn: the parent runs threads (the connection pool, the writer), which fork would copy
        self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(current_config(),),
        )
        self._started = [self._pool.submit(_analyses, []) for _ in range(self.processes)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
            self._started = []

    def __enter__(self) -> Tokenizers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _start_worker(config: AnalyzerConfig) -> None:
    configure(config)
    warm_up()


def _analyze_all(docs: list[Document]) -> list[AnalyzedDocument]:
    return [analyze(d) for d in docs]


def _analyses(docs: list[Document]) -> list[tuple[Any, ...]]:
    """A worker's analyses without their documents, which the parent has (half the bytes back): each
    AnalyzedDocument's fields after `doc`, in order."""
    return [tuple(getattr(a, f.name) for f in fields(a))[1:] for a in map(analyze, docs)]
