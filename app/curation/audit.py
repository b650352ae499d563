"""The audit log's entries: who (an API key, the seed, the CLI) changed which entity when and why,
with its full state before and after, as JSON-ready snapshots. `as_of` (app.curation.history)
rebuilds the past from these."""

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.store.models import (
    Base,
    Change,
    Condition,
    Fact,
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
