"""What every command shares: exit codes, the database a command works on, progress bars."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool

from app.config import Settings

if TYPE_CHECKING:
    from app.wiring import Schema

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_migrate_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not migrate the database: one that is behind is refused (exit 1) instead of being "
        "migrated to head first",
    )


def say(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout carries the command's answer)."""
    print(message, file=sys.stderr)


def _schema(args: argparse.Namespace) -> Schema:
    return "check" if getattr(args, "no_migrate", False) else "migrate"


def database_url(args: argparse.Namespace, settings: Settings, *, schema: Schema | None = None) -> str:
    """The database reached (exit 1 with one line if not) and migrated first, or with --no-migrate
    required to be at head."""
    from app.wiring import database_url as resolve

    return resolve(settings, schema=schema or _schema(args), announce=say)


def connect(args: argparse.Namespace, settings: Settings) -> ConnectionPool:
    """A small pool on the command's database (reached and migrated, as `database_url`)."""
    from app.wiring import connect as open_connection

    return open_connection(settings, schema=_schema(args), announce=say)


@contextmanager
def one_connection(args: argparse.Namespace, settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """One connection on the command's database (reached and migrated), in one transaction."""
    pool = connect(args, settings)
    try:
        with pool.connection() as conn:
            yield conn
    finally:
        pool.close()


def count_lines(path: Path) -> int | None:
    """Records in a line-based input (for the progress bar's total); None for other formats."""
    from app.ingest.readers import resolve_input

    path = resolve_input(path)
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".csv", ".tsv"):
        return None
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def progress_bar(quiet: bool, **kwargs: Any) -> Any:
    """A tqdm bar on stderr (none with --quiet)."""
    from tqdm import tqdm

    return tqdm(disable=quiet, file=sys.stderr, **kwargs)
