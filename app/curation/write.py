"""Every write goes through here — the seed, `pledgedb import` and the API alike: the same
verification, one audit entry per changed entity (its full state before and after), and
retraction instead of deletion for facts."""

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.curation.audit import Actor, fact_snapshot, record_change, row_snapshot, utcnow
from app.facts.reading import FactsError
from app.facts.reference import GroupIn, NationRef, NationsReference, nation_ref
from app.facts.verify import LocatedEvidence, References, SourceRef, verify_facts
from app.schemas.bodies import FactIn
from app.schemas.commitments import CommitmentIn
from app.schemas.conditions import ConditionIn
from app.schemas.events import EventIn
from app.schemas.memberships import MembershipIn
from app.schemas.statements import StatementIn
from app.store.models import (
    Base,
    Commitment,
    Condition,
    Event,
    Evidence,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
)

Outcome = Literal["created", "updated", "unchanged", "retracted"]


# --- reference rows: nations, sources, outlets ------------------------------------------------


def upsert_row(
    session: Session,
    model: type[Base],
    entity: str,
    key: str,
    values: dict[str, Any],
    actor: Actor,
    at: dt.datetime,
    immutable: Iterable[str] = (),
    on_create: dict[str, Any] | None = None,
) -> Outcome:
    obj = session.get(model, key)
    if obj is None:
        obj = model(**values, **(on_create or {}))
        session.add(obj)
        session.flush()
        record_change(session, actor, at, "create", entity, key, None, row_snapshot(obj))
        return "created"
    differing = {k: v for k, v in values.items() if getattr(obj, k) != v}
    frozen = sorted(set(differing) & set(immutable))
    if frozen:
        raise FactsError([f"{entity} {key!r}: {', '.join(frozen)} cannot change once stored"])
    if not differing:
        return "unchanged"
    before = row_snapshot(obj)
    for name, value in differing.items():
        setattr(obj, name, value)
    session.flush()
    record_change(session, actor, at, "update", entity, key, before, row_snapshot(obj))
    return "updated"


def ensure_nation(
    session: Session, code: str, reference: NationsReference, actor: Actor, at: dt.datetime
) -> Outcome:
    ref: NationRef = nation_ref(code, reference)
    return upsert_row(session, Nation, "nation", code, vars(ref).copy(), actor, at)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- facts ------------------------------------------------------------------------------------

FACT_CLASSES: dict[type[FactIn], type[Fact]] = {
    EventIn: Event,
    MembershipIn: Membership,
    CommitmentIn: Commitment,
    ConditionIn: Condition,
    StatementIn: Statement,
}


# How each kind's file/API fields map onto its columns (field name -> column attribute).
# `group` (a group id in the files, its name in the database) and the lists — evidence,
# gates, participants — are handled apart.
COLUMN_OF: dict[type[FactIn], dict[str, str]] = {
    EventIn: {
        "kind": "event_kind",
        "name": "name",
        "date": "date",
        "place": "place",
        "pledging_nation_count": "pledging_nation_count",
    },
    MembershipIn: {"nation": "nation_code", "status": "status", "part": "part", "basis": "basis"},
    CommitmentIn: {
        "actor": "actor",
        "nation": "nation_code",
        "coalition_scope": "coalition_scope",
        "role": "role",
        "status": "status",
        "location": "location",
        "combat": "combat",
        "exclusive": "exclusive",
    },
    ConditionIn: {"kind": "condition_kind", "nature": "nature", "nation": "nation_code"},
    StatementIn: {
        "speaker": "speaker",
        "speaker_title": "speaker_title",
        "speaker_nation": "speaker_nation_code",
        "mode": "mode",
        "text": "text",
        "topic": "topic",
        "event": "event_id",
    },
}
HAS_GROUP = (MembershipIn, CommitmentIn)


def fact_columns(spec: FactIn, groups: dict[str, GroupIn]) -> dict[str, Any]:
    """The fact's own columns (not evidence, gates or bookkeeping) from its file/API form."""
    columns: dict[str, Any] = {"summary": spec.summary}
    columns |= {column: getattr(spec, name) for name, column in COLUMN_OF[type(spec)].items()}
    if isinstance(spec, HAS_GROUP):
        columns["group_name"] = groups[spec.group].name if spec.group else None
    if isinstance(spec, EventIn):
        columns["participants"] = [p.model_dump() for p in spec.participants]
    return columns


