"""`hybrid-search serve`: the HTTP API under uvicorn (the app is imported by uvicorn, not by the CLI)."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

from app.cli.common import EXIT_OK, add_migrate_flag, database_url
from app.config import Settings, get_settings
from app.errors import InvalidQuery


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API (applies migrations first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    add_migrate_flag(serve)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: the WORKERS setting, 1); each holds its own model copy",
    )
    serve.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    workers = args.workers or settings.workers
    if workers < 1:
        raise InvalidQuery("--workers must be at least 1")
    url = database_url(args, settings)
    host, port = args.host or settings.host, args.port or settings.port
    # The app factory reads its settings from the environment (in each worker process, or here).
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    # Prometheus counters summed over the workers (prometheus_client's multiprocess mode).
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="hybrid-search-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "app.api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=settings.access_log,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return EXIT_OK
