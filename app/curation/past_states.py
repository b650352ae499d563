"""Making the database as it stood at a past moment (`as_of`), from the audit log.

Every change records the full state of its entity afterwards, so the state at time t is, for
each entity, the last `after` recorded at or before t. That state lives in an in-memory SQLite
database with the same schema, and the ordinary read handlers run their ordinary queries against
it. A state depends only on the last change before t (app.curation.history keeps them by that
change's id).

A new state is made from the nearest one at hand (a page copy, then only the entities changed
between the two moments rewritten, forwards or backwards); the first from the live database
(copied in one read snapshot — SQLite's file attached, PostgreSQL's tables read — then moved back
to t); only an in-memory SQLite database is rebuilt from every snapshot up to t. At 1,000x the
seed: a rebuild 7 s, a copy of the live file ~1 s, a state one change from another ~0.1-0.2 s.
Each state at that size holds ~100 MB of memory."""

import datetime as dt
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Enum,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.type_api import TypeEngine

from app.store.models import (
    Base,
    Change,
    Commitment,
    Condition,
    DataRevision,
    Event,
    Evidence,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
    condition_gates,
)
from app.vocab import FactKind

FACT_MODELS: dict[str, type[Fact]] = {
    FactKind.event: Event,
    FactKind.membership: Membership,
    FactKind.commitment: Commitment,
    FactKind.condition: Condition,
    FactKind.statement: Statement,
}
ROW_MODELS: dict[str, type[Base]] = {"nation": Nation, "source": Source, "outlet": Outlet}


def _from_json(column_type: TypeEngine[Any]) -> Callable[[Any], Any]:
    """How a snapshot's JSON value of a column of this type becomes the column's value."""
    try:
        python_type: type = column_type.python_type
    except NotImplementedError:
        python_type = object
    if issubclass(python_type, dt.datetime):  # checked first: a datetime is also a date
        return dt.datetime.fromisoformat
    if issubclass(python_type, dt.date):
        return dt.date.fromisoformat
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        members = {m.value: m for m in column_type.enum_class}
        return members.__getitem__
    return lambda value: value


# Per model: each snapshot key, the table and column it fills, and how its value is read.
Plan = list[tuple[str, str, str, Callable[[Any], Any]]]


@cache
def _plan(model: type[Base]) -> Plan:
    return [
        (attr.key, column.table.name, column.name, _from_json(column.type))  # type: ignore[union-attr]
        for attr in model.__mapper__.column_attrs
        for column in attr.columns
    ]


@cache
def _table_names(model: type[Base]) -> tuple[str, ...]:
    return tuple(table.name for table in model.__mapper__.tables)


