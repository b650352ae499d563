"""Engine and sessions. Reads get a session that hides retracted facts and can answer as the
database stood at a past moment (``as_of``); writes get a live session that already holds the
database's write lock, so concurrent writers queue instead of failing half-way.

Request sessions are guarded (`_guard_transaction`): reads run read-only, and the database
work has a time limit. On PostgreSQL the API's connections are read-only with a
``statement_timeout`` from the moment they open and run in autocommit mode, so each statement
of a read is a read-only transaction of its own; a write begins its transaction
``BEGIN READ WRITE; SET LOCAL statement_timeout`` (`make_engine`). On SQLite a read's
transaction sets ``PRAGMA query_only``, and a progress handler interrupts its statements
once its deadline has passed. A query cut off raises the driver's error, which `app.api.errors`
answers with 503 ``/problems/timeout``; the connection stays usable. The CLI's sessions are
not guarded."""

import asyncio
import datetime as dt
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine, create_engine, event, insert, or_, select, update
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import InvalidatePoolError, SQLAlchemyError
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.pool import Pool, PoolProxiedConnection

from app.api.errors import (
    SQLITE_FILE_LOST,
    UNAVAILABLE_RETRY_AFTER,
    InvalidParameter,
    Unavailable,
    sqlite_result_code,
)
from app.api.formats import TIMESTAMP
from app.config import DEFAULT_SQLITE_WRITE_WAIT_MS
from app.store.models import DataRevision, Fact

# Session.info key: the session reads the live database (not a state rebuilt at `as_of`).
LIVE = "live"
# Session.info key of a session at `as_of`: opens a session on the live database, to tell an id
# that came later (an empty answer) from one that never existed (a mistake).
OPEN_LIVE = "open_live"
READ_REVISION = select(DataRevision.revision).where(DataRevision.id == 1)
# Execution option: the id of a fact to show even though it is retracted (its own page).
SHOW_FACT = "show_fact"
# Execution option: the statement leaves retracted facts out itself (app.api.listing's counts).
RETRACTED_LEFT_OUT = "retracted_left_out"
# Session.info key: how to guard each transaction the session begins (a `Guard`).
GUARD = "guard"
# Connection-record flags: what a guard changed on a pooled SQLite connection, undone at checkin.
_PROGRESS = "pledgedb_progress_handler"
_QUERY_ONLY = "pledgedb_query_only"
_FILE = "pledgedb_file"  # (device, inode) of the SQLite file a connection opened
# SQLite's busy_timeout (ms) outside write sessions, which wait as long as SQLiteWriters says.
BUSY_TIMEOUT_MS = 5000
# SQLite calls the progress handler every this many virtual machine instructions.
PROGRESS_STEPS = 1000


