"""What is derived from the whole data (a list's total, the disputes), kept until the data changes.

Every committed write bumps the data revision in its own transaction (app.store.revisions), so a
value kept with the revision it was computed at is current exactly while the revision read in the
request's transaction is the same: a write through any process is seen on the next request.
A value may also carry a stamp of what it was computed from (app.reads.disputes.inputs): at a
newer revision with the same stamp it is kept on, so a write elsewhere recomputes nothing. Or it
is carried forward: brought to the newer revision by the audit entries of the writes between
(app.reads.tallies: a write re-reads the facts it touched, not every fact).
One request computes a value at a time (single flight): others that want it meanwhile wait for
it, within their time limit, instead of computing it alongside (the disputes at 1,000x the seed
take seconds of the two cores). A state rebuilt at `as_of` (app.curation.past_states) never
changes: its revision is the last change it holds, and its values are kept per state like the
live database's. A database without a revision row, or a session that does not ask to keep them
(`KEEP_DERIVED`), just computes."""

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from app.store.guards import request_deadline
from app.store.revisions import READ_REVISION, changes_between
from app.store.visibility import KEEP_DERIVED

T = TypeVar("T")
# Given the audit entries between two revisions, which keys they touch (None: every key).
Touched = Callable[[Session, Sequence[Row[Any]]], Callable[[Hashable], bool] | None]
_EVERY: "weakref.WeakSet[PerRevision[Any]]" = weakref.WeakSet()


# Session.info key: (the transaction, the revision it read).
_REVISION_READ = "pledgedb_revision_read"


def revision_of(session: Session) -> int | None:
    """The data revision, read once per transaction of ``session``: every value a request keeps
    or looks up is then keyed by the same revision, and computed after it was read (so never
    older than it, on any isolation level)."""
    transaction = session.get_transaction()
    known = session.info.get(_REVISION_READ)
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1]  # type: ignore[no-any-return]
    revision = session.execute(READ_REVISION).scalar()
    session.info[_REVISION_READ] = (session.get_transaction(), revision)
    return revision


