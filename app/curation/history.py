"""Past states (`as_of`) kept per app, by the last change they include, and made one at a
time on a thread of their own under the request's time limit. How a state is made:
app.curation.past_states."""

import datetime as dt
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.curation.past_states import (
    PastState,
    build_state,
    copy_of_live,
    derive_state,
    last_change_id,
    move_state,
)
from app.errors import QueryTimeout

CACHE_SIZE = 8
# Seconds a request that gave up waiting for a state's making is asked to wait (it goes on).
MAKING_RETRY_AFTER = 2


class History:
    """Per-app cache of rebuilt past states, keyed by the last change they include. A state is
    made on a thread of its own, one at a time: a request waits for it until its time limit
    and answers 503 past it (at 1,000x the seed the first copy takes seconds), and the making
    goes on, for the next request at that moment (single flight: one making per state)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[int, PastState] = OrderedDict()
        self._making: dict[int, Future[PastState]] = {}
        self._maker = _new_maker()

    def sessionmaker_at(
        self, session: Session, as_of: dt.datetime, deadline: float | None = None
    ) -> sessionmaker[Session]:
        """Sessions on the state at ``as_of`` (see `state_at`)."""
        return self.state_at(session, as_of, deadline).sessionmaker

    def state_at(
        self, session: Session, as_of: dt.datetime, deadline: float | None = None
    ) -> PastState:
        """The state at ``as_of``; ``deadline`` (time.monotonic): wait for its making until
        then, else `QueryTimeout`. ``session`` (on the live database) is closed before the
        wait: the making reads the live database on a connection of its own."""
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=dt.UTC)
        last_id = last_change_id(session, as_of)
        engine = session.get_bind()
        with self._lock:
            if last_id in self._states:
                self._states.move_to_end(last_id)
                return self._states[last_id]
            making = self._making.get(last_id)
            if making is None:
                making = self._making[last_id] = self._maker.submit(self._make, engine, last_id)
        session.close()  # its connection back: the making (or other requests) may need it
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            return making.result(left)
        except FutureTimeout:
            raise QueryTimeout(
                "Making the data as it stood at `as_of` takes longer than the request time "
                "limit; it goes on: ask again in a few seconds.",
                headers={"Retry-After": str(MAKING_RETRY_AFTER)},
            ) from None

    def _make(self, engine: Engine | Connection, last_id: int) -> PastState:
        try:
            with Session(engine) as session:
                with self._lock:
                    nearest = min(self._states, key=lambda kept: abs(kept - last_id), default=None)
                    base = self._states[nearest] if nearest is not None else None
                if nearest is not None and base is not None:
                    state = derive_state(session, base, nearest, last_id)
                elif (copied := copy_of_live(session)) is not None:
                    state, copied_id = copied
                    move_state(session, state, copied_id, last_id)
                else:
                    state = build_state(session, last_id)
            with self._lock:
                self._states[last_id] = state
                while len(self._states) > CACHE_SIZE:
                    # Dropped, not closed: a request on another thread may still be reading it.
                    # Its connections close when the last session lets go of it.
                    self._states.popitem(last=False)
            return state
        finally:
            with self._lock:
                self._making.pop(last_id, None)

    def close(self) -> None:
        """Close every state (a making under way first ends); the cache can be used again."""
        with self._lock:
            maker, self._maker = self._maker, _new_maker()
        maker.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._making.clear()
            for state in self._states.values():
                state.close()
            self._states.clear()


def _new_maker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="pledgedb-as-of")
