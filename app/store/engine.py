"""Engines for both backends: SQLite with its pragmas, its file followed (a file moved, replaced
or gone is a dropped connection, never an empty new database) and one writer queue per file;
PostgreSQL read-only, time-limited and in autocommit for the API. Plus statistics after a bulk
load."""

import os
import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import InvalidatePoolError

from app.config import DEFAULT_SQLITE_WRITE_WAIT_MS
from app.errors import (
    SQLITE_FILE_LOST,
    sqlite_result_code,
)

_FILE = "pledgedb_file"  # (device, inode) of the SQLite file a connection opened


# SQLite's busy_timeout (ms) outside write sessions, which wait as long as SQLiteWriters says.
BUSY_TIMEOUT_MS = 5000


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _follow_file(engine: Engine, path: str) -> None:
    """SQLite's counterpart of pool_pre_ping. An open connection keeps reading a database file
    that was moved, deleted or replaced: each checkout checks that the path still names the file
    the connection opened, and if not the pool drops its connections and opens new ones. Once the
    file has been opened, new connections open it without creating it (``mode=rw``), so while it
    is missing they fail (503) instead of serving a new, empty database in its place, and they
    serve the file again as soon as it is back. (The first connection may create the file:
    `pledgedb migrate` on a new path.)"""
    opened = False

    @event.listens_for(engine, "do_connect")
    def open_existing(
        _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        if opened:
            cargs[0] = Path(path).absolute().as_uri() + "?mode=rw"
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def remember(_dbapi_connection: Any, record: Any) -> None:
        nonlocal opened
        opened = True
        record.info[_FILE] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_FILE) != _file_identity(path):
            raise InvalidatePoolError(f"the database file {path} was moved or replaced")


def _file_lost_is_disconnect(context: ExceptionContext) -> None:
    """An SQLite file that went bad or away under a connection (not a database, corrupt, I/O
    error, cannot open) is treated as a dropped connection: SQLAlchemy invalidates the pool, so
    no pooled connection keeps answering from its page cache or stays broken once the file is
    mended; fresh connections open whatever the path names then."""
    if sqlite_result_code(context.original_exception) in SQLITE_FILE_LOST:
        context.is_disconnect = True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run while the seed writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def sqlite_file(url: URL) -> str | None:
    """The file an SQLite URL names (plain or ``file:`` URI form), or None for memory."""
    database = url.database or ""
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if url.query.get("uri") == "true" or database.startswith("file:"):
        return database.removeprefix("file:").split("?", 1)[0] or None
    return database


class SQLiteWriters:
    """Where the write sessions of an SQLite engine queue. SQLite has one writer at a time per
    file, and its busy handler polls with sleeps and gives up after busy_timeout: under load the
    writer holding the lock is starved of the GIL by dozens of reader threads, and the writers
    polling behind it failed with "database is locked". Here they wait in turn on a lock of this
    process (shared by every engine on the same file), so only the writer at the head contends
    for the file's lock with other processes, and each waits up to ``wait_s`` in all."""

    __slots__ = ("lock", "wait_s")

    def __init__(self, lock: threading.Lock, wait_s: float) -> None:
        self.lock = lock
        self.wait_s = wait_s


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, SQLiteWriters] = weakref.WeakKeyDictionary()


_FILE_WRITE_LOCKS: dict[str, threading.Lock] = {}


_FILE_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str | None) -> threading.Lock:
    """The write lock of an SQLite file in this process, whichever engines open it; an
    in-memory database is its engine's alone."""
    if path is None:
        return threading.Lock()
    with _FILE_WRITE_LOCKS_GUARD:
        return _FILE_WRITE_LOCKS.setdefault(os.path.realpath(path), threading.Lock())


# The connection pool is never the bottleneck of a burst: it holds as many connections as the
# request thread pool can have threads (`Settings.request_threads`, at most 40), and a
# request's connection is taken in its endpoint's thread and given back without waiting for
# another thread (`_close`). With a smaller pool, a burst of slow requests left threads waiting
# for connections held by requests that were themselves waiting for a thread: the "QueuePool
# limit reached" stall. 10 are kept open; the rest are opened for a burst and closed after.
# (PostgreSQL: two workers use 80 of its default 100 connections at most.)
POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 30}


def make_engine(
    database_url: str,
    sqlite_write_wait_ms: int = DEFAULT_SQLITE_WRITE_WAIT_MS,
    *,
    request_timeout_ms: int | None = None,
) -> Engine:
    """The engine of a database URL; ``request_timeout_ms`` makes it the API's own engine,
    whose sessions are guarded (`get_read_session`, `get_write_session`).

    On PostgreSQL the API's connections run in autocommit mode, read-only and with the time
    limit by default (set once, when each connection opens): a read's statements then each run
    in a read-only transaction of their own, with no BEGIN, SET or ROLLBACK round trips, and
    a write's guard begins its transaction READ WRITE. (With ROLLBACK ending every read,
    psycopg also never kept a prepared statement: it forgets those of a rolled back
    transaction, so the server parsed and planned every query of every request anew.) Prepared
    statements keep one generic plan: in its default mode PostgreSQL planned `/nations?role=`'s
    page query anew for every request at 1,000x the seed (1.2 ms of planning for 0.2 ms of
    work), judging the values worth a custom plan; the API's queries are a few fixed shapes
    on indexed columns, and the time limit bounds any that a generic plan serves badly."""
    # hide_parameters: an error's text (logged with its traceback) names the SQL but never the
    # values bound to it, which can come from request bodies.
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
            **(POOL if path is not None else {}),  # in memory: one connection, shared
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _file_lost_is_disconnect)
        if path is not None:
            _follow_file(engine, path)
        _SQLITE_WRITERS[engine] = SQLiteWriters(_write_lock(path), sqlite_write_wait_ms / 1000)
        return engine
    serving: dict[str, Any] = {}
    if request_timeout_ms is not None:
        serving = {
            "isolation_level": "AUTOCOMMIT",
            "connect_args": {
                "options": "-c default_transaction_read_only=on "
                f"-c statement_timeout={int(request_timeout_ms)} "
                "-c plan_cache_mode=force_generic_plan"
            },
        }
    # pool_pre_ping: a connection the server dropped (restart, failover) is replaced on
    # checkout, so the API recovers without a restart once the database is back.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **POOL, **serving)


def refresh_statistics(engine: Engine) -> None:
    """Give the query planner statistics after a bulk load (seed, synth). SQLite has
    none until ANALYZE runs, and without them it picks poor indexes on large tables (counting
    a thousandfold seed's events: 29 ms without, 1.2 ms with); PostgreSQL's autovacuum would
    get there, later. On PostgreSQL, VACUUM also marks the new rows' pages all-visible, without
    which the planner will not count from an index alone (a nation page's coalition
    commitments of a role at 1,000x the seed: 0.9 ms reading rows, 0.26 ms from the index)."""
    refresh = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(refresh)
