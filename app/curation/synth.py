"""`pledgedb synth`: a synthetic database FACTOR times the size of the seed, to measure the API
at scale.

It is shaped like the seed: each of FACTOR copies clones every seed event, commitment, condition
and statement (kind, role, status, location, certainty, number of quotes, gates and links) onto
its own synthetic sources, outlets and people, with the seed's nations rotated through every ISO
country the reference data places in a region. Memberships are one per nation, so they do not
scale with the factor. Every quote is a sentence of its synthetic source, at the offsets stored.

Everything is marked: facts and sources have origin ``synthetic``, ids start with ``syn-``,
summaries with "Synthetic", urls lie under https://synthetic.invalid/ and every source text says
what it is. It writes only into a database that holds no rows, so synthetic and real data never
mix.

Rows are inserted in bulk, not through the write core, and then audited in the same transaction
(app.curation.audit.record_everything_as_created: the snapshots the write core records, one
"create" entry per entity, by the actor "synth"), so `/changes` lists the synthetic data and
`as_of` rebuilds it as it does written data."""

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import Any

import pycountry
from sqlalchemy import Engine, Table, insert, inspect, literal, select, table
from sqlalchemy.orm import Session

from app.curation.audit import Actor, record_everything_as_created, utcnow
from app.curation.synth_text import FIRST_NAMES, LAST_NAMES, WORDS, SyntheticText
from app.curation.write import text_sha256
from app.facts.files import Dataset
from app.facts.reference import NationRef, nation_ref
from app.schemas.bodies import FactIn
from app.store import migrations
from app.store.engine import make_engine, refresh_statistics
from app.store.models import Base
from app.store.revisions import make_sessionmaker
from app.vocab import Basis, FactKind, Origin, StatementMode

PREFIX = "syn"
SITE = "https://synthetic.invalid"
# Tables the migrations fill themselves: rows there do not make a database "not empty".
BOOKKEEPING = frozenset({"alembic_version", "data_revision"})
# Insertion order: every foreign key points at a table earlier in the list.
TABLE_ORDER = (
    "nations", "sources", "outlets", "facts", "events", "memberships", "commitments",
    "conditions", "statements", "condition_gates", "evidence",
)  # fmt: skip
SYNTH = Actor("synth", Origin.synthetic)
# Rows are inserted in batches of copies, so memory stays flat whatever the factor.
EVIDENCE_PER_BATCH = 20_000


class SynthError(Exception):
    """The database cannot take synthetic data (it is not empty)."""


def tables_with_rows(engine: Engine) -> list[str]:
    """The tables of the database (migrated or not) that hold at least one row."""
    names = sorted(set(inspect(engine).get_table_names()) - BOOKKEEPING)
    with engine.connect() as conn:
        return [
            name
            for name in names
            if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
        ]


@dataclass
class _Batch:
    """Rows waiting to be inserted, by table."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLE_ORDER}
    )

    def add(self, name: str, row: dict[str, Any]) -> None:
        self.rows[name].append(row)

    def flush(self, session: Session, counts: dict[str, int]) -> None:
        tables: dict[str, Table] = dict(Base.metadata.tables)
        for name, rows in self.rows.items():
            if rows:
                session.execute(insert(tables[name]), rows)
                counts[name] = counts.get(name, 0) + len(rows)
                rows.clear()


@dataclass
class _Copy:
    """One copy of the seed: its number, its sources' texts as they grow, its outlets and its
    stand-ins for the seed's people."""

    k: int
    texts: dict[str, SyntheticText]
    outlets: dict[str, str]  # seed outlet id -> synthetic outlet id
    people: dict[str, str]  # seed person -> synthetic name


