"""The data revision: one number, bumped in the committing transaction of every write that
changed data, so caches (response cache, per-revision derived data, list totals) know exactly
when what they hold went stale. The same commit tags the audit entries it wrote with the new
revision, so what changed between two revisions can be read (`changes_between`)."""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Row, Select, Table, event, insert, select, text, update
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    sessionmaker,
)
from sqlalchemy.sql import visitors

from app.store.models import Change, DataRevision

READ_REVISION = select(DataRevision.revision).where(DataRevision.id == 1)


# The commit's audit entries tagged with its revision, found by the index of revisions: after a
# bulk load every entry has one revision, and SQLite's statistics then say a scan is cheaper
# (22 ms at 1,000x the seed, on every write); PostgreSQL's know how few are null.
_TAG = (
    update(Change)
    .where(Change.revision.is_(None))
    .values(revision=READ_REVISION.scalar_subquery())
    .execution_options(synchronize_session=False)
)
_TAG_SQLITE = text(
    "UPDATE changes INDEXED BY ix_changes_revision"
    " SET revision = (SELECT revision FROM data_revision WHERE id = 1) WHERE revision IS NULL"
)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the database, each of whose committed writes bumps the data revision."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_flush", _note_write)
    event.listen(factory, "do_orm_execute", _note_bulk_write)
    event.listen(factory, "before_commit", _bump_revision)
    event.listen(factory, "after_commit", _forget_write)
    event.listen(factory, "after_rollback", _forget_write)
    return factory


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
    # This transaction's audit entries are the only untagged ones it can see: another writer's
    # are tagged before it commits, and its uncommitted ones are invisible here.
    session.execute(_TAG_SQLITE if session.get_bind().dialect.name == "sqlite" else _TAG)
    session.info.pop(_WROTE, None)  # the bump itself is not a write to note


# Entries a carried value reads at most: past that, computing it again is as cheap.
CARRIED_ENTRIES = 1_000


def changes_between(session: Session, since: int, until: int) -> Sequence[Row[Any]] | None:
    """The audit entries committed after revision ``since`` up to ``until`` (entity, entity id,
    before, after), in order. None when they cannot tell what changed: a revision between has no
    entry (a write of something unaudited: an API key, data written past the write core), or
    there are more than `CARRIED_ENTRIES`. Whoever carries a value forward with them then
    computes it again."""
    if until - since > CARRIED_ENTRIES:
        return None
    engine = session.get_bind().engine
    with _BETWEEN_LOCK:
        known = _BETWEEN.setdefault(engine, OrderedDict())
        if (since, until) in known:
            known.move_to_end((since, until))
            return known[(since, until)]
    read = session.execute(
        select(Change.entity, Change.entity_id, Change.before, Change.after, Change.revision)
        .where(Change.revision > since, Change.revision <= until)
        .order_by(Change.id)
        .limit(CARRIED_ENTRIES + 1)
    ).all()
    told = len(read) <= CARRIED_ENTRIES and len({r.revision for r in read}) == until - since
    rows = read if told else None
    with _BETWEEN_LOCK:
        known[(since, until)] = rows
        while len(known) > _BETWEEN_KEPT:
            known.popitem(last=False)
    return rows


# The entries between two committed revisions never change: the last few ranges read are kept,
# by engine (after a write every value a request carries asks for the same range).
Between = OrderedDict[tuple[int, int], Sequence[Row[Any]] | None]
_BETWEEN: "weakref.WeakKeyDictionary[Engine, Between]" = weakref.WeakKeyDictionary()
_BETWEEN_LOCK = threading.Lock()
_BETWEEN_KEPT = 16


# Entries of these change no fact's answer: a source is shown by its id, a proposal is no fact.
_NOT_SHOWN = frozenset({"fact", "source", "proposal"})


def reference_changed(entries: Sequence[Row[Any]]) -> bool:
    """Whether an entry is of a nation or an outlet (or an entity this does not know): their
    names are shown with the facts, so whatever shows facts may have changed."""
    return any(e.entity not in _NOT_SHOWN for e in entries)