def fields_of(fact: Fact, groups: dict[str, GroupIn]) -> dict[str, Any]:
    """A stored fact in its file/API form: the inverse of fact_columns (used to apply a PATCH
    to the fact as it stands)."""
    spec_type = next(spec for spec, model in FACT_CLASSES.items() if isinstance(fact, model))
    evidence = []
    for e in fact.evidence:
        item: dict[str, Any] = {
            "source": e.source_id,
            "quote": e.quote,
            "outlet": e.outlet_id,
            "certainty": e.certainty,
            "hedge": e.hedge.split(", ") if e.hedge else None,
        }
        if e.source.text.count(e.quote) > 1:
            item["occurrence"] = e.source.text.count(e.quote, 0, e.start) + 1
        evidence.append(item)
    fields: dict[str, Any] = {"summary": fact.summary, "evidence": evidence}
    fields |= {name: getattr(fact, column) for name, column in COLUMN_OF[spec_type].items()}
    if issubclass(spec_type, HAS_GROUP):
        group_id = {g.name: g.id for g in groups.values()}
        fields["group"] = group_id.get(getattr(fact, "group_name", None) or "")
    if isinstance(fact, Event):
        fields["participants"] = fact.participants
    if isinstance(fact, Condition):
        fields["gates"] = sorted(c.id for c in fact.gates)
    return fields


