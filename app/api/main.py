"""The FastAPI application. Domain errors become HTTP errors here, and only here."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.middleware.body_limit import RequestBodyLimitMiddleware

from app import __version__
from app.api import metrics
from app.api.deps import AppState
from app.api.limits import ContentLengthLimit
from app.api.responses import SafeJSONResponse
from app.api.routes import (
    analyze,
    curations,
    documents,
    events,
    health,
    page,
    search,
    similar,
    suggest,
    synonyms,
)
from app.config import Settings, analyzer_config, get_settings
from app.db import open_pool, open_read_pools, release_embedded, resolve_database_url
from app.embedding.loader import ModelHolder
from app.errors import (
    DatabaseUnavailable,
    HybridSearchError,
    InvalidDocument,
    InvalidQuery,
    ModelMismatch,
    ModelUnavailable,
    NotFound,
)
from app.ingest.bulk import restore_interrupted
from app.search import SearchService
from app.search.events import EventLog
from app.search.query_log import QueryLog
from app.search.similar import SimilarService
from app.search.suggest import Refresher
from app.text.tokenizer import configure, warm_up
from app.wiring import model_holder

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    InvalidQuery: 422,
    InvalidDocument: 422,
    NotFound: 404,
    ModelMismatch: 409,
    ModelUnavailable: 503,
    DatabaseUnavailable: 503,
}

NO_STORE = {"Cache-Control": "no-store"}  # errors are never cached


def _restore_indexes(pool: ConnectionPool) -> None:
    """Build what an interrupted bulk load left out; a database not up yet is left for the next start."""
    try:
        restore_interrupted(pool)
    except psycopg.Error as exc:
        log.warning("could not check for indexes an interrupted bulk load left out: %s", exc)


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
        query_log = QueryLog(the_pool, retention_days=settings.query_log_days) if settings.query_log else None
        events = EventLog(the_pool, query_log) if query_log is not None else None
        refresher = Refresher(
            the_pool, settings.suggest_min_clients, settings.suggest_days, settings.suggest_refresh_minutes
        )
        # indexes an interrupted bulk load left out are built in the background (searches work meanwhile)
        threading.Thread(target=_restore_indexes, args=(the_pool,), daemon=True).start()
        reads = open_read_pools(the_pool, settings)
        service = SearchService(the_pool, holder, settings, reads)
        similar_service = SimilarService(service)
        app.state.hybrid = AppState(settings, the_pool, holder, service, similar_service, query_log, events)
        try:
            yield
        finally:
            refresher.close()
            if events is not None:
                events.close()
            if query_log is not None:
                query_log.close()
            reads.close()
            if own_pool:
                the_pool.close()
            release_embedded()

    app = FastAPI(
        default_response_class=SafeJSONResponse,
        title="hybrid-search",
        version=__version__,
        description="Hybrid keyword (BM25) + semantic (dense vectors) search on PostgreSQL, fused with RRF.",
        lifespan=lifespan,
    )
    app.include_router(search.router)
    app.include_router(documents.router)
    app.include_router(similar.router)
    app.include_router(health.router)
    app.include_router(analyze.router)
    app.include_router(page.router)
    app.include_router(synonyms.router)
    app.include_router(curations.router)
    app.include_router(events.router)
    app.include_router(suggest.router)
    registry = metrics.registry_for(app)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        body, content_type = metrics.render(registry)
        return Response(body, media_type=content_type)

    # Bodies without a Content-Length are counted as they arrive (starlette's limit, plain-text 413);
    # a declared length over the limit is answered first, as JSON.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes)
    app.add_middleware(ContentLengthLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.MetricsMiddleware)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    if settings.cors_origins:
        # Another site's search box may call /search (and read its answers) from the browser.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Client-Id"],
            max_age=600,
        )

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        for kind, code in ERROR_STATUS.items():
            if isinstance(exc, kind):
                return SafeJSONResponse({"detail": str(exc)}, status_code=code, headers=NO_STORE)
        log.error("unmapped domain error on %s: %s", request.url.path, exc)
        return SafeJSONResponse({"detail": str(exc)}, status_code=400, headers=NO_STORE)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return SafeJSONResponse(
                {"detail": "the request took too long and was cancelled"}, status_code=503, headers=NO_STORE
            )
        log.warning("database unavailable on %s: %s", request.url.path, exc)
        return SafeJSONResponse(
            {"detail": "the database is unavailable; try again shortly"}, status_code=503, headers=NO_STORE
        )

    async def data_error(request: Request, exc: Exception) -> JSONResponse:
        # A value the database cannot take (class 22: e.g. a NUL character in a path): the request's fault.
        log.info("data error on %s: %s", request.url.path, exc)
        return SafeJSONResponse(
            {"detail": "the request holds a value the database cannot store or compare (e.g. a NUL)"},
            status_code=422,
            headers=NO_STORE,
        )

    async def invalid_unicode(request: Request, exc: Exception) -> JSONResponse:
        # A lone surrogate (a JSON \ud800 escape) in a free-form field: not text UTF-8 can carry.
        return SafeJSONResponse(
            {"detail": "the request holds text that is not valid Unicode (a lone surrogate, as \\ud800)"},
            status_code=422,
            headers=NO_STORE,
        )

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        # FastAPI's own handler, but its answer echoes the input, which may not be encodable as is.
        assert isinstance(exc, RequestValidationError)
        return SafeJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422, headers=NO_STORE)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(UnicodeEncodeError, invalid_unicode)
    app.add_exception_handler(psycopg.DataError, data_error)
    app.add_exception_handler(HybridSearchError, domain_error)
    app.add_exception_handler(PoolTimeout, database_error)
    app.add_exception_handler(psycopg.OperationalError, database_error)
    return app
