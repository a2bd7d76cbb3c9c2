"""Readers yield (line number, record or error) so one bad line is reported and skipped, not fatal."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import InvalidDocument


@dataclass(frozen=True)
class RawRecord:
    """A record and where it came from: `line` is 1-based (for JSON arrays: the element's number)."""

    source: str
    line: int
    record: Any = None
    error: str | None = None


def resolve_input(path: Path) -> Path:
    """A BEIR folder means its corpus.jsonl; a file is itself."""
    if path.is_dir():
        corpus = path / "corpus.jsonl"
        if not corpus.exists():
            raise InvalidDocument(f"{path} is a folder without corpus.jsonl (not a BEIR data set)")
        return corpus
    if not path.exists():
        raise InvalidDocument(f"{path} does not exist")
    return path


def read_records(path: Path) -> Iterator[RawRecord]:
    """Records of a .jsonl/.ndjson, .json (array or one object per line) or .csv/.tsv file."""
    path = resolve_input(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    elif suffix == ".json":
        yield from _read_json(path)
    elif suffix in (".csv", ".tsv"):
        yield from _read_csv(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise InvalidDocument(f"{path}: unknown format {suffix!r} (use .jsonl, .json, .csv or a BEIR folder)")


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield RawRecord(path.name, no, json.loads(line))
            except json.JSONDecodeError as exc:
                yield RawRecord(path.name, no, error=f"invalid JSON: {exc.msg} (column {exc.colno})")


def _read_json(path: Path) -> Iterator[RawRecord]:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):  # JSON Lines saved as .json
            yield from _read_jsonl(path)
            return
        yield RawRecord(path.name, exc.lineno, error=f"invalid JSON: {exc.msg} (column {exc.colno})")
        return
    items = data if isinstance(data, list) else [data]
    for no, item in enumerate(items, start=1):
        yield RawRecord(path.name, no, item)


def _read_csv(path: Path, delimiter: str) -> Iterator[RawRecord]:
    csv.field_size_limit(64 * 1024 * 1024)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        while True:
            try:
                row: dict[str | Any, Any] = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRecord(path.name, reader.line_num, error=f"invalid CSV: {exc}")
                continue
            if None in row:
                yield RawRecord(path.name, reader.line_num, error="more fields than the header names")
                continue
            yield RawRecord(path.name, reader.line_num, {k: v for k, v in row.items() if v is not None})