def _evidence_columns(e: LocatedEvidence) -> dict[str, Any]:
    return {
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


@dataclass
class Tally:
    """Rows written by one batch, per table, for the seed and import reports."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, table: str, outcome: str, n: int = 1) -> None:
        row = self.counts.setdefault(
            table, {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 0, "retracted": 0}
        )
        row[outcome] += n

    @property
    def changed(self) -> int:
        return sum(
            c["inserted"] + c["updated"] + c["deleted"] + c["retracted"]
            for c in self.counts.values()
        )


OUTCOME_COLUMN = {"created": "inserted", "updated": "updated", "unchanged": "unchanged"}


def _sync_evidence(session: Session, fact: Fact, rows: list[dict[str, Any]], tally: Tally) -> bool:
    existing = {e.id: e for e in fact.evidence}
    changed = False
    wanted_ids = {r["id"] for r in rows}
    for row in rows:
        obj = existing.get(row["id"])
        if obj is None:
            fact.evidence.append(Evidence(**row))
            tally.add("evidence", "inserted")
            changed = True
            continue
        differing = {k: v for k, v in row.items() if getattr(obj, k) != v}
        for key, value in differing.items():
            setattr(obj, key, value)
        tally.add("evidence", "updated" if differing else "unchanged")
        changed = changed or bool(differing)
    for evidence_id, obj in existing.items():
        if evidence_id not in wanted_ids:
            fact.evidence.remove(obj)
            tally.add("evidence", "deleted")
            changed = True
    return changed


def _sync_gates(session: Session, condition: Condition, gates: list[str], tally: Tally) -> bool:
    wanted, have = set(gates), {c.id for c in condition.gates}
    tally.add("condition_gates", "unchanged", len(wanted & have))
    tally.add("condition_gates", "inserted", len(wanted - have))
    tally.add("condition_gates", "deleted", len(have - wanted))
    if wanted == have:
        return False
    condition.gates = list(
        session.scalars(select(Commitment).where(Commitment.id.in_(wanted)).order_by(Commitment.id))
    )
    return True


def upsert_fact(
    session: Session,
    spec: FactIn,
    evidence: Sequence[LocatedEvidence],
    groups: dict[str, GroupIn],
    actor: Actor,
    at: dt.datetime,
    tally: Tally,
    reason: str | None = None,
) -> Outcome:
    """Create the fact, or bring it to ``spec``; a retracted fact that is written again is
    restored. Writes an audit entry only when something changed."""
    model = FACT_CLASSES[type(spec)]
    table = model.__tablename__
    columns = fact_columns(spec, groups)
    rows = [_evidence_columns(e) for e in evidence]
    fact = session.get(Fact, spec.id)
    if fact is not None and not isinstance(fact, model):
        raise FactsError(
            [f"fact {spec.id!r} is a {fact.kind}, not a {model.__name__.lower()}: ids are unique"]
        )
    if fact is None:
        fact = model(
            id=spec.id, origin=actor.origin, version=1, created_at=at, updated_at=at, **columns
        )
        session.add(fact)
        session.flush()
        before = None
    else:
        before = fact_snapshot(fact)
    changed = before is None
    for name, value in columns.items():
        if getattr(fact, name) != value:
            setattr(fact, name, value)
            changed = True
    if fact.retracted_at is not None:
        fact.retracted_at, fact.retraction_reason = None, None
        changed = True
    changed = _sync_evidence(session, fact, rows, tally) or changed
    if isinstance(spec, ConditionIn) and isinstance(fact, Condition):
        changed = _sync_gates(session, fact, spec.gates, tally) or changed
    if not changed:
        tally.add(table, "unchanged")
        return "unchanged"
    if before is not None:
        fact.updated_at = at  # also bumps the version, even when only evidence changed
    session.flush()
    outcome: Outcome = "created" if before is None else "updated"
    tally.add(table, OUTCOME_COLUMN[outcome])
    action = "create" if before is None else "update"
    record_change(session, actor, at, action, "fact", spec.id, before, fact_snapshot(fact), reason)
    return outcome


def retract_fact(
    session: Session, fact: Fact, actor: Actor, at: dt.datetime, reason: str
) -> Outcome:
    """Mark a fact retracted, keeping it and its evidence; retracting twice changes nothing."""
    if fact.retracted_at is not None:
        return "unchanged"
    before = fact_snapshot(fact)
    fact.retracted_at, fact.retraction_reason, fact.updated_at = at, reason, at
    session.flush()
    record_change(
        session, actor, at, "retract", "fact", fact.id, before, fact_snapshot(fact), reason
    )
    return "retracted"


def database_references(session: Session, groups: dict[str, GroupIn]) -> References:
    """What facts written now may refer to: everything stored and not retracted."""
    memberships = session.execute(
        select(Membership.nation_code, Membership.id, Membership.retracted_at)
    ).tuples()
    live: dict[str, str] = {}
    retracted: dict[str, str] = {}
    for nation, membership_id, retracted_at in memberships:
        (live if retracted_at is None else retracted)[nation] = membership_id
    return References(
        sources={
            sid: SourceRef(sid, text, first or 1, publisher)
            for sid, text, first, publisher in session.execute(
                select(Source.id, Source.text, Source.first_line, Source.publisher)
            ).tuples()
        },
        outlets=dict(session.execute(select(Outlet.id, Outlet.name)).tuples().all()),
        groups=groups,
        membership_of=live,
        retracted_membership_of=retracted,
        # Retracted events and commitments stay referable: a correction must not fail (or
        # silently drop the link) because a fact it points at was withdrawn.
        events=set(session.scalars(select(Event.id))),
        commitments=set(session.scalars(select(Commitment.id))),
    )


def write_facts(
    session: Session,
    facts: list[FactIn],
    reference: NationsReference,
    groups: dict[str, GroupIn],
    actor: Actor,
    tally: Tally,
    reason: str | None = None,
    refs: References | None = None,
    progress: Any = None,
) -> dict[str, Outcome]:
    """Verify a batch against the database (plus itself), then write it. Raises FactsError
    before writing anything when any fact fails; the caller owns the transaction."""
    evidence = verify_facts(facts, refs or database_references(session, groups))
    by_fact: dict[str, list[LocatedEvidence]] = {}
    for e in evidence:
        by_fact.setdefault(e.fact_id, []).append(e)
    at = utcnow()
    for code in sorted({f.nation for f in facts if isinstance(f, MembershipIn)}):
        tally.add("nations", OUTCOME_COLUMN[ensure_nation(session, code, reference, actor, at)])
    # Conditions gate commitments, statements point at events: write those first.
    order: dict[type[FactIn], int] = {kind: i for i, kind in enumerate(FACT_CLASSES)}
    outcomes: dict[str, Outcome] = {}
    for spec in sorted(facts, key=lambda f: order[type(f)]):
        outcomes[spec.id] = upsert_fact(
            session, spec, by_fact.get(spec.id, []), groups, actor, at, tally, reason
        )
        if progress is not None:
            progress(1)
    return outcomes
