"""The live feed of the audit log (`GET /changes/stream`, Server-Sent Events): a dashboard sees
a committed write within a second, however many dashboards listen.

Every committed write bumps the data revision (app.store.revisions). A process reads that one
number at most once per `POLL_SECONDS`, for all its feeds at once (`RevisionWatch`): the first feed
that finds the reading stale takes a connection from the pool, reads, and gives it back; the others
use what it read. Only when the revision moved does each feed read its new audit entries, again on
a connection taken for that read alone. So a feed holds no connection, thread or task of its own
between polls beyond its own coroutine, and a client that goes away leaves nothing behind
(sse-starlette cancels its generator)."""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sse_starlette import ServerSentEvent

from app.schemas.changes import ChangeRead
from app.store.models import Change
from app.store.revisions import READ_REVISION

# How stale the revision may be: a write is seen within this (plus one read of its entries).
POLL_SECONDS = 0.25
# Entries read at once when a feed catches up.
BATCH = 500


class RevisionWatch:
    """The data revision as this event loop last read it, read again at most once per
    interval, whatever the number of feeds waiting on it."""

    def __init__(self, engine: Engine, interval: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.interval = interval
        self.revision: int | None = None
        self.read_at = float("-inf")
        self.lock = anyio.Lock()
        # One read at a time, in a thread outside the request pool: the feeds never wait for
        # request threads, nor take them.
        self.limiter = anyio.CapacityLimiter(1)

    def _read(self) -> int | None:
        try:
            with self.engine.connect() as connection:
                return connection.execute(READ_REVISION).scalar()
        except SQLAlchemyError:
            return None  # the database is away: no news until it is back

    async def moved_from(self, known: int | None) -> int | None:
        """Wait until the revision is not ``known`` (at once for a new feed) and return it."""
        while True:
            async with self.lock:
                if anyio.current_time() - self.read_at >= self.interval:
                    read = await anyio.to_thread.run_sync(self._read, limiter=self.limiter)
                    self.read_at = anyio.current_time()
                    if read is not None:
                        self.revision = read
                if known is None or self.revision != known:
                    return self.revision
                wait = self.read_at + self.interval - anyio.current_time()
            await anyio.sleep(max(wait, 0.0))


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RevisionWatch]] = (
    weakref.WeakKeyDictionary()
)


def watch_of(engine: Engine) -> RevisionWatch:
    """The watch of this engine on the running event loop (an anyio lock belongs to one)."""
    per_loop = _WATCHES.setdefault(asyncio.get_running_loop(), {})
    watch = per_loop.get(id(engine))
    if watch is None or watch.engine is not engine:
        watch = per_loop[id(engine)] = RevisionWatch(engine)
    return watch


def latest_change(session: Session) -> int:
    return session.scalar(select(Change.id).order_by(Change.id.desc()).limit(1)) or 0


def _entries_after(
    sessions: Callable[[], Session], stmt: Select[Any], after: int
) -> list[ChangeRead]:
    with sessions() as session:
        rows = session.scalars(stmt.where(Change.id > after).order_by(Change.id).limit(BATCH))
        return [ChangeRead.model_validate(c) for c in rows]


async def feed(
    watch: RevisionWatch, sessions: Callable[[], Session], stmt: Select[Any], after: int
) -> AsyncIterator[ServerSentEvent]:
    """The entries of ``stmt`` (the audit log, filtered) after change ``after``, then each new
    one as it is committed: one event each, its id the change's id."""
    known: int | None = None
    while True:
        known = await watch.moved_from(known)
        while True:
            entries = await anyio.to_thread.run_sync(_entries_after, sessions, stmt, after)
            for entry in entries:
                yield ServerSentEvent(
                    data=entry.model_dump_json(), id=str(entry.id), event="change"
                )
                after = entry.id
            if len(entries) < BATCH:
                break
