"""Tokenising in worker processes: the same analysis as in this process, with this process's analyzer
settings, in the documents' order."""

from __future__ import annotations

import os
import time

from app.ingest.documents import Document, analyze
from app.ingest.tokenize import MIN_DOCS_FOR_PROCESSES, Tokenizers, default_processes
from app.text.tokenizer import AnalyzerConfig, configure

DOCS = [
    Document(f"d{i}", f"标题 {i} running", f"北京大学的学生在{i}号楼跑步。Runners were running fast.")
    for i in range(7)
] + [Document("empty", "", ""), Document("trad", "軟體", "臺灣的軟體公司")]


def test_workers_analyse_as_this_process_with_its_settings(restore_analyzer: None) -> None:
    configure(AnalyzerConfig(stemmer_language=None, pinyin_fields=("title", "text")))
    with Tokenizers(2) as tokenizers:
        _until_ready(tokenizers)
        got = tokenizers.analyze(DOCS)
        assert tokenizers.sent == len(DOCS)  # the workers tokenised them
        assert tokenizers.analyze(DOCS[:1]) == got[:1] and tokenizers.sent == len(DOCS)  # one: here
    assert got == [analyze(d) for d in DOCS]
    configure(AnalyzerConfig())
    assert got != [analyze(d) for d in DOCS]  # the settings change the analysis: the workers had them


def test_one_process_tokenises_in_place() -> None:
    with Tokenizers(1) as tokenizers:
        assert tokenizers.analyze(DOCS) == [analyze(d) for d in DOCS]


def test_workers_start_after_the_first_documents_and_are_not_waited_for() -> None:
    with Tokenizers(2, start_after=len(DOCS)) as tokenizers:
        first = tokenizers.analyze(DOCS)
        assert tokenizers._pool is None  # a small input never starts a worker
        assert tokenizers.analyze(DOCS) == first and tokenizers._pool is not None
        # tokenised here while the workers start (a second or so: spawn, imports, jieba's dictionary)
        assert tokenizers.sent == 0
        _until_ready(tokenizers)
        assert tokenizers.analyze(DOCS) == first and tokenizers.sent == len(DOCS)
    assert default_processes() == (os.cpu_count() or 1) and MIN_DOCS_FOR_PROCESSES > 0


def _until_ready(tokenizers: Tokenizers) -> None:
    tokenizers.analyze(DOCS[:2])  # starts them
    deadline = time.monotonic() + 60
    while not tokenizers.workers_ready and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tokenizers.workers_ready
