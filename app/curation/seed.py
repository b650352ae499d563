"""The seed: the curated files written through the same path as every other write
(app.curation.write), in one transaction.

Re-running it on unchanged files writes nothing; editing one fact updates exactly its rows (and
leaves one audit entry); a fact removed from the files is retracted, never deleted. Everything is
verified before the first write, and any failure rolls the whole load back."""

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.curation.audit import Actor, utcnow
from app.curation.write import (
    OUTCOME_COLUMN,
    Tally,
    retract_fact,
    text_sha256,
    upsert_row,
    write_facts,
)
from app.facts.files import Dataset
from app.facts.verify import References
from app.store.models import Fact, Outlet, Source
from app.vocab import Origin

SEED = Actor("seed", Origin.seed)
REMOVED = "removed from the seed files"


@dataclass
class TableChanges:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    retracted: int = 0


@dataclass
class SeedReport:
    tables: dict[str, TableChanges] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(t.inserted + t.updated + t.deleted + t.retracted for t in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: asdict(changes) for name, changes in self.tables.items()}


TABLES = (
    "nations", "sources", "outlets", "events", "memberships", "commitments", "conditions",
    "statements", "evidence", "condition_gates",
)  # fmt: skip


def apply_dataset(session: Session, data: Dataset, actor: Actor = SEED) -> SeedReport:
    """Make the database hold the dataset's facts. The caller owns the transaction."""
    tally = Tally()
    at = utcnow()
    for s in data.sources:
        values = {
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
            "text_sha256": text_sha256(s.text),
            "origin": Origin.seed,
        }
        outcome = upsert_row(
            session, Source, "source", s.spec.id, values, actor, at,
            immutable=("text", "text_sha256"), on_create={"created_at": at},
        )  # fmt: skip
        tally.add("sources", OUTCOME_COLUMN[outcome])
    for o in data.outlets:
        outcome = upsert_row(session, Outlet, "outlet", o.id, o.model_dump(), actor, at)
        tally.add("outlets", OUTCOME_COLUMN[outcome])
    # The files were verified as a whole when loaded; check them against themselves again
    # (not against other stored facts, which the seed may be about to retract).
    refs = References(
        sources={s.spec.id: s.ref() for s in data.sources},
        outlets={o.id: o.name for o in data.outlets},
        groups=data.groups,
        membership_of={},
        events=set(),
        commitments=set(),
    )
    facts = data.facts()
    write_facts(session, facts, data.reference, data.groups, actor, tally, refs=refs)
    wanted = {f.id for f in facts}
    stale = session.scalars(
        select(Fact).where(
            Fact.origin == Origin.seed, Fact.retracted_at.is_(None), Fact.id.not_in(wanted)
        )
    ).all()
    for fact in stale:
        retract_fact(session, fact, actor, utcnow(), REMOVED)
        tally.add(f"{fact.kind}s", "retracted")
    report = SeedReport()
    for table in TABLES:
        report.tables[table] = TableChanges(**tally.counts.get(table, {}))
    return report


def seed(session: Session, data: Dataset) -> SeedReport:
    """Apply the dataset in one transaction: everything or nothing."""
    with session.begin():
        return apply_dataset(session, data)