def _rows(model: type[Base], snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The table rows (base table first) that hold ``snapshot``, by table name. Written with
    Core inserts, so the ORM's version counter does not restart the stored versions at 1."""
    rows: dict[str, dict[str, Any]] = {name: {} for name in _table_names(model)}
    for key, table_name, column_name, read in _plan(model):
        if key not in snapshot:
            continue  # recorded before the column existed: its default stands, as it did then
        value = snapshot[key]
        rows[table_name][column_name] = None if value is None else read(value)
    return rows


def last_change_id(session: Session, as_of: dt.datetime) -> int:
    return session.scalar(select(func.max(Change.id)).where(Change.at <= as_of)) or 0


@dataclass
class PastState:
    sessionmaker: sessionmaker[Session]
    keeper: Connection  # the in-memory database lives as long as one connection does

    @property
    def engine(self) -> Engine:
        return self.keeper.engine

    def close(self) -> None:
        self.keeper.close()
        self.engine.dispose()


def _new_state() -> PastState:
    """An empty in-memory database for a past state (no schema yet)."""
    # Shared-cache in memory: every connection sees the same data, for handlers on several
    # threads. NullPool: a SingletonThreadPool closes other threads' connections mid-read.
    name = f"file:asof-{uuid.uuid4().hex}?mode=memory&cache=shared&uri=true"
    engine = create_engine(
        f"sqlite:///{name}",
        connect_args={"check_same_thread": False, "uri": True},
        poolclass=NullPool,
    )
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA read_uncommitted=1"))
    keeper = engine.connect()
    # Its sessions hold the keeper: a request that took them reads the state to the end even
    # if other moments push it out of the cache meanwhile (else: "no such table").
    return PastState(sessionmaker(engine, expire_on_commit=False, info={"keeper": keeper}), keeper)


State = dict[tuple[str, str], dict[str, Any] | None]  # (entity, id) -> its snapshot, or None


def _insert(keeper: Connection, states: State) -> None:
    """Write the snapshots of ``states`` (None: the entity did not exist) as table rows."""
    snapshots: list[tuple[type[Base], dict[str, Any]]] = [
        (ROW_MODELS[kind], snap)
        for kind in ROW_MODELS
        for (entity, _), snap in states.items()
        if entity == kind and snap is not None
    ]
    facts = [snap for (entity, _), snap in states.items() if entity == "fact" and snap]
    snapshots += [(FACT_MODELS[snap["kind"]], snap) for snap in facts]
    snapshots += [(Evidence, e) for snap in facts for e in snap.get("evidence", [])]
    # One executemany per table and set of columns, parents first: row by row, a rebuild at
    # 1,000x the seed took 13 s.
    by_table: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    for model, snap in snapshots:
        for table_name, row in _rows(model, snap).items():
            by_table[(table_name, tuple(row))].append(row)
    order = {table.name: rank for rank, table in enumerate(Base.metadata.sorted_tables)}
    for (name, _), rows_of_table in sorted(by_table.items(), key=lambda kv: order[kv[0][0]]):
        keeper.execute(insert(Base.metadata.tables[name]), rows_of_table)
    gates = [
        {"condition_id": snap["id"], "commitment_id": gated}
        for snap in facts
        if snap["kind"] == FactKind.condition
        for gated in snap.get("gates", [])
    ]
    if gates:
        keeper.execute(insert(condition_gates), gates)


def _set_revision(keeper: Connection, last_id: int) -> None:
    """The state's revision is its last change: what is derived from it is kept for it
    (app.reads.per_revision)."""
    keeper.execute(delete(DataRevision))
    keeper.execute(insert(DataRevision), {"id": 1, "revision": last_id})


def build_state(session: Session, last_id: int) -> PastState:
    """An in-memory database holding the state after change ``last_id``."""
    changes = select(Change.entity, Change.entity_id, Change.after).where(Change.id <= last_id)
    latest: State = {(e, i): after for e, i, after in session.execute(changes.order_by(Change.id))}
    state = _new_state()
    Base.metadata.create_all(state.keeper)
    _insert(state.keeper, latest)
    _set_revision(state.keeper, last_id)
    state.keeper.commit()
    return state


# Rows removed per statement when a state is moved to another moment.
CHUNK = 500


def move_state(session: Session, state: PastState, from_id: int, to_id: int) -> None:
    """Take ``state`` from the moment after change ``from_id`` to the one after ``to_id``: only
    the entities changed between the two (either way) are rewritten, each as its last snapshot
    at or before ``to_id``."""
    low, high = sorted((from_id, to_id))
    # One statement, however many changed: every entry of an entity changed between the two
    # moments, up to the later one. The last at or before ``to_id`` is its state then; one
    # with none there did not exist yet.
    changed_between = select(Change.entity, Change.entity_id).where(
        Change.id > low, Change.id <= high
    )
    rows = session.execute(
        select(Change.id, Change.entity, Change.entity_id, Change.after)
        .where(Change.id <= high, tuple_(Change.entity, Change.entity_id).in_(changed_between))
        .order_by(Change.id)
    )
    states: State = {}
    for change_id, entity, entity_id, after in rows:
        if change_id <= to_id:
            states[(entity, entity_id)] = after
        else:
            states.setdefault((entity, entity_id), None)
    changed = set(states)
    keeper = state.keeper
    tables = Base.metadata.tables
    for kind, model in ROW_MODELS.items():
        gone = sorted(entity_id for entity, entity_id in changed if entity == kind)
        table = tables[model.__tablename__]
        (key,) = table.primary_key
        for at in range(0, len(gone), CHUNK):
            keeper.execute(delete(table).where(key.in_(gone[at : at + CHUNK])))
    facts = sorted(entity_id for entity, entity_id in changed if entity == "fact")
    # A fact's rows: its evidence and gates, its kind's table, then the table all facts share.
    owned = [(tables["evidence"], "fact_id"), (condition_gates, "condition_id")] + [
        (tables[name], "id") for name in [*(m.__tablename__ for m in FACT_MODELS.values()), "facts"]
    ]
    for at in range(0, len(facts), CHUNK):
        for owner, column in owned:
            keeper.execute(delete(owner).where(owner.c[column].in_(facts[at : at + CHUNK])))
    _insert(keeper, states)
    _set_revision(keeper, to_id)
    keeper.commit()


def derive_state(session: Session, base: PastState, base_id: int, last_id: int) -> PastState:
    """The state after change ``last_id`` from a page copy of the state after ``base_id``: a
    dashboard stepping through moments, or the next `as_of` after a write, costs the copy and
    the changes between, not a rebuild."""
    state = _new_state()
    source = base.keeper.connection.driver_connection
    target = state.keeper.connection.driver_connection
    source.backup(target)  # type: ignore[union-attr]
    move_state(session, state, base_id, last_id)
    return state


# What a past state holds: the tables its snapshots fill (the rest stay empty, as in a rebuild).
STATE_TABLES = (
    "nations",
    "sources",
    "outlets",
    "facts",
    *(m.__tablename__ for m in FACT_MODELS.values()),
    "condition_gates",
    "evidence",
)


def copy_of_live(session: Session) -> tuple[PastState, int] | None:
    """The live database's facts copied into a new state in one read snapshot, with the last
    change that copy holds (the write core audits every change in the transaction that makes
    it, so the two agree); None where the live database cannot be read that way (an in-memory
    SQLite database, a file that cannot be attached): then the state is rebuilt."""
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        return _copy_of_server(engine)
    url = engine.url
    if url.database in (None, "", ":memory:"):
        return None
    state = _new_state()
    Base.metadata.create_all(state.keeper)
    state.keeper.commit()
    raw = state.keeper.connection.driver_connection
    assert raw is not None  # noqa: S101 - a connection just opened
    path = Path(str(url.database)).resolve()
    try:
        raw.execute("ATTACH DATABASE ? AS live", (f"{path.as_uri()}?mode=ro",))
    except sqlite3.Error:
        state.close()
        return None
    try:
        raw.execute("BEGIN")  # one snapshot of the live file for the copy and its change id
        (copied_id,) = raw.execute("SELECT coalesce(max(id), 0) FROM live.changes").fetchone()
        for name in STATE_TABLES:
            columns = ", ".join(f'"{c.name}"' for c in Base.metadata.tables[name].columns)
            raw.execute(f"INSERT INTO main.{name} ({columns}) SELECT {columns} FROM live.{name}")  # noqa: S608 - names from the models
        raw.execute("COMMIT")
    finally:
        raw.execute("DETACH DATABASE live")
    return state, int(copied_id)


# Rows read from the server and written into a state at a time.
COPY_BATCH = 5000


def _copy_of_server(engine: Engine) -> tuple[PastState, int]:
    """On PostgreSQL: the state tables read in one REPEATABLE READ transaction (one snapshot for
    the rows and the last change id), in batches from a server-side cursor, into a new state.
    At 1,000x the seed 2.2 s, against 6.9-7.5 s for a rebuild (bench/RESULTS.md)."""
    state = _new_state()
    Base.metadata.create_all(state.keeper)
    sqlite: Any = state.keeper.connection.driver_connection
    dialect = state.engine.dialect
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as live,
            live.begin(),
        ):
            copied_id = live.scalar(select(func.coalesce(func.max(Change.id), 0)))
            for name in STATE_TABLES:
                table = Base.metadata.tables[name]
                for index in table.indexes:  # made again once the rows are in: cheaper
                    index.drop(state.keeper)
                columns = list(table.columns)
                names = ", ".join(f'"{c.name}"' for c in columns)
                insert_sql = (
                    f"INSERT INTO {name} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - names from the models
                )
                # The driver's rows, bound as SQLAlchemy would bind them for SQLite (3.5 s when
                # SQLAlchemy also built and typed each row).
                processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
                rows = live.execution_options(yield_per=COPY_BATCH).exec_driver_sql(
                    f"SELECT {names} FROM {name}"  # noqa: S608 - names from the models
                )
                for batch in rows.partitions():
                    values: Sequence[Sequence[Any]] = batch
                    if any(processors):
                        values = [
                            tuple(
                                v if f is None or v is None else f(v)
                                for f, v in zip(processors, row, strict=True)
                            )
                            for row in batch
                        ]
                    sqlite.executemany(insert_sql, values)
                for index in table.indexes:
                    index.create(state.keeper)
        state.keeper.commit()
    except BaseException:
        state.close()
        raise
    return state, int(copied_id or 0)
