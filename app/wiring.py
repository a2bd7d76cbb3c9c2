"""What the API and the CLI both assemble: a database that is reached and migrated, a pool, and the
model holder. Both edges import this module; it imports neither of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from psycopg_pool import ConnectionPool

from app import store
from app.config import Settings
from app.db import (
    check_reachable,
    describe_url,
    head_revision,
    known_revision,
    open_pool,
    resolve_database_url,
    upgrade,
)
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder, load_embedder
from app.errors import ModelMismatch, SchemaOutdated

Schema = Literal["migrate", "check", "any"]


def database_url(
    settings: Settings, *, schema: Schema = "migrate", announce: Callable[[str], None] | None = None
) -> str:
    """The database's URL (starting the embedded server when DATABASE_URL is unset), reached within
    DB_POOL_TIMEOUT_S (DatabaseUnavailable otherwise). Its schema is then migrated to head when behind
    (`migrate`, as `serve` does; `announce` hears of it first), required to be at head (`check`:
    SchemaOutdated otherwise), or left as it is (`any`: the migration commands themselves). A
    database at a revision this code does not know (a newer version's) is SchemaOutdated in all three,
    saying so, rather than alembic's "Can't locate revision"."""
    url = resolve_database_url(settings)
    current = check_reachable(url, settings.db_pool_timeout_s)
    head = head_revision(url)
    if current is not None and current != head and not known_revision(url, current):
        raise SchemaOutdated(
            f"the database at {describe_url(url)} is at revision {current}, which this version of "
            f"hybrid-search does not know (its newest is {head}): a newer version migrated it; run that "
            f"one, or have it downgrade the database first (`hybrid-search db downgrade {head}`)"
        )
    if schema == "any" or current == head:
        return url
    was = f"at revision {current}" if current else "empty"
    if schema == "check":
        raise SchemaOutdated(
            f"the database at {describe_url(url)} is {was}, this version needs {head}: "
            "run `hybrid-search db upgrade` (or leave out --no-migrate)"
        )
    if announce is not None:
        announce(f"migrating the database at {describe_url(url)} ({was}) to revision {head}")
    upgrade(url)
    return url


def connect(
    settings: Settings, *, schema: Schema = "migrate", announce: Callable[[str], None] | None = None
) -> ConnectionPool:
    """A small pool on the (reached, migrated) database: one command's connections."""
    url = database_url(settings, schema=schema, announce=announce)
    return open_pool(url, settings, min_size=1, wait_s=settings.db_pool_timeout_s)


def model_holder(settings: Settings, pool: ConnectionPool) -> ModelHolder:
    """Load the configured model (in the background after `start()`); a model the database does not
    match is refused."""

    def verify(embedder: Embedder) -> None:
        with pool.connection() as conn:
            reason = store.model_mismatch(conn, embedder.name, embedder.dim)
        if reason:
            raise ModelMismatch(reason)

    def load_named(name: str) -> Embedder:
        return load_embedder(settings.model_copy(update={"embedding_model": name}))

    return ModelHolder(lambda: load_embedder(settings), verify, load_named)


def loaded_models(settings: Settings, pool: ConnectionPool, needed: bool) -> ModelHolder:
    """For one command: the model loaded here and now (its failure kept as the reason), or, when the
    work needs none (keyword mode), a holder that says so without loading anything."""
    if not needed:
        return ModelHolder.unavailable("keyword mode does not load a model")
    models = model_holder(settings, pool)
    models.load()
    return models