class _Synthesizer:
    def __init__(self, data: Dataset, factor: int, seed: int, at: dt.datetime) -> None:
        self.data = data
        self.factor = factor
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, no secrets
        self.at = at
        self.evidence = {(e.fact_id, e.position): e for e in data.evidence}
        self.seed_nations = sorted({n.code for n in data.nations})
        # Every ISO country the reference data gives a region (the app needs one).
        regional = {code for codes in data.reference.regions.members.values() for code in codes}
        self.nations: list[NationRef] = [
            nation_ref(country.alpha_2, data.reference)
            for country in sorted(pycountry.countries, key=lambda c: str(c.alpha_2))
            if country.alpha_2 in regional
        ]
        people = {s.speaker for s in data.statements}
        people |= {p.name for e in data.events for p in e.participants}
        # Generic speakers ("leaders") stay as they are; named people get synthetic names.
        self.seed_people = sorted(p for p in people if p[:1].isupper())

    def copy_id(self, k: int, seed_id: str) -> str:
        return f"{PREFIX}-{k:05d}-{seed_id}"

    def nation_of(self, k: int, code: str | None) -> str | None:
        """Copy k's stand-in for a seed nation: the seed's nations rotated through all nations
        (distinct within a copy, spread evenly over the copies)."""
        if code is None:
            return None
        index = self.seed_nations.index(code) + k * len(self.seed_nations)
        return self.nations[index % len(self.nations)].code

    def words(self, low: int = 8, high: int = 18) -> list[str]:
        return [self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high))]

    def fact_row(self, fact_id: str, kind: FactKind, summary: str) -> dict[str, Any]:
        return {
            "id": fact_id, "kind": kind, "summary": f"Synthetic fact: {summary}",
            "origin": Origin.synthetic, "version": 1, "created_at": self.at,
            "updated_at": self.at, "retracted_at": None, "retraction_reason": None,
        }  # fmt: skip

    def quote(
        self,
        batch: _Batch,
        copy: _Copy,
        fact_id: str,
        seed_fact: FactIn,
        position: int,
        words: list[str] | None = None,
    ) -> None:
        """Write evidence item ``position`` of the fact as a new sentence of its source, with
        the seed item's certainty, outlet and hedge words."""
        seed_ev = self.evidence[(seed_fact.id, position)]
        words = list(words or self.words())
        for hedge in seed_ev.hedge.split(", ") if seed_ev.hedge else []:
            words.insert(self.rng.randrange(len(words) + 1), hedge)
        text = copy.texts[seed_ev.source_id]
        sentence = f"Synthetic claim {text.sentences + 1}: {' '.join(words)}."
        start, end, line = text.add(sentence, self.rng)
        outlet = copy.outlets[seed_ev.outlet_id] if seed_ev.outlet_id else None
        batch.add(
            "evidence",
            {
                "id": f"{fact_id}/{position}", "fact_id": fact_id, "position": position,
                "source_id": self.copy_id(copy.k, seed_ev.source_id), "quote": sentence,
                "start": start, "end": end, "line": line, "outlet_id": outlet,
                "certainty": seed_ev.certainty, "hedge": seed_ev.hedge,
            },
        )  # fmt: skip

    def quotes(self, batch: _Batch, copy: _Copy, fact_id: str, seed_fact: FactIn) -> None:
        for position in range(1, len(seed_fact.evidence) + 1):
            self.quote(batch, copy, fact_id, seed_fact, position)

    # --- rows -------------------------------------------------------------------------------

    def write_nations(self, batch: _Batch) -> None:
        for n in self.nations:
            batch.add("nations", vars(n).copy())

    def write_copy(self, k: int, batch: _Batch) -> None:
        data = self.data
        copy = _Copy(
            k,
            texts={
                s.spec.id: SyntheticText.start(
                    f"SYNTHETIC TEXT {self.copy_id(k, s.spec.id)}, generated by `pledgedb "
                    f"synth` (seed {self.seed}) to measure the API at scale. Not reporting: "
                    "no event, person or claim in it is real.\n\n"
                )
                for s in data.sources
            },
            outlets={o.id: self.copy_id(k, f"outlet-{i}") for i, o in enumerate(data.outlets)},
            people={
                name: f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                for name in self.seed_people
            },
        )
        for i, outlet_id in enumerate(copy.outlets.values()):
            batch.add(
                "outlets",
                {
                    "id": outlet_id,
                    "name": f"Synthetic Outlet {k:05d}-{i}",
                    "url": f"{SITE}/outlets/{k:05d}-{i}",
                },
            )
        self.write_events(batch, copy)
        self.write_commitments(batch, copy)
        self.write_conditions(batch, copy)
        self.write_statements(batch, copy)
        self.write_memberships(batch, copy)
        self.write_sources(batch, copy)

    def write_events(self, batch: _Batch, copy: _Copy) -> None:
        for ev in self.data.events:
            event_id = self.copy_id(copy.k, ev.id)
            name = f"Synthetic {ev.kind.value} {copy.k:05d}"
            batch.add("facts", self.fact_row(event_id, FactKind.event, f"{name}."))
            batch.add(
                "events",
                {
                    "id": event_id, "event_kind": ev.kind, "name": name,
                    "date": dt.date(2025, 1, 1) + dt.timedelta(days=self.rng.randrange(730)),
                    "place": f"Synthetic City {self.rng.randrange(1, 500)}",
                    "pledging_nation_count": ev.pledging_nation_count,
                    "participants": [
                        {"name": copy.people.get(p.name, p.name),
                         "nation": self.nation_of(copy.k, p.nation)}
                        for p in ev.participants
                    ],
                },
            )  # fmt: skip
            self.quotes(batch, copy, event_id, ev)

    def write_commitments(self, batch: _Batch, copy: _Copy) -> None:
        for c in self.data.commitments:
            commitment_id = self.copy_id(copy.k, c.id)
            nation = self.nation_of(copy.k, c.nation)
            summary = f"{nation or 'the coalition'}, {c.role.value}, {c.status.value}."
            batch.add("facts", self.fact_row(commitment_id, FactKind.commitment, summary))
            batch.add(
                "commitments",
                {
                    "id": commitment_id, "actor": c.actor, "nation_code": nation,
                    "coalition_scope": c.coalition_scope, "role": c.role, "status": c.status,
                    "location": c.location, "combat": c.combat, "exclusive": c.exclusive,
                    "group_name": self.data.groups[c.group].name if c.group else None,
                },
            )  # fmt: skip
            self.quotes(batch, copy, commitment_id, c)

    def write_conditions(self, batch: _Batch, copy: _Copy) -> None:
        for cond in self.data.conditions:
            condition_id = self.copy_id(copy.k, cond.id)
            summary = f"a {cond.kind.value} {cond.nature.value}."
            batch.add("facts", self.fact_row(condition_id, FactKind.condition, summary))
            batch.add(
                "conditions",
                {
                    "id": condition_id, "condition_kind": cond.kind, "nature": cond.nature,
                    "nation_code": self.nation_of(copy.k, cond.nation),
                },
            )  # fmt: skip
            for gated in cond.gates:
                batch.add(
                    "condition_gates",
                    {"condition_id": condition_id, "commitment_id": self.copy_id(copy.k, gated)},
                )
            self.quotes(batch, copy, condition_id, cond)

    def write_statements(self, batch: _Batch, copy: _Copy) -> None:
        for st in self.data.statements:
            statement_id = self.copy_id(copy.k, st.id)
            speaker = copy.people.get(st.speaker, st.speaker)
            said = " ".join(self.words(6, 12))
            # The words lie inside the first quote, as the verifier demands of real statements.
            if st.mode is StatementMode.direct:
                first = [f"“{said},”", speaker, "said"]
            else:
                first = [speaker, "said", "that", said]
            batch.add(
                "facts",
                self.fact_row(statement_id, FactKind.statement, f"{speaker} on {st.topic}."),
            )
            batch.add(
                "statements",
                {
                    "id": statement_id, "speaker": speaker,
                    "speaker_title": "Synthetic office" if st.speaker_title else None,
                    "speaker_nation_code": self.nation_of(copy.k, st.speaker_nation),
                    "mode": st.mode, "text": said, "topic": st.topic,
                    "event_id": self.copy_id(copy.k, st.event) if st.event else None,
                },
            )  # fmt: skip
            self.quote(batch, copy, statement_id, st, 1, first)
            for position in range(2, len(st.evidence) + 1):
                self.quote(batch, copy, statement_id, st, position)

    def write_memberships(self, batch: _Batch, copy: _Copy) -> None:
        """Nation i's membership, patterned on seed membership i mod 25, is quoted in copy
        i mod FACTOR: one membership per nation, whatever the factor."""
        seed_memberships = self.data.memberships
        for i in range(copy.k, len(self.nations), self.factor):
            code = self.nations[i].code
            pattern = seed_memberships[i % len(seed_memberships)]
            group = next((g for g in self.data.groups.values() if code in g.members), None)
            basis = pattern.basis
            if basis is Basis.inferred_from_group and group is None:
                basis = Basis.named
            membership_id = f"{PREFIX}-membership-{code.lower()}"
            summary = f"{code} is {pattern.status.value}, {pattern.part.value}."
            batch.add("facts", self.fact_row(membership_id, FactKind.membership, summary))
            batch.add(
                "memberships",
                {
                    "id": membership_id, "nation_code": code, "status": pattern.status,
                    "part": pattern.part, "basis": basis,
                    "group_name": group.name
                    if group and basis is Basis.inferred_from_group else None,
                },
            )  # fmt: skip
            self.quotes(batch, copy, membership_id, pattern)

    def write_sources(self, batch: _Batch, copy: _Copy) -> None:
        """The copy's sources, now that every quote is in them. Event participants who never
        speak are named once, so every name the data uses occurs in a source."""
        first = next(iter(copy.texts.values()))
        first.add(f"Synthetic people: {', '.join(sorted(copy.people.values()))}.", self.rng)
        for seed_id, built in copy.texts.items():
            body = built.value()
            batch.add(
                "sources",
                {
                    "id": self.copy_id(copy.k, seed_id),
                    "title": f"Synthetic article {copy.k:05d}/{seed_id}",
                    "publisher": "Synthetic Press", "published": None,
                    "url": f"{SITE}/articles/{copy.k:05d}/{seed_id}",
                    "note": "Synthetic: generated by `pledgedb synth`; not reporting.",
                    "document": None, "document_sha256": None, "first_line": None,
                    "last_line": None, "start_char": None, "end_char": None,
                    "text": body, "text_sha256": text_sha256(body),
                    "origin": Origin.synthetic, "created_at": self.at,
                },
            )  # fmt: skip


