"""A response cache in front of the whole application, for polling dashboards.

A dashboard asks the same question again and again; answering it from memory must not pay for
routing, validation, dependency injection or the database queries. This ASGI middleware keeps
the bytes of successful public GET answers, keyed by what the answer depends on (path, query
string, ``Accept``, ``Accept-Encoding``, ``Origin``), and serves them again as long as the data
has not changed.

Freshness across processes: every committed write bumps the database's data revision
(`app.store.revisions.make_sessionmaker`), in the writing transaction. Before each cacheable
request the cache reads that one number, on a connection of its own; an entry made at another
revision is never served. So a write through any API process is visible through every other one on
its next request — the same guarantee as without the cache, for the price of one primary-key read
instead of the request's queries.

If the revision cannot be read (the database is away, the schema is older), the request goes
to the application as if there were no cache, and answers whatever the application answers.
"""

import contextlib
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.representation import matches_if_none_match
from app.store.engine import sqlite_file
from app.store.revisions import READ_REVISION

# The revision query of app.store.revisions, as the plain SQL a bare DBAPI connection takes.
READ_REVISION_SQL = str(READ_REVISION.compile(compile_kwargs={"literal_binds": True}))
# After the revision could not be read, the cache stands aside this long before trying to
# reconnect, so a database outage does not cost every request a failed connection attempt.
RETRY_AFTER_SECONDS = 1.0
# Headers a 304 does not carry: it has no body.
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding"})


class RevisionProbe:
    """Reads the data revision on a dedicated DBAPI connection, outside the request pool.

    The connection is detached from the engine's pool at once (so it never takes a request's
    place) and runs in autocommit mode, each read seeing the latest committed revision. For an
    SQLite file it is reopened when the path names another file (moved, replaced, restored)
    or the file changed under it, and after any request's connection was found broken."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite_path = sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
        self._connection: Any = None
        self._file: tuple[int, ...] | None = None
        self._retry_at = 0.0
        # The pool was invalidated (app.store.engine marks a file gone bad as a disconnect): this
        # connection, outside the pool, may still answer from its page cache. Reopen it.
        self._stale = False
        event.listen(engine, "handle_error", self._note_disconnect)

    def _note_disconnect(self, context: ExceptionContext) -> None:
        if context.is_disconnect:
            self._stale = True

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

    def _open(self) -> Any:
        proxied = self.engine.raw_connection()
        connection: Any = proxied.driver_connection
        proxied.detach()
        if self.engine.dialect.name == "postgresql":
            connection.autocommit = True
        self._file = self._file_identity()
        return connection

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                self._connection.close()
            self._connection = None

    def read(self) -> int | None:
        """The current revision, or None when it cannot be read now."""
        if (
            self._connection is None
            or self._stale
            or (self.sqlite_path is not None and self._file != self._file_identity())
        ):
            self.close()
            self._stale = False
            if time.monotonic() < self._retry_at:
                return None
            try:
                self._connection = self._open()
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
            self.close()
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return None
        return int(row[0]) if row else None


@dataclass(slots=True)
class Entry:
    etag: bytes
    headers: list[tuple[bytes, bytes]]
    not_modified_headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCache:
    """LRU over ``max_entries`` answers and ``max_bytes`` of bodies in all."""

    def __init__(self, app: ASGIApp, engine: Engine, max_entries: int, max_bytes: int) -> None:
        self.app = app
        self.probe = RevisionProbe(engine)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple[bytes, ...], Entry] = OrderedDict()
        self.size = 0
        self.revision: int | None = None
        self.filling: dict[tuple[bytes, ...], anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        accept = accept_encoding = origin = if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                # An authenticated request is answered `private, no-store`: never from here.
                await self.app(scope, receive, send)
                return
            if name == b"accept":
                accept = value
            elif name == b"accept-encoding":  # each encoding's bytes are kept (app.api.compression)
                accept_encoding = value
            elif name == b"origin":
                origin = value
            elif name == b"if-none-match":
                if_none_match = value
        revision = self.probe.read()
        if revision is None:
            await self.app(scope, receive, send)
            return
        if revision != self.revision:
            self.entries.clear()
            self.size = 0
            self.revision = revision
        key = (scope["path"].encode(), scope["query_string"], accept, accept_encoding, origin)
        entry = self.entries.get(key)
        filling = self.filling.get(key) if entry is None else None
        if filling is not None:
            # The same question is being answered right now: wait for that answer rather than
            # run the queries again (a write that empties the cache would otherwise send every
            # polling dashboard to the database at once). If it is not kept, answer alone.
            await filling.wait()
            entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            if if_none_match and matches_if_none_match(if_none_match.decode(), entry.etag.decode()):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 304,
                        "headers": entry.not_modified_headers,
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
            await send({"type": "http.response.body", "body": entry.body})
            return
        if filling is not None or key in self.filling:
            await self.app(scope, receive, send)
            return
        self.filling[key] = done = anyio.Event()
        try:
            await self._fill(scope, receive, send, key, revision, done)
        finally:
            self._filled(key, done)

    def _filled(self, key: tuple[bytes, ...], done: anyio.Event) -> None:
        if self.filling.get(key) is done:
            del self.filling[key]
        done.set()

    async def _fill(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[bytes, ...],
        revision: int,
        done: anyio.Event,
    ) -> None:
        """Answer from the application and keep the answer if it is a public 200 of a known
        length. A streamed answer (no Content-Length: a whole list, the change feed) is never
        kept, and the requests waiting for this one are let go as soon as it begins: a feed
        does not end, and each whole list is read afresh."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = False

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = (
                    message["status"] == 200
                    and _is_public(message["headers"])
                    and any(name.lower() == b"content-length" for name, _ in message["headers"])
                )
                if not keep:
                    self._filled(key, done)
            elif message["type"] == "http.response.body" and keep:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes // 8:  # one answer may not crowd out the others
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(chunk)
                if not message.get("more_body", False) and keep and start is not None:
                    self._store(key, revision, start["headers"], b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(
        self, key: tuple[bytes, ...], revision: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        etag = next((value for name, value in headers if name.lower() == b"etag"), None)
        if etag is None or revision != self.revision:
            return
        headers = [(name.lower(), value) for name, value in headers]
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self.size -= len(replaced.body)
        self.entries[key] = Entry(
            etag=etag,
            headers=headers,
            not_modified_headers=[h for h in headers if h[0] not in _BODY_HEADERS],
            body=body,
        )
        self.size += len(body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            _, evicted = self.entries.popitem(last=False)
            self.size -= len(evicted.body)


def _is_public(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"cache-control":
            return value.startswith(b"public")
    return False
