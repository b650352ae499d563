"""Engine and sessions. Reads get a session that hides retracted facts and can answer as the
database stood at a past moment (``as_of``); writes get a live session that already holds the
database's write lock, so concurrent writers queue instead of failing half-way.

Every transaction a request session begins is guarded (`_guard_transaction`): reads run
read-only (PostgreSQL ``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``), and the
database work has a time limit (PostgreSQL ``SET LOCAL statement_timeout``, per statement;
SQLite a progress handler that interrupts the transaction's statements once its deadline has
passed). A query cut off raises the driver's error, which `app.errors` answers with 503
``/problems/timeout``; the connection stays usable. The CLI's sessions are not guarded."""

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine, create_engine, event, or_
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.pool import Pool, PoolProxiedConnection

from app.errors import InvalidParameter
from app.models import Fact

# Execution option: the id of a fact to show even though it is retracted (its own page).
SHOW_FACT = "show_fact"
# Session.info key: how to guard each transaction the session begins (a `Guard`).
GUARD = "guard"
# Connection-record flags: what a guard changed on a pooled SQLite connection, undone at checkin.
_PROGRESS = "pledgedb_progress_handler"
_QUERY_ONLY = "pledgedb_query_only"
_FILE = "pledgedb_file"  # (device, inode) of the SQLite file a connection opened
# SQLite calls the progress handler every this many virtual machine instructions.
PROGRESS_STEPS = 1000
# RFC 3339 date-time, the offset optional (then UTC). Numbers are not timestamps here.
_YEAR = r"[1-9][0-9]{3}"
_LEAP_YEAR = r"([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"
_DATE = (  # a real calendar date, leap days included: the schema admits no date Python refuses
    rf"({_YEAR}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    rf"|{_YEAR}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    rf"|{_YEAR}-02-(0[1-9]|1[0-9]|2[0-8])"
    rf"|{_LEAP_YEAR}-02-29)"
)
ISO_DATETIME = (
    rf"^{_DATE}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)


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


def _watch_file(engine: Engine, path: str) -> None:
    """SQLite's counterpart of pool_pre_ping: an open connection keeps reading a database file
    that was moved, deleted or replaced. Each checkout checks that the path still names the file
    the connection opened; if not, the pool drops the connection and opens a new one, which
    fails (503) while the file is missing and serves the restored file once it is back."""

    @event.listens_for(engine, "connect")
    def remember(_dbapi_connection: Any, record: Any) -> None:
        record.info[_FILE] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_FILE) != _file_identity(path):
            raise DisconnectionError(f"the database file {path} was moved or replaced")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run while the seed writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_path(url: URL, uri: bool) -> str | None:
    """The file an SQLite URL names, or None for an in-memory database."""
    database = url.database or ""
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if uri:
        return database.removeprefix("file:").split("?", 1)[0] or None
    return database


def make_engine(database_url: str) -> Engine:
    # hide_parameters: an error's text (logged with its traceback) names the SQL but never the
    # values bound to it, which can come from request bodies.
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        uri = url.query.get("uri") == "true" or (url.database or "").startswith("file:")
        if url.database and url.database != ":memory:" and not uri:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        path = _sqlite_path(url, uri)
        if path is not None:
            _watch_file(engine, path)
        return engine
    # pool_pre_ping: a connection the server dropped (restart, failover) is replaced on
    # checkout, so the API recovers without a restart once the database is back.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@event.listens_for(Session, "do_orm_execute")
def _hide_retracted(state: ORMExecuteState) -> None:
    """In read sessions, retracted facts disappear from every query — lists, counts, joins and
    relationship loads alike — except the one fact whose own page is asked for, which shows
    itself with its retraction (but not the retracted facts it links to)."""
    if state.is_select and state.session.info.get("hide_retracted"):
        shown = state.execution_options.get(SHOW_FACT)
        state.statement = state.statement.options(
            with_loader_criteria(
                Fact,
                lambda cls: or_(cls.retracted_at.is_(None), cls.id == shown),
                include_aliases=True,
                track_closure_variables=True,
            )
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
        # Nothing has run in this transaction yet: SET TRANSACTION must come first.
        if guard.read_only:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        if guard.timeout_ms > 0:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(guard.timeout_ms)}")
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


def get_read_session(
    request: Request,
    as_of: Annotated[
        str | None,
        Query(
            description="Answer as the database stood at this moment (ISO 8601 date-time; UTC "
            "when no offset is given), rebuilt from the audit log.",
            pattern=ISO_DATETIME,
            max_length=40,
            examples=["2025-09-05T12:00:00Z"],
        ),
    ] = None,
) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    guard = request_guard(request, read_only=True)
    if as_of is not None:
        moment = parse_timestamp(as_of, "query.as_of")
        with factory(info={GUARD: guard}) as live:
            factory = request.app.state.history.sessionmaker_at(live, moment)
    with factory(info={"hide_retracted": True, GUARD: guard}) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory(info={GUARD: request_guard(request, read_only=False)}) as session:
        if session.get_bind().dialect.name == "sqlite":
            # Take the write lock now: a deferred transaction that reads and then writes fails
            # with "database is locked" when another writer got in between.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """A live read-only session that shows everything (the audit log)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory(info={GUARD: request_guard(request, read_only=True)}) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SessionDep = Annotated[Session, Depends(get_session)]