@dataclass
class SynthReport:
    counts: dict[str, int]
    seconds: float


def synthesize(database_url: str, data: Dataset, factor: int, seed: int = 0) -> SynthReport:
    """Migrate the empty database at ``database_url`` and fill it with ``factor`` synthetic
    copies of the seed, in one transaction. Raises SynthError, changing nothing, when the
    database holds any rows."""
    if factor < 1:
        raise SynthError(f"factor must be at least 1, not {factor}")
    started = time.perf_counter()
    engine = make_engine(database_url)
    try:
        occupied = tables_with_rows(engine)
        if occupied:
            raise SynthError(
                f"the database is not empty (rows in {', '.join(occupied)}): synthetic data "
                "goes only into an empty database, never next to real data"
            )
        synth = _Synthesizer(data, factor, seed, utcnow())
        migrations.upgrade(database_url)
        batch = _Batch()
        counts: dict[str, int] = {}
        with make_sessionmaker(engine)() as session, session.begin():
            synth.write_nations(batch)
            for k in range(factor):
                synth.write_copy(k, batch)
                if len(batch.rows["evidence"]) >= EVIDENCE_PER_BATCH:
                    batch.flush(session, counts)
            batch.flush(session, counts)
            counts["changes"] = record_everything_as_created(session, SYNTH, synth.at)
        refresh_statistics(engine)
    finally:
        engine.dispose()
    return SynthReport(counts, time.perf_counter() - started)
