"""Dependency aliases for routes (the full-stack-fastapi-template pattern)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.embedding.loader import ModelHolder
from app.search import SearchService
from app.search.events import EventLog, client_of
from app.search.query_log import QueryLog
from app.search.similar import SimilarService


@dataclass
class AppState:
    settings: Settings
    pool: ConnectionPool
    models: ModelHolder
    search: SearchService
    similar: SimilarService
    query_log: QueryLog | None = None
    events: EventLog | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.hybrid
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


def get_service(state: StateDep) -> SearchService:
    return state.search


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[SearchService, Depends(get_service)]


def request_client(request: Request) -> str:
    """Who sent a search or a click (app.search.events.client_of)."""
    host = request.client.host if request.client else None
    return client_of(request.headers.get("x-client-id"), host, request.headers.get("user-agent"))