# A fact's snapshot in an audit entry (app.curation.audit.fact_snapshot); None where there is none.
Snapshot = dict[str, Any] | None


def fact_states(entries: Sequence[Row[Any]]) -> Iterator[tuple[Snapshot, Snapshot]]:
    """Each fact's snapshots before and after each audit entry (None: created, or no more)."""
    for entry in entries:
        if entry.entity == "fact":
            yield entry.before, entry.after


def fact_snapshots(entries: Sequence[Row[Any]]) -> Iterator[dict[str, Any]]:
    """Every fact state the audit entries hold, before and after alike."""
    return (s for states in fact_states(entries) for s in states if s is not None)


def changed(before: Snapshot, after: Snapshot, fields: Sequence[str]) -> bool:
    """Whether an entry changed any of ``fields`` (a fact created or gone changed them all)."""
    if before is None or after is None:
        return True
    return any(before.get(f) != after.get(f) for f in fields)


def standing_count_change(
    entries: Sequence[Row[Any]], kind: str, columns: frozenset[str], filtered: bool
) -> int | None:
    """By how much the writes behind the audit entries change a count of the standing facts of
    ``kind`` whose filters (if ``filtered``) read ``columns`` of the kind's own table; None when
    the entries cannot tell and it must be counted again. A fact created or retracted adds or
    takes one from an unfiltered count; a filtered one is counted again (whether the fact
    passes its filters is the database's to say); a standing fact changed elsewhere than in
    ``columns`` changes nothing."""
    written = tables_written(entries)
    if written is None:
        return None
    if KIND_TABLES[kind] not in written:
        return 0
    change = 0
    for before, after in fact_states(entries):
        if (after or before or {}).get("kind") != kind:
            continue
        stood = before is not None and before.get("retracted_at") is None
        stands = after is not None and after.get("retracted_at") is None
        if stood and stands:
            assert before is not None and after is not None  # noqa: S101 - for the type checker
            if any(c not in after or before.get(c) != after[c] for c in columns):
                return None
        elif stood != stands:
            if filtered:
                return None
            change += 1 if stands else -1
    return change


# The tables a fact's write changes beyond its kind's own (evidence is written with the fact).
_FACT_TABLES = frozenset({"facts", "evidence"})
KIND_TABLES = {
    "commitment": "commitments", "condition": "conditions", "statement": "statements",
    "event": "events", "membership": "memberships",
}  # fmt: skip
_ENTITY_TABLES = {"nation": "nations", "source": "sources", "outlet": "outlets"}


def tables_written(entries: Sequence[Row[Any]]) -> set[str] | None:
    """The tables the writes behind these audit entries changed (their own `changes` too); None
    when an entry is of an entity this does not know."""
    written = {"changes"}
    for entry in entries:
        if entry.entity == "fact":
            kind = (entry.after or entry.before or {}).get("kind")
            if kind not in KIND_TABLES:
                return None
            written |= {KIND_TABLES[kind], *_FACT_TABLES}
            if kind == "condition":
                written.add("condition_gates")
        elif entry.entity in _ENTITY_TABLES:
            written.add(_ENTITY_TABLES[entry.entity])
        elif entry.entity == "proposal":
            written.add("proposals")
        else:
            return None
    return written


# The tables each statement reads, by its shape (its cache key): found once per shape.
_READS: dict[Any, frozenset[str]] = {}


def tables_read(statement: Select[Any], shape: Any) -> frozenset[str]:
    """The tables ``statement`` reads, its subqueries' included. `facts` only where it reads no
    kind's own table: joined to one, it reads only that kind's rows of it."""
    read = _READS.get(shape)
    if read is None:
        tables = {e.name for e in visitors.iterate(statement) if isinstance(e, Table)}
        if tables & set(KIND_TABLES.values()):
            tables.discard("facts")
        read = _READS[shape] = frozenset(tables)
    return read


def writes_touch(read: frozenset[str], entries: Sequence[Row[Any]]) -> bool:
    """Whether the writes behind the audit entries changed one of the tables ``read``."""
    written = tables_written(entries)
    return written is None or bool(written & read)
