"""What a read sees: retracted facts hidden from every query of a read session (lists, counts,
joins and relationship loads alike), but for the one fact whose own page is asked for. The
filter is a session event: importing `app.store` registers it for every session, and a session
opts in with `HIDE_RETRACTED` in its info (the API's read sessions do; the CLI and the write
core see everything). Core queries (the nation list, counts, the disputes' loads, the data
package) apply the same rule with `STANDING` or `not_retracted`, defined here beside it."""

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    event,
    or_,
    select,
)
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    with_loader_criteria,
)

from app.store.models import (
    Fact,
)

# Session.info key: the session's reads leave retracted facts out.
HIDE_RETRACTED = "hide_retracted"
# Execution option: the id of a fact to show even though it is retracted (its own page).
SHOW_FACT = "show_fact"


# Execution option: the statement leaves retracted facts out itself (app.api.listing's counts).
RETRACTED_LEFT_OUT = "retracted_left_out"


@event.listens_for(Session, "do_orm_execute")
def _hide_retracted(state: ORMExecuteState) -> None:
    """In read sessions, retracted facts disappear from every query — lists, counts, joins and
    relationship loads alike — except the one fact whose own page is asked for, which shows
    itself with its retraction (but not the retracted facts it links to)."""
    if (
        state.is_select
        and state.session.info.get(HIDE_RETRACTED)
        and not state.execution_options.get(RETRACTED_LEFT_OUT)
    ):
        shown = state.execution_options.get(SHOW_FACT)
        if shown is None:
            state.statement = state.statement.options(_HIDE_RETRACTED)
            return
        state.statement = state.statement.options(
            with_loader_criteria(
                Fact,
                lambda cls: or_(cls.retracted_at.is_(None), cls.id == shown),
                include_aliases=True,
                track_closure_variables=True,
            )
        )


# The common case, built once (building the option and its lambda's cache key per query cost a
# list request a tenth of its time).
_HIDE_RETRACTED = with_loader_criteria(
    Fact, lambda cls: cls.retracted_at.is_(None), include_aliases=True
)


def leaving_retracted_out(stmt: Select[Any]) -> Select[Any]:
    """An ORM statement with the read sessions' rule applied in it, once (for a read session
    only): the session's event then leaves it as it is, so a statement run many times keeps its
    cache key instead of being copied with the rule on each execution."""
    return stmt.options(_HIDE_RETRACTED).execution_options(**{RETRACTED_LEFT_OUT: True})


# Session.info key: what is derived from the whole data may be kept for this session's database
# (app.reads.per_revision). A request's read session, live or at `as_of`, sets it; any other
# session (the CLI, a write rendering its answer) computes.
KEEP_DERIVED = "keep_derived"


# Session.info key of a session at `as_of`: opens a session on the live database, to tell an id
# that came later (an empty answer) from one that never existed (a mistake).
OPEN_LIVE = "open_live"


# The table of what every fact shares, the retraction mark among it (joined inheritance).
FACTS = Fact.__table__


def not_retracted(id_column: ColumnElement[str]) -> ColumnElement[bool]:
    """The fact with this id stands. For queries on a kind's own table (joined inheritance):
    `facts` holds the retraction mark, and its partial index of the retracted few answers this
    without joining every row to `facts`."""
    retracted = select(FACTS.c.id).where(FACTS.c.retracted_at.is_not(None))
    return id_column.not_in(retracted)


# Core queries that join `facts` keep standing facts with this; ORM reads get the same rule from
# the session event above, and a Core statement run in an ORM session says so with
# `RETRACTED_LEFT_OUT` so the rule is not applied twice.
STANDING = FACTS.c.retracted_at.is_(None)
