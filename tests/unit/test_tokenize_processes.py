"""Tokenising in worker processes: the same analysis as in this process, with this process's analyzer
settings, in the documents' order."""

from __future__ import annotations

import os

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
        got = tokenizers.analyze(DOCS)
        assert tokenizers.analyze(DOCS[:1]) == got[:1]  # one document: no worker needed
    assert got == [analyze(d) for d in DOCS]
    configure(AnalyzerConfig())
    assert got != [analyze(d) for d in DOCS]  # the settings change the analysis: the workers had them


def test_one_process_tokenises_in_place() -> None:
    with Tokenizers(1) as tokenizers:
        assert tokenizers.analyze(DOCS) == [analyze(d) for d in DOCS]


def test_workers_start_after_the_first_documents() -> None:
    with Tokenizers(2, start_after=len(DOCS)) as tokenizers:
        first = tokenizers.analyze(DOCS)
        assert tokenizers._pool is None  # a small input never starts a worker
        assert tokenizers.analyze(DOCS) == first and tokenizers._pool is not None
    assert default_processes() == (os.cpu_count() or 1) and MIN_DOCS_FOR_PROCESSES > 0
