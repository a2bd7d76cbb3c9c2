"""Prometheus metrics at /metrics: requests and latency per route, searches per mode, the database
pool, the model's state, the query log's losses.

With several `serve` workers, counters and histograms are summed over the workers through
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which `serve` sets); the pool, model
and query-log gauges are those of the worker that answers the scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

REQUESTS = Counter(
    "hybrid_search_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "hybrid_search_http_request_seconds",
    "HTTP request latency, from the first byte in to the last byte out",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
SEARCHES = Counter("hybrid_search_searches_total", "Searches answered", ["mode", "degraded"])
SEARCH_SECONDS = Histogram(
    "hybrid_search_search_seconds",
    "Time a search took in the service (tokenise, embed, database, snippets)",
    ["mode"],
    buckets=LATENCY_BUCKETS,
)
SEARCH_DATABASE_SECONDS = Histogram(
    "hybrid_search_search_database_seconds",
    "The database's share of a search",
    ["mode"],
    buckets=LATENCY_BUCKETS,
)


def observe_search(mode: str, degraded: bool, timings_ms: dict[str, float]) -> None:
    SEARCHES.labels(mode, "true" if degraded else "false").inc()
    SEARCH_SECONDS.labels(mode).observe(timings_ms.get("total", 0.0) / 1000)
    if "database" in timings_ms:
        SEARCH_DATABASE_SECONDS.labels(mode).observe(timings_ms["database"] / 1000)


class StateCollector(Collector):
    """Gauges read from the app's state at scrape time: pool, model, query log."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        state = getattr(self.app.state, "hybrid", None)
        if state is None:
            return
        stats = state.pool.get_stats()
        for key, help_text in (
            ("pool_size", "Connections in the pool"),
            ("pool_available", "Idle connections in the pool"),
            ("requests_waiting", "Requests waiting for a connection"),
        ):
            yield GaugeMetricFamily(f"hybrid_search_db_{key}", help_text, value=stats.get(key, 0))
        model = GaugeMetricFamily(
            "hybrid_search_model_status", "1 for the embedding model's current status", labels=["status"]
        )
        for status in ("loading", "ready", "failed"):
            model.add_metric([status], 1.0 if state.models.status == status else 0.0)
        yield model
        for writer, name, what in (
            (state.query_log, "query_log", "Searches the query log could not write"),
            (state.events, "events", "Click events not stored"),
        ):
            if writer is None:
                continue
            lost = GaugeMetricFamily(f"hybrid_search_{name}_lost", what, labels=["reason"])
            lost.add_metric(["queue_full"], writer.dropped)
            lost.add_metric(["write_failed"], writer.failed)
            if name == "events":
                lost.add_metric(["not_shown"], writer.rejected)
            yield lost


def registry_for(app: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, REQUEST_SECONDS, SEARCHES, SEARCH_SECONDS, SEARCH_DATABASE_SECONDS):
            registry.register(metric)
    registry.register(StateCollector(app))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (/documents/{doc_id}, not the id), as
    a plain ASGI middleware (starlette's BaseHTTPMiddleware costs more per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static") else "unmatched"
            )
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            REQUEST_SECONDS.labels(scope["method"], path).observe(time.perf_counter() - started)
