"""The `hybrid-search` command: one module per command group. Domain errors become messages and exit
codes here, and only here.

Exit codes: 0 success; 1 the engine could not do it (database unreachable or failing, model unavailable
or mismatched); 2 bad input (usage, unreadable file, or any bad line in an ingest: each is printed with
its line number).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from app.cli import admin, bench, curations, evaluate, ingest, search, serve, suggest, synonyms
from app.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, say
from app.config import get_settings
from app.errors import HybridSearchError, InvalidDocument, InvalidQuery

GROUPS = (serve, ingest, search, suggest, evaluate, bench, admin, synonyms, curations)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hybrid-search", description="Hybrid keyword + semantic search on PostgreSQL."
    )
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    import psycopg
    from alembic.util import CommandError
    from psycopg_pool import PoolTimeout
    from pydantic import ValidationError

    from app.search.request import validation_message

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
        from app.config import analyzer_config
        from app.text import configure

        configure(analyzer_config(settings))
        code: int = args.run(args, settings)
        return code
    except (InvalidQuery, InvalidDocument) as exc:
        say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except ValidationError as exc:  # a search request built from a file's line (finetune-data's queries)
        say(f"error: {validation_message(exc)}")
        return EXIT_BAD_INPUT
    except HybridSearchError as exc:
        say(f"error: {exc}")
        return EXIT_FAILED
    except (psycopg.OperationalError, PoolTimeout) as exc:  # the database went away mid-command
        say("error: the database failed: " + " ".join(str(exc).split()))
        return EXIT_FAILED
    except CommandError as exc:  # alembic: an unknown revision, say
        say(f"error: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
