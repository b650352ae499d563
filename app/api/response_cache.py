"""A response cache in front of the whole application, for polling dashboards.

A dashboard asks the same question again and again; answering it from memory must not pay for
routing, validation, dependency injection or the database queries. This ASGI middleware keeps
the bytes of successful public GET answers, keyed by what the answer depends on (path, query
string, ``Accept``, ``Accept-Encoding``, ``Origin``), and serves them again as long as the data
has not changed.

Freshness across processes: every committed write bumps the database's data revision
(`app.store.revisions.make_sessionmaker`), in the writing transaction. Before each cacheable
request the cache reads that one number, on a connection of its own (app.api.revision_reads);
an entry made at another revision is never served. So a write through any API process is
visible through every other one on its next request — the same guarantee as without the cache,
for the price of one primary-key read instead of the request's queries.

If the revision cannot be read (the database is away, the schema is older), the request goes
to the application as if there were no cache, and answers whatever the application answers.
"""

from collections import OrderedDict
from dataclasses import dataclass

import anyio
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.representation import matches_if_none_match
from app.api.revision_reads import revision_reader

# Headers a 304 does not carry: it has no body.
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding"})


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
        self.revisions = revision_reader(engine)
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
        revision = await self.revisions.read()
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
