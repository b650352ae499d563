"""The audit log's entries: who (an API key, the seed, the CLI) changed which entity when and why,
with its full state before and after, as JSON-ready snapshots. `as_of` (app.curation.past_states)
rebuilds the past from these."""

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, selectin_polymorphic, selectinload

from app.store.models import (
    Base,
    Change,
    Commitment,
    Condition,
    Event,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
)
from app.vocab import Origin


@dataclass(frozen=True)
class Actor:
    """Who writes, for the audit log: an API key's name, "seed" or "import"."""

    name: str
    origin: Origin


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_snapshot(obj: Base) -> dict[str, Any]:
    """The columns of one row (all tables of a joined-inheritance fact), JSON-ready."""
    mapper = inspect(obj).mapper
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def fact_snapshot(fact: Fact) -> dict[str, Any]:
    """A fact's complete state: its columns, its evidence and (for conditions) what it gates."""
    snap = row_snapshot(fact)
    snap["evidence"] = [row_snapshot(e) for e in fact.evidence]
    if isinstance(fact, Condition):
        snap["gates"] = sorted(c.id for c in fact.gates)
    return snap


def record_change(
    session: Session,
    actor: Actor,
    at: dt.datetime,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    session.add(
        Change(
            at=at,
            actor=actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )
    )


# Entries a bulk audit writes per statement: bounded memory whatever the size of the data.
BULK_ENTRIES = 2_000


def record_everything_as_created(session: Session, actor: Actor, at: dt.datetime) -> int:
    """One "create" entry per nation, source, outlet and fact the session's database holds,
    with the snapshots the write core records: for data written in bulk without the write core
    (`pledgedb synth`), so that `/changes` lists it and `as_of` rebuilds it like written data.
    Returns how many entries it wrote."""
    written = 0
    pending: list[dict[str, Any]] = []

    def add(entity: str, entity_id: str, after: dict[str, Any]) -> None:
        nonlocal written
        pending.append(
            {"at": at, "actor": actor.name, "action": "create", "entity": entity,
             "entity_id": entity_id, "before": None, "after": after, "reason": None}
        )  # fmt: skip
        if len(pending) >= BULK_ENTRIES:
            session.execute(insert(Change), pending)
            written += len(pending)
            pending.clear()

    rows: tuple[tuple[str, type[Base], str], ...] = (
        ("nation", Nation, "code"), ("source", Source, "id"), ("outlet", Outlet, "id"),
    )  # fmt: skip
    for entity, model, key in rows:
        for row in session.scalars(select(model).execution_options(yield_per=BULK_ENTRIES)):
            snapshot = row_snapshot(row)
            add(entity, snapshot[key], snapshot)
    facts = (
        select(Fact)
        .options(
            selectin_polymorphic(Fact, [Event, Membership, Commitment, Condition, Statement]),
            selectinload(Fact.evidence),
            selectinload(Condition.gates),
        )
        .order_by(Fact.id)
        .execution_options(yield_per=BULK_ENTRIES)
    )
    for fact in session.scalars(facts):
        add("fact", fact.id, fact_snapshot(fact))
    if pending:
        session.execute(insert(Change), pending)
        written += len(pending)
    session.expunge_all()
    return written