def parse_timestamp(value: str, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidParameter(f"{where}: not an ISO 8601 date-time: {value!r}.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # an offset past year 1 or 9999 in UTC: as early or late as can be
        return (
            dt.datetime.max.replace(tzinfo=dt.UTC)
            if moment.year > 1
            else dt.datetime.min.replace(tzinfo=dt.UTC)
        )


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


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the database, each of whose committed writes bumps the data revision."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_flush", _note_write)
    event.listen(factory, "do_orm_execute", _note_bulk_write)
    event.listen(factory, "before_commit", _bump_revision)
    event.listen(factory, "after_commit", _forget_write)
    event.listen(factory, "after_rollback", _forget_write)
    return factory


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


# Session.info key: the session's transaction has changed data (ORM flush or Core DML).
_WROTE = "pledgedb_wrote"


def _note_write(session: Session, _context: Any) -> None:
    # After a flush, new/dirty/deleted still show what it wrote: attributes set to the values
    # they had are no change (a seed run with nothing new must leave the revision alone).
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        session.info[_WROTE] = True


def _note_bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _forget_write(session: Session) -> None:
    session.info.pop(_WROTE, None)


def _bump_revision(session: Session) -> None:
    """In the committing transaction, so the new revision is visible exactly when its data is.
    On PostgreSQL the row lock also orders concurrent writers: revision order is commit order."""
    session.flush()  # what commit would flush next is a write too
    if not session.info.pop(_WROTE, False):
        return
    bumped = session.execute(
        update(DataRevision).where(DataRevision.id == 1).values(revision=DataRevision.revision + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]  # a database made without migrations
        session.execute(insert(DataRevision).values(id=1, revision=1))
    session.info.pop(_WROTE, None)  # the bump itself is not a write to note


@event.listens_for(Session, "do_orm_execute")
def _hide_retracted(state: ORMExecuteState) -> None:
    """In read sessions, retracted facts disappear from every query — lists, counts, joins and
    relationship loads alike — except the one fact whose own page is asked for, which shows
    itself with its retraction (but not the retracted facts it links to)."""
    if (
        state.is_select
        and state.session.info.get("hide_retracted")
        and not state.execution_options.get(RETRACTED_LEFT_OUT)
    ):
        shown = state.execution_options.get(SHOW_FACT)
        if shown is None:
            state.statement = state.statement.options(_HIDE_RETRACTED)
            return
        state.statement = state.statement.options(
            with_loader_criteria(
                Fact,
                lambda cls: or_(cls.retracted_at.is_(None), cls.id == shown),
                include_aliases=True,
                track_closure_variables=True,
            )
        )


# The common case, built once (building the option and its lambda's cache key per query cost a
# list request a tenth of its time).
_HIDE_RETRACTED = with_loader_criteria(
    Fact, lambda cls: cls.retracted_at.is_(None), include_aliases=True
)


class Guard:
    """How a request session's transactions run: read-only or not, and the time limit."""

    __slots__ = ("read_only", "timeout_ms")

    def __init__(self, read_only: bool, timeout_ms: int) -> None:
        self.read_only = read_only
        self.timeout_ms = timeout_ms


def request_guard(request: Request, read_only: bool) -> Guard:
    return Guard(read_only, getattr(request.app.state, "statement_timeout_ms", 0))


@event.listens_for(Session, "after_begin")
def _guard_transaction(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    guard: Guard | None = session.info.get(GUARD)
    if guard is None:
        return
    dialect = connection.dialect.name
    if dialect == "postgresql":
        limit = f"SET LOCAL statement_timeout = {int(guard.timeout_ms)}"
        if connection.connection.driver_connection.autocommit:  # type: ignore[union-attr]
            # The API's own connections (make_engine): read-only and time-limited already, each
            # statement in a transaction of its own. A write begins one, READ WRITE, here.
            if not guard.read_only:
                connection.exec_driver_sql(f"BEGIN READ WRITE; {limit}")
            return
        # Nothing has run in this transaction yet: SET TRANSACTION must come first.
        settings = ["SET TRANSACTION READ ONLY"] if guard.read_only else []
        if guard.timeout_ms > 0:
            settings.append(limit)
        if settings:
            connection.exec_driver_sql("; ".join(settings))
    elif dialect == "sqlite":
        raw: Any = connection.connection.driver_connection
        record = connection.info  # the pooled connection's own dict, kept across checkouts
        if guard.read_only:
            raw.execute("PRAGMA query_only=ON")
            record[_QUERY_ONLY] = True
        if guard.timeout_ms > 0:
            deadline = time.monotonic() + guard.timeout_ms / 1000

            def past_deadline() -> int:
                return int(time.monotonic() > deadline)

            raw.set_progress_handler(past_deadline, PROGRESS_STEPS)
            record[_PROGRESS] = True


@event.listens_for(Pool, "checkin")
def _unguard(dbapi_connection: Any, record: PoolProxiedConnection | Any) -> None:
    """A pooled SQLite connection goes back as it came: writable, with no deadline."""
    info = record.info
    if dbapi_connection is None:  # invalidated: closed, never reused
        info.pop(_PROGRESS, None)
        info.pop(_QUERY_ONLY, None)
        return
    if info.pop(_PROGRESS, False):
        dbapi_connection.set_progress_handler(None, PROGRESS_STEPS)
    if info.pop(_QUERY_ONLY, False):
        dbapi_connection.execute("PRAGMA query_only=OFF")


async def get_read_session(
    request: Request,
    as_of: Annotated[
        str | None,
        Query(
            description="Answer as the database stood at this moment, rebuilt from the audit "
            f"log: {TIMESTAMP.words}.",
            pattern=TIMESTAMP.pattern,
            max_length=40,
            examples=["2025-09-05T12:00:00Z"],
        ),
    ] = None,
) -> AsyncIterator[Session]:
    """A read session, opened on the event loop (opening one does no I/O: the connection is
    taken at the first query, in the endpoint's thread) rather than in a thread of the pool of
    its own — each hop to the thread pool costs a request more than this does."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    guard = request_guard(request, read_only=True)
    if as_of is not None:
        moment = parse_timestamp(as_of, "query.as_of")
        factory = await anyio.to_thread.run_sync(_sessionmaker_at, request, factory, guard, moment)
    info: dict[str, Any] = {"hide_retracted": True, GUARD: guard, LIVE: as_of is None}
    if as_of is not None:
        live_factory: sessionmaker[Session] = request.app.state.sessionmaker
        info[OPEN_LIVE] = lambda: live_factory(info={GUARD: guard})
    session = factory(info=info)
    try:
        yield session
    finally:
        await _close(session)


def _sessionmaker_at(
    request: Request, factory: sessionmaker[Session], guard: Guard, moment: dt.datetime
) -> sessionmaker[Session]:
    """Sessions on the database as it stood at ``moment`` (rebuilt from the audit log)."""
    with factory(info={GUARD: guard}) as live:
        past: sessionmaker[Session] = request.app.state.history.sessionmaker_at(live, moment)
        return past


async def _close(session: Session) -> None:
    """Close a read session on the loop when that is a local call (SQLite; PostgreSQL outside
    a transaction, as the API's reads run), in a thread when it ends a transaction on the
    server — a thread of its own limiter, not the request threads': a request holding a
    connection must never wait for a thread that may be waiting for that connection."""
    if session.in_transaction() and _server_transaction(session):
        await anyio.to_thread.run_sync(session.close, limiter=_closers())
    else:
        session.close()


def _server_transaction(session: Session) -> bool:
    """Whether closing the session ends a transaction on the server (a round trip)."""
    if session.get_bind().dialect.name == "sqlite":
        return False
    try:
        raw: Any = session.connection().connection.driver_connection
    except SQLAlchemyError:  # a connection lost mid-request: close() cleans up, in a thread
        return True
    return bool(raw.info.transaction_status != 0)  # psycopg: 0 is IDLE, outside a transaction


_CLOSERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _closers() -> anyio.CapacityLimiter:
    """The closing threads' limiter of the running event loop (a limiter belongs to one)."""
    loop = asyncio.get_running_loop()
    limiter = _CLOSERS.get(loop)
    if limiter is None:
        limiter = _CLOSERS[loop] = anyio.CapacityLimiter(8)
    return limiter


class _WriteTurn:
    """A writer's turn, held: it passes on when the session's transaction ends, commit or
    rollback (the answer is rendered after the commit, in a read transaction), or at the latest
    when the request is done with it. ``deadline`` (monotonic) ends the wait for the file's
    lock, which writers of other processes may hold."""

    __slots__ = ("_lock", "deadline")

    def __init__(self, lock: threading.Lock, deadline: float) -> None:
        self._lock: threading.Lock | None = lock
        self.deadline = deadline

    def end(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def end_with(self, _session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the session's own transaction, not a savepoint
            self.end()


async def _sqlite_write_turn(request: Request) -> AsyncIterator[_WriteTurn | None]:
    """This process's turn to write on an SQLite file (see `SQLiteWriters`), or None for
    PostgreSQL, whose writers lock the rows they change. Waiting writers wait in threads of
    their own, never in the request thread pool: there they would hold the threads that the
    writer whose turn it is needs to finish, and readers would queue behind them."""
    writers = _SQLITE_WRITERS.get(request.app.state.sessionmaker.kw["bind"])
    if writers is None:
        yield None
        return
    deadline = time.monotonic() + writers.wait_s
    # Shielded: a wait cut short by a client that went away would still take the lock, in
    # its thread, and nobody would give it back.
    with anyio.CancelScope(shield=True):
        acquired = await anyio.to_thread.run_sync(
            writers.lock.acquire, True, writers.wait_s, limiter=anyio.CapacityLimiter(1)
        )
    if not acquired:
        raise Unavailable(
            "The database is busy with other writes; retry shortly.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    turn = _WriteTurn(writers.lock, deadline)
    try:
        yield turn
    finally:
        turn.end()


def get_write_session(
    request: Request, turn: Annotated[_WriteTurn | None, Depends(_sqlite_write_turn)]
) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    guard = request_guard(request, read_only=False)
    if turn is None:
        with factory(info={GUARD: guard}) as session:
            yield session
        return
    with factory() as session:
        event.listen(session, "after_transaction_end", turn.end_with)
        _begin_sqlite_write(session, guard, turn.deadline)
        yield session


def _begin_sqlite_write(session: Session, guard: Guard, deadline: float) -> None:
    connection = session.connection()  # begun without a guard: no time limit on the wait
    # Take the write lock now: a deferred transaction that reads and then writes fails with
    # "database is locked" when another writer got in between. Writers of other processes are
    # waited for by SQLite's busy handler, for what is left of the wait.
    wait_ms = max(100, int((deadline - time.monotonic()) * 1000))
    connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        if not connection.invalidated:  # a file gone bad closed it
            connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # The time limit counts the transaction's work from here, not its wait for the lock; the
    # session's later transactions (rendering the answer) are guarded as they begin.
    session.info[GUARD] = guard
    transaction = session.get_transaction()
    assert transaction is not None  # noqa: S101 - session.connection() began it
    _guard_transaction(session, transaction, connection)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A live read-only session that shows everything (the audit log)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory(info={GUARD: request_guard(request, read_only=True)})
    try:
        yield session
    finally:
        await _close(session)


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SessionDep = Annotated[Session, Depends(get_session)]
