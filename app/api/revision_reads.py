"""Reading the data revision before each cacheable request (app.api.response_cache).

Every committed write bumps one number in the database (`app.store.revisions`); the response
cache serves an answer only while that number is the one it was made at. So each request that
may be answered from memory reads it first, on a connection of its own, outside the request
pool. Two readers, by backend:

- **SQLite** (`FileRevision`): a read in process, on the event loop (16 µs measured), on a
  connection that follows the file when it is moved, replaced or restored.
- **PostgreSQL** (`SharedRevision`): a round trip to a server that competes for the same cores
  (57 µs of the loop per read, measured; a whole hit on SQLite costs 45 µs). It runs on an
  asynchronous connection, so the loop serves other requests meanwhile, and concurrent requests
  share reads (single flight) without weakening the guarantee: see `SharedRevision.read`.

Either answers None when the revision cannot be read now (the database is away, the schema is
older); the request then goes to the application as if there were no cache. After a failure the
reader stands aside `RETRY_AFTER_SECONDS` before connecting again, so an outage does not cost
every request a failed connection attempt.
"""

import asyncio
import contextlib
import os
import time
from typing import Any, Protocol

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from app.store.engine import sqlite_file
from app.store.revisions import READ_REVISION

# The revision query of app.store.revisions, as the plain SQL a bare DBAPI connection takes.
READ_REVISION_SQL = str(READ_REVISION.compile(compile_kwargs={"literal_binds": True}))
RETRY_AFTER_SECONDS = 1.0
# A revision read that takes longer is given up (the request goes to the application, which
# has its own time limit): a server that stopped answering must not hold every hit.
READ_TIMEOUT_SECONDS = 2.0


class RevisionReader(Protocol):
    async def read(self) -> int | None: ...


def revision_reader(engine: Engine) -> RevisionReader:
    if engine.dialect.name == "postgresql":
        return SharedRevision(engine)
    return FileRevision(engine)


class _Disconnects:
    """Notes when any of the engine's connections was found broken (app.store.engine marks a
    SQLite file gone bad as a disconnect): the reader's own connection, outside the pool, may
    still answer from its page cache or a dead socket, so it is reopened."""

    def __init__(self, engine: Engine) -> None:
        self.seen = False
        event.listen(engine, "handle_error", self._note)

    def _note(self, context: ExceptionContext) -> None:
        if context.is_disconnect:
            self.seen = True

    def take(self) -> bool:
        seen, self.seen = self.seen, False
        return seen


class FileRevision:
    """SQLite: a dedicated DBAPI connection, detached from the engine's pool at once (so it
    never takes a request's place). It is reopened when the path names another file (moved,
    replaced, restored) or the file changed under it, and after any request's connection was
    found broken."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite_path = sqlite_file(engine.url)
        self._connection: Any = None
        self._file: tuple[int, ...] | None = None
        self._retry_at = 0.0
        self._disconnects = _Disconnects(engine)

    def _file_identity(self) -> tuple[int, ...] | None:
        """The file and its last change: a file replaced, or changed in place by anything but
        SQLite's own writes (which go to the WAL and reach the file only at checkpoints, when
        reopening costs little), gets a fresh connection, not this one's page cache."""
        if self.sqlite_path is None:
            return None
        try:
            stat = os.stat(self.sqlite_path)
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                self._connection.close()
            self._connection = None

    async def read(self) -> int | None:
        """The current revision, or None when it cannot be read now."""
        if (
            self._disconnects.take()
            or self._connection is None
            or (self.sqlite_path is not None and self._file != self._file_identity())
        ):
            self._close()
            if time.monotonic() < self._retry_at:
                return None
            try:
                proxied = self.engine.raw_connection()
                self._connection = proxied.driver_connection
                proxied.detach()
                self._file = self._file_identity()
            except Exception:
                self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
                return None
        try:
            cursor = self._connection.cursor()
            try:
                cursor.execute(READ_REVISION_SQL)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except Exception:
            self._close()
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return None
        return int(row[0]) if row else None


class SharedRevision:
    """PostgreSQL: one asynchronous psycopg connection per process, in autocommit mode (each
    read sees the latest committed revision), with single-flight reads."""

    def __init__(self, engine: Engine) -> None:
        _, params = engine.dialect.create_connect_args(engine.url)
        params.pop("context", None)  # SQLAlchemy's adapters, for its own synchronous connections
        self._params: dict[str, Any] = {
            **params,
            "autocommit": True,
            "connect_timeout": max(1, int(READ_TIMEOUT_SECONDS)),
            "options": "-c default_transaction_read_only=on "
            f"-c statement_timeout={int(READ_TIMEOUT_SECONDS * 1000)}",
        }
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._retry_at = 0.0
        self._disconnects = _Disconnects(engine)
        self._loop: asyncio.AbstractEventLoop | None = None
        # The read in flight and, once requests arrive after it was sent, the one after it.
        self._current: asyncio.Future[int | None] | None = None
        self._current_sent = False
        self._next: asyncio.Future[int | None] | None = None
        self._reading: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    async def read(self) -> int | None:
        """The revision as read by a statement sent after this call began.

        A request that finds no read in flight, or one not yet sent, takes that one. A request
        that finds a read already sent waits for the next, which is sent when that one ends:
        the read in flight may have been answered before a write that committed before this
        request arrived. So every request sees every write committed before it arrived — what
        a read per request guarantees — while a read serves every request that arrived during
        the one before it."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests; a restarted server): start afresh
            self._loop, self._current, self._next, self._reading = loop, None, None, None
            if self._connection is not None:  # bound to the old loop: closed without it
                with contextlib.suppress(Exception):
                    self._connection.pgconn.finish()
                self._connection = None
        if self._current is None:
            self._current = waited = loop.create_future()
            self._current_sent = False
            self._reading = loop.create_task(self._read_in_turn(waited))
        elif not self._current_sent:
            waited = self._current
        else:
            if self._next is None:
                self._next = loop.create_future()
            waited = self._next
        # shield: a request that goes away does not cancel a read others wait for.
        return await asyncio.shield(waited)

    async def _read_in_turn(self, waited: asyncio.Future[int | None]) -> None:
        while True:
            try:
                value = await self._read_once()
            except asyncio.CancelledError:  # the loop is closing: let the waiters go, and stop
                for pending in (waited, self._next):
                    if pending is not None and not pending.done():
                        pending.set_result(None)
                self._current = self._next = None
                raise
            except Exception:  # a bug here must not hang the waiters: they go to the application
                value = None
            if not waited.done():
                waited.set_result(value)
            if self._next is None:
                self._current = None
                return
            waited = self._current = self._next
            self._current_sent = False
            self._next = None

    async def _read_once(self) -> int | None:
        if self._disconnects.take() or self._connection is None or self._connection.closed:
            await self._close()
            if time.monotonic() < self._retry_at:
                return None
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    self._connection = await psycopg.AsyncConnection.connect(**self._params)
            except Exception:
                self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
                return None
        self._current_sent = True
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                cursor = await self._connection.execute(READ_REVISION_SQL)
                row = await cursor.fetchone()
        except Exception:
            await self._close()
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return None
        return int(row[0]) if row else None

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                await self._connection.close()
            self._connection = None
