"""The data revision: one number, bumped in the committing transaction of every write that
changed data, so caches (response cache, per-revision derived data, list totals) know exactly
when what they hold went stale."""

from typing import Any

from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    sessionmaker,
)

from app.store.models import DataRevision

READ_REVISION = select(DataRevision.revision).where(DataRevision.id == 1)


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
    session.info.pop(_WROTE, None)  # the bump itself is not a write to note
