"""The FastAPI application. Domain errors become HTTP errors here, and only here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool, PoolTimeout

from app import __version__, store
from app.api.deps import AppState
from app.api.routes import analyze, documents, health, search
from app.config import Settings, analyzer_config, get_settings
from app.db import open_pool, release_embedded, resolve_database_url
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder, load_embedder
from app.errors import (
    DatabaseUnavailable,
    DocumentNotFound,
    HybridSearchError,
    InvalidDocument,
    InvalidQuery,
    ModelMismatch,
    ModelUnavailable,
)
from app.search import SearchService
from app.text.tokenizer import configure, warm_up

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    InvalidQuery: 422,
    InvalidDocument: 422,
    DocumentNotFound: 404,
    ModelMismatch: 409,
    ModelUnavailable: 503,
    DatabaseUnavailable: 503,
}


def model_holder(settings: Settings, pool: ConnectionPool) -> ModelHolder:
    """Load the configured model in the background; a model the database does not match is refused."""

    def verify(embedder: Embedder) -> None:
        with pool.connection() as conn:
            reason = store.model_mismatch(conn, embedder.name, embedder.dim)
        if reason:
            raise ModelMismatch(reason)

    return ModelHolder(lambda: load_embedder(settings), verify)


def create_app(
    settings: Settings | None = None, *, pool: ConnectionPool | None = None, models: ModelHolder | None = None
) -> FastAPI:
    """Build the app; tests pass their own pool and model holder, `serve` passes nothing."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure(analyzer_config(settings))
        warm_up()
        own_pool = pool is None
        the_pool = pool or open_pool(resolve_database_url(settings), settings)
        holder = models
        if holder is None:
            holder = model_holder(settings, the_pool)
            holder.start()
        app.state.hybrid = AppState(settings, the_pool, holder, SearchService(the_pool, holder, settings))
        try:
            yield
        finally:
            if own_pool:
                the_pool.close()
            release_embedded()

    app = FastAPI(
        title="hybrid-search",
        version=__version__,
        description="Hybrid keyword (BM25) + semantic (dense vectors) search on PostgreSQL, fused with RRF.",
        lifespan=lifespan,
    )
    app.include_router(search.router)
    app.include_router(documents.router)
    app.include_router(health.router)
    app.include_router(analyze.router)

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        for kind, code in ERROR_STATUS.items():
            if isinstance(exc, kind):
                return JSONResponse({"detail": str(exc)}, status_code=code)
        log.error("unmapped domain error on %s: %s", request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=400)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return JSONResponse({"detail": "the request took too long and was cancelled"}, status_code=503)
        log.warning("database unavailable on %s: %s", request.url.path, exc)
        return JSONResponse({"detail": "the database is unavailable; try again shortly"}, status_code=503)

    app.add_exception_handler(HybridSearchError, domain_error)
    app.add_exception_handler(PoolTimeout, database_error)
    app.add_exception_handler(psycopg.OperationalError, database_error)
    return app
