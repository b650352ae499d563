"""Guards on a session's transactions: read-only or not, and a time limit on the database work.
A session opts in with a `Guard` in its info (the API's request sessions do). On SQLite a read's
transaction sets ``PRAGMA query_only`` and a progress handler interrupts its statements once the
deadline has passed; on PostgreSQL a write begins ``READ WRITE`` with ``SET LOCAL
statement_timeout`` (reads are limited by the engine's connection defaults). What a guard
changed on a pooled connection is undone when it goes back to the pool. The listeners are
registered when `app.store` is imported."""

import time
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import Pool, PoolProxiedConnection

# Session.info key: how to guard each transaction the session begins (a `Guard`).
GUARD = "guard"


# Connection-record flags: what a guard changed on a pooled SQLite connection, undone at checkin.
_PROGRESS = "pledgedb_progress_handler"


_QUERY_ONLY = "pledgedb_query_only"


# SQLite calls the progress handler every this many virtual machine instructions.
PROGRESS_STEPS = 1000


class Guard:
    """How a request session's transactions run: read-only or not, and the time limit."""

    __slots__ = ("read_only", "timeout_ms", "deadline")

    def __init__(self, read_only: bool, timeout_ms: int) -> None:
        self.read_only = read_only
        self.timeout_ms = timeout_ms
        # Work in Python (the disputes' rules) stops here: the limit counts from the request's
        # start, as the person waiting counts it (time.monotonic; None without a limit).
        self.deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms > 0 else None


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


def request_deadline(session: Session) -> float | None:
    """When the session's request must stop (time.monotonic), if it must: its guard's."""
    return getattr(session.info.get(GUARD), "deadline", None)
