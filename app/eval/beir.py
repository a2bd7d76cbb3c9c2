"""BEIR data sets: corpus.jsonl, queries.jsonl and qrels/<split>.tsv."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from app.errors import InvalidDocument


@dataclass(frozen=True)
class BeirSet:
    root: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Judgments from a TSV of query-id, corpus-id, score (a header line is skipped)."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as fh:
        for no, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or row[0] == "query-id":
                continue
            try:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
            except (IndexError, ValueError):
                raise InvalidDocument(f"{path.name}:{no}: expected query-id, corpus-id, score") from None
    return qrels


def read_queries(path: Path) -> dict[str, str]:
    """Queries from JSON Lines with `_id` (or `id`) and `text`."""
    queries: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
                queries[str(q["_id"] if "_id" in q else q["id"])] = str(q["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InvalidDocument(f"{path.name}:{no}: expected a JSON object with _id and text") from None
    return queries


def load_beir(root: Path, split: str = "test", max_queries: int | None = None) -> BeirSet:
    """The judged queries of `split` (in file order, at most `max_queries`) and their judgments."""
    for name in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (root / name).exists():
            raise InvalidDocument(f"{root} is not a BEIR folder: {name} is missing")
    qrels = read_qrels(root / "qrels" / f"{split}.tsv")
    queries = {q: text for q, text in read_queries(root / "queries.jsonl").items() if q in qrels}
    if max_queries is not None:
        queries = dict(list(queries.items())[:max_queries])
    return BeirSet(root, queries, {q: qrels[q] for q in queries})
