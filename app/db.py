"""Engine and sessions. Reads get a session that hides retracted facts and can answer as the
database stood at a past moment (``as_of``); writes get a live session that already holds the
database's write lock, so concurrent writers queue instead of failing half-way."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import Engine, create_engine, event, or_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from app.errors import InvalidParameter
from app.models import Fact

# Execution option: the id of a fact to show even though it is retracted (its own page).
SHOW_FACT = "show_fact"
# RFC 3339 date-time, the offset optional (then UTC). Numbers are not timestamps here.
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?$"


def parse_timestamp(value: str, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidParameter(f"{where}: not an ISO 8601 date-time: {value!r}.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run while the seed writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@event.listens_for(Session, "do_orm_execute")
def _hide_retracted(state: ORMExecuteState) -> None:
    """In read sessions, retracted facts disappear from every query — lists, counts, joins and
    relationship loads alike — except the one fact whose own page is asked for, which shows
    itself with its retraction (but not the retracted facts it links to)."""
    if state.is_select and state.session.info.get("hide_retracted"):
        shown = state.execution_options.get(SHOW_FACT)
        state.statement = state.statement.options(
            with_loader_criteria(
                Fact,
                lambda cls: or_(cls.retracted_at.is_(None), cls.id == shown),
                include_aliases=True,
                track_closure_variables=True,
            )
        )


def get_read_session(
    request: Request,
    as_of: Annotated[
        str | None,
        Query(
            description="Answer as the database stood at this moment (ISO 8601 date-time; UTC "
            "when no offset is given), rebuilt from the audit log.",
            pattern=ISO_DATETIME,
            max_length=40,
            json_schema_extra={"format": "date-time"},
            examples=["2025-09-05T12:00:00Z"],
        ),
    ] = None,
) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    if as_of is not None:
        moment = parse_timestamp(as_of, "query.as_of")
        with factory() as live:
            factory = request.app.state.history.sessionmaker_at(live, moment)
    with factory(info={"hide_retracted": True}) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        if session.get_bind().dialect.name == "sqlite":
            # Take the write lock now: a deferred transaction that reads and then writes fails
            # with "database is locked" when another writer got in between.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SessionDep = Annotated[Session, Depends(get_session)]
