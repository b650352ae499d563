"""Writing a verified Dataset into the database: one transaction, only the rows that differ.

Re-running the seed on unchanged files writes nothing; editing one fact updates exactly its rows;
a fact removed from the files is removed from the database. Everything is verified before the
first write, and any failure rolls the whole load back."""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.facts import Dataset, FactIn
from app.models import (
    Base,
    Commitment,
    Condition,
    Event,
    Evidence,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
)


@dataclass
class TableChanges:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class SeedReport:
    tables: dict[str, TableChanges] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: asdict(changes) for name, changes in self.tables.items()}


def _fact_columns(fact: FactIn) -> dict[str, Any]:
    return {"id": fact.id, "summary": fact.summary}


def desired_rows(data: Dataset) -> list[tuple[type[Base], list[dict[str, Any]]]]:
    """Every row the files call for, per model, in the order they can be inserted."""
    return [
        (Nation, [asdict(n) for n in data.nations]),
        (
            Source,
            [
                {
                    "id": s.spec.id,
                    "title": s.spec.title,
                    "publisher": s.spec.publisher,
                    "published": s.spec.published,
                    "url": s.spec.url,
                    "note": s.spec.note,
                    "document": s.document,
                    "document_sha256": s.document_sha256,
                    "first_line": s.spec.lines[0],
                    "last_line": s.spec.lines[1],
                    "start_char": s.start_char,
                    "end_char": s.end_char,
                    "text": s.text,
                }
                for s in data.sources
            ],
        ),
        (Outlet, [o.model_dump() for o in data.outlets]),
        (
            Event,
            [
                _fact_columns(e)
                | {
                    "event_kind": e.kind,
                    "name": e.name,
                    "date": e.date,
                    "place": e.place,
                    "pledging_nation_count": e.pledging_nation_count,
                    "participants": [p.model_dump() for p in e.participants],
                }
                for e in data.events
            ],
        ),
        (
            Membership,
            [
                _fact_columns(m)
                | {
                    "nation_code": m.nation,
                    "status": m.status,
                    "part": m.part,
                    "basis": m.basis,
                    "group_name": data.groups[m.group].name if m.group else None,
                }
                for m in data.memberships
            ],
        ),
        (
            Commitment,
            [
                _fact_columns(c)
                | {
                    "actor": c.actor,
                    "nation_code": c.nation,
                    "coalition_scope": c.coalition_scope,
                    "role": c.role,
                    "status": c.status,
                    "location": c.location,
                    "combat": c.combat,
                }
                for c in data.commitments
            ],
        ),
        (
            Condition,
            [
                _fact_columns(c)
                | {"condition_kind": c.kind, "nature": c.nature, "nation_code": c.nation}
                for c in data.conditions
            ],
        ),
        (
            Statement,
            [
                _fact_columns(s)
                | {
                    "speaker": s.speaker,
                    "speaker_title": s.speaker_title,
                    "speaker_nation_code": s.speaker_nation,
                    "mode": s.mode,
                    "text": s.text,
                    "event_id": s.event,
                }
                for s in data.statements
            ],
        ),
        (
            Evidence,
            [
                {
                    "id": f"{e.fact_id}/{e.position}",
                    "fact_id": e.fact_id,
                    "position": e.position,
                    "source_id": e.source_id,
                    "quote": e.quote,
                    "start": e.start,
                    "end": e.end,
                    "line": e.line,
                    "outlet_id": e.outlet_id,
                    "certainty": e.certainty,
                    "hedge": e.hedge,
                }
                for e in data.evidence
            ],
        ),
    ]


def _primary_key(obj: Base) -> Any:
    return obj.code if isinstance(obj, Nation) else obj.id  # type: ignore[attr-defined]


def _sync(
    session: Session, model: type[Base], rows: Iterable[Mapping[str, Any]]
) -> tuple[TableChanges, list[Base]]:
    """Insert and update ``rows``; return what changed and the existing rows no file wants."""
    changes = TableChanges()
    existing = {_primary_key(obj): obj for obj in session.scalars(select(model))}
    for row in rows:
        key = row["code"] if model is Nation else row["id"]
        obj = existing.pop(key, None)
        if obj is None:
            session.add(model(**row))
            changes.inserted += 1
            continue
        differing = {k: v for k, v in row.items() if getattr(obj, k) != v}
        for name, value in differing.items():
            setattr(obj, name, value)
        if differing:
            changes.updated += 1
        else:
            changes.unchanged += 1
    session.flush()
    return changes, list(existing.values())


def _sync_gates(session: Session, data: Dataset) -> TableChanges:
    changes = TableChanges()
    commitments = {c.id: c for c in session.scalars(select(Commitment))}
    for spec in data.conditions:
        condition = session.get_one(Condition, spec.id)
        wanted = sorted(set(spec.gates))
        have = sorted(c.id for c in condition.gates)
        removed, added = set(have) - set(wanted), set(wanted) - set(have)
        changes.deleted += len(removed)
        changes.inserted += len(added)
        changes.unchanged += len(set(have) & set(wanted))
        if removed or added:
            condition.gates = [commitments[i] for i in wanted]
    session.flush()
    return changes


def apply_dataset(session: Session, data: Dataset) -> SeedReport:
    """Make the database hold exactly the dataset's rows. The caller owns the transaction."""
    report = SeedReport()
    stale: list[tuple[type[Base], list[Base]]] = []
    for model, rows in desired_rows(data):
        changes, leftovers = _sync(session, model, rows)
        report.tables[model.__tablename__] = changes
        stale.append((model, leftovers))
    report.tables["condition_gates"] = _sync_gates(session, data)
    # Delete in reverse dependency order: evidence first, nations last.
    for model, leftovers in reversed(stale):
        for obj in leftovers:
            session.delete(obj)
        report.tables[model.__tablename__].deleted += len(leftovers)
        session.flush()
    return report


def seed(session: Session, data: Dataset) -> SeedReport:
    """Apply the dataset in one transaction: everything or nothing."""
    with session.begin():
        return apply_dataset(session, data)
