"""Request sessions. Reads get a session that hides retracted facts and can answer as the
database stood at a past moment (``as_of``); writes get a live session that already holds the
database's write lock, so concurrent writers queue instead of failing half-way.

Request sessions are guarded (app.store.guards): reads run read-only, and the database
work has a time limit. On PostgreSQL the API's connections are read-only with a
``statement_timeout`` from the moment they open and run in autocommit mode, so each statement
of a read is a read-only transaction of its own; a write begins its transaction
``BEGIN READ WRITE; SET LOCAL statement_timeout`` (`make_engine`). On SQLite a read's
transaction sets ``PRAGMA query_only``, and a progress handler interrupts its statements
once its deadline has passed. A query cut off raises the driver's error, which `app.errors`
answers with 503 ``/problems/timeout``; the connection stays usable. The CLI's sessions are
not guarded."""

import asyncio
import datetime as dt
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import (
    Session,
    SessionTransaction,
    sessionmaker,
)

from app.api.filters import parse_timestamp
from app.curation.history import History
from app.curation.past_states import PastState
from app.errors import (
    UNAVAILABLE_RETRY_AFTER,
    Unavailable,
)
from app.formats import TIMESTAMP
from app.store.engine import _SQLITE_WRITERS, BUSY_TIMEOUT_MS
from app.store.guards import GUARD, Guard, _guard_transaction
from app.store.visibility import HIDE_RETRACTED, KEEP_DERIVED, OPEN_LIVE


def request_guard(request: Request, read_only: bool) -> Guard:
    return Guard(read_only, getattr(request.app.state, "statement_timeout_ms", 0))


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
    info: dict[str, Any] = {HIDE_RETRACTED: True, GUARD: guard, KEEP_DERIVED: True}
    session: Session
    if as_of is None:
        session = factory(info=info)
    else:
        moment = parse_timestamp(as_of, "query.as_of")
        info[OPEN_LIVE] = lambda: factory(info={GUARD: guard})
        history: History = request.app.state.history
        session = PastSession(lambda: _state_at(history, factory, guard, moment), info=info)
    try:
        yield session
    finally:
        await _close(session)


class PastSession(Session):
    """A read session on the database as it stood at a moment. The past state is found (or
    made) at the session's first statement, in the endpoint's thread: FastAPI resolves a
    route's dependencies before it validates the route's path, so a request it refuses (a
    malformed id) would otherwise pay for the state first (2-3 ms against 0.5 at 1,000x)."""

    def __init__(self, find_state: Callable[[], PastState], **options: Any) -> None:
        super().__init__(expire_on_commit=False, **options)
        self._find_state: Callable[[], PastState] | None = find_state

    def get_bind(self, *args: Any, **kw: Any) -> Engine | Connection:
        if self._find_state is not None:
            state = self._find_state()
            self._find_state = None
            self.bind = state.engine
            # Held while the session lives: the state's in-memory database lives as long as
            # one of its connections does, even once the cache has let it go.
            self.info["keeper"] = state.keeper
        return super().get_bind(*args, **kw)


def _state_at(
    history: History, factory: sessionmaker[Session], guard: Guard, moment: dt.datetime
) -> PastState:
    """The database as it stood at ``moment`` (rebuilt from the audit log), made within the
    request's time limit (503 past it: the making goes on for the next request)."""
    with factory(info={GUARD: guard}) as live:
        return history.state_at(live, moment, guard.deadline)


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