class PerRevision(Generic[T]):
    """Values by key, per engine, each with the data revision it was computed at; the least
    recently used go first beyond ``max_entries`` an engine. With ``max_total``, beyond that
    many in all (the live database's and the past states' of `as_of` together) the engine
    holding the most gives up its least recently used: for values too large to keep
    ``max_entries`` of for each past state."""

    def __init__(
        self, max_entries: int, max_total: int | None = None, touched: Touched | None = None
    ) -> None:
        self.max_entries = max_entries
        self.max_total = max_total
        # With `touched`, `get_many` carries the values the writes between did not touch to the
        # newer revision (`_advance`); the revision each engine's values were carried to.
        self.touched = touched
        self._advanced: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._advancing = threading.Lock()
        # By engine, then key: (revision, stamp, value).
        self._kept: weakref.WeakKeyDictionary[
            Any, OrderedDict[Hashable, tuple[int, Hashable, T]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # request threads share it
        # What requests are computing now, by engine and key: set when it is kept (or failed).
        self._computing: dict[tuple[int, Hashable], threading.Event] = {}
        _EVERY.add(self)

    def get(
        self,
        session: Session,
        key: Hashable,
        compute: Callable[[], T],
        stamp: Callable[[], Hashable] | None = None,
        carry: Callable[[T, Sequence[Row[Any]]], T] | None = None,
        touched_by: Callable[[Sequence[Row[Any]]], bool] | None = None,
    ) -> T:
        """The value kept for ``key`` at the session's revision, else computed and kept. With
        ``stamp`` (a few numbers that change whenever what ``compute`` reads changes), a value
        kept at an older revision whose stamp is still the same is current too: kept on. With
        ``carry``, a value kept at an older revision is brought to this one by the audit entries
        between (`changes_between`): ``carry(value, entries)`` answers a new value, the kept
        one unchanged (requests at its revision may still read it). When the entries cannot
        tell what changed, it is computed again. With ``touched_by`` (whether the entries
        change what ``compute`` reads), a value the entries between do not touch is kept on,
        without reading its stamp; one they touch is computed again, also without."""
        if not session.info.get(KEEP_DERIVED):
            return compute()
        revision = revision_of(session)
        if revision is None:
            return compute()
        bind = session.get_bind()
        with self._lock:
            kept = self._kept.setdefault(bind, OrderedDict())
            known = kept.get(key)
            if known is not None and known[0] == revision:
                kept.move_to_end(key)
                return known[2]
        if known is not None and known[0] < revision and (carry or touched_by) is not None:
            entries = changes_between(session, known[0], revision)
            if entries is not None and touched_by is not None:
                if not touched_by(entries):
                    self._keep(kept, key, (revision, known[1], known[2]))
                    return known[2]
                stamp = None  # touched: computed again, whatever its stamp
            elif entries is not None and carry is not None:
                compute = functools.partial(carry, known[2], entries)
                stamp = None  # carried: a stamp would cost what carrying saves
        # Read before computing, like the revision: a write committed in between makes the value
        # newer than its stamp, never older (the next request computes again).
        stamped = stamp() if stamp is not None else None
        if known is not None and stamped is not None and known[1] == stamped:
            self._keep(kept, key, (revision, stamped, known[2]))
            return known[2]
        flight = (id(bind), key)
        leading, waited = self._lead_or_wait(session, bind, key, revision)
        if waited is not None:
            return waited[0]
        try:
            # After the revision was read: a write committed in between makes the value newer
            # than its revision, never older (the next request sees the new revision and
            # computes again).
            value = compute()
            self._keep(kept, key, (revision, stamped, value))
        finally:
            if leading:  # kept (or failed): who waited for it goes on
                with self._lock:
                    self._computing.pop(flight).set()
        return value

    def _keep(
        self, kept: OrderedDict[Hashable, tuple[int, Hashable, T]], key: Hashable,
        entry: tuple[int, Hashable, T],
    ) -> None:  # fmt: skip
        with self._lock:
            kept[key] = entry
            kept.move_to_end(key)
            self._trim(kept)

    def _lead_or_wait(
        self, session: Session, bind: Any, key: Hashable, revision: int
    ) -> tuple[bool, tuple[T] | None]:
        """Single flight: one request computes a key at a time (the disputes take seconds at
        1,000x the seed); the others wait for its value, until their own time limit, instead
        of computing it alongside. Whether this request leads, and the value it waited for if
        it came (of its revision: else it computes, leading once nobody else does)."""
        deadline = request_deadline(session)
        while True:
            with self._lock:
                known = self._kept.get(bind, OrderedDict()).get(key)
                if known is not None and known[0] == revision:
                    return False, (known[2],)
                computing = self._computing.get((id(bind), key))
                if computing is None:
                    self._computing[(id(bind), key)] = threading.Event()
                    return True, None
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False, None  # past its limit: its own computation stops it (503)
            computing.wait(left)

    def get_many(
        self,
        session: Session,
        keys: Sequence[Hashable],
        compute: Callable[[Sequence[Hashable]], dict[Hashable, T]],
    ) -> list[T]:
        """The values of ``keys``, in order: those kept at the session's revision, the others
        computed together (``compute`` of the missing keys answers a value for each it finds)
        and kept. One revision read, whatever the number of keys."""
        if not session.info.get(KEEP_DERIVED):
            computed = compute(keys)
            return [computed[k] for k in keys if k in computed]
        revision = revision_of(session)
        if revision is None:
            computed = compute(keys)
            return [computed[k] for k in keys if k in computed]
        bind = session.get_bind()
        if self.touched is not None:
            self._advance(session, bind, revision)
        found: dict[Hashable, T] = {}
        with self._lock:
            kept = self._kept.setdefault(bind, OrderedDict())
            for key in keys:
                known = kept.get(key)
                if known is not None and known[0] == revision:
                    kept.move_to_end(key)
                    found[key] = known[2]
        missing = [k for k in keys if k not in found]
        if missing:
            # After the revision was read, as in `get`: never older than their revision.
            computed = compute(missing)
            with self._lock:
                for key, value in computed.items():
                    found[key] = value
                    kept[key] = (revision, None, value)
                self._trim(kept)
        # A key ``compute`` found nothing for (a fact gone since the ids were read, on a
        # database whose statements each see the latest commit) is left out.
        return [found[k] for k in keys if k in found]

    def _advance(self, session: Session, bind: Any, revision: int) -> None:
        """Values kept at the revision the engine's were last carried to, that the audit entries
        since do not touch, are current at ``revision`` too: carried there. When the entries
        cannot tell (`changes_between`), nothing is: the values are computed again as asked."""
        assert self.touched is not None  # noqa: S101 - get_many calls it only then
        if self._advanced.get(bind) == revision:
            return  # carried there already: most reads, without taking the lock
        with self._advancing:
            advanced = self._advanced.get(bind)
            self._advanced[bind] = max(revision, advanced or revision)
            if advanced is None or advanced >= revision:
                return
            entries = changes_between(session, advanced, revision)
            touches = self.touched(session, entries) if entries is not None else None
            if touches is None:
                return
            with self._lock:
                kept = self._kept.get(bind, OrderedDict())
                for key, (at, stamped, value) in kept.items():
                    if at == advanced and not touches(key):
                        kept[key] = (revision, stamped, value)

    def _trim(self, kept: OrderedDict[Hashable, tuple[int, Hashable, T]]) -> None:
        """Under the lock, after adding to ``kept``: back within the bounds."""
        while len(kept) > self.max_entries:
            kept.popitem(last=False)
        if self.max_total is None:
            return
        total = sum(len(each) for each in self._kept.values())
        while total > self.max_total:
            max(self._kept.values(), key=len).popitem(last=False)
            total -= 1

    def kept(self, session: Session, key: Hashable) -> T | None:
        """The value kept for ``key`` if it is current, without computing it."""
        if not session.info.get(KEEP_DERIVED):
            return None
        revision = revision_of(session)
        with self._lock:
            known = self._kept.get(session.get_bind(), OrderedDict()).get(key)
        return known[2] if known is not None and known[0] == revision else None

    def changes_since_kept(self, session: Session, key: Hashable) -> Sequence[Row[Any]] | None:
        """The audit entries `get` would carry the value kept for ``key`` by: those between its
        revision and the session's. None when none is kept at an older revision, or when the
        entries cannot tell what changed (`changes_between`)."""
        if not session.info.get(KEEP_DERIVED):
            return None
        revision = revision_of(session)
        with self._lock:
            known = self._kept.get(session.get_bind(), OrderedDict()).get(key)
        if revision is None or known is None or known[0] >= revision:
            return None
        return changes_between(session, known[0], revision)

    def stamp_kept(self, session: Session, key: Hashable) -> Hashable:
        """The stamp of the value kept for ``key`` (None if none is kept), whatever its
        revision: whether `get` with the same stamp would compute it again."""
        if not session.info.get(KEEP_DERIVED):
            return None
        with self._lock:
            known = self._kept.get(session.get_bind(), OrderedDict()).get(key)
        return known[1] if known is not None else None

    def held(self) -> list[int]:
        """How many values each engine's holds (for the tests of the bounds)."""
        with self._lock:
            return [len(kept) for kept in self._kept.values()]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def forget_all() -> None:
    """Forget every kept value (benchmarks and tests that measure a first request)."""
    for kept in list(_EVERY):
        kept.clear()
