"""The seed writes a verified Dataset in one transaction, touching only the rows that differ.

Every test runs on its own empty database of the backend under test (`scratch_url`), migrated
to head, and seeds it from a private copy of data/ (`data_copy`) through the loader's API:
load_dataset, then seed. What the database holds is checked by dumping every table."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from app.curation.seed import SeedReport, seed
from app.facts.files import Dataset, load_dataset
from app.facts.reading import FactsError
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from tests.curation import Dump, keyed_rows

FACT_TABLES = ("events", "memberships", "commitments", "conditions", "statements")


# --- helpers ---------------------------------------------------------------------------------


def dump(engine: Engine) -> Dump:
    """Every row of every table (alembic_version included), keyed by primary key. Not the
    data revision, a counter every write bumps (tests/test_response_cache.py checks it)."""
    return keyed_rows(engine, skip=("data_revision",))


def diff(before: Dump, after: Dump) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Per table, the keys of rows added, removed and changed (tables without change left out)."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        entry = {
            "added": sorted(set(new) - set(old)),
            "removed": sorted(set(old) - set(new)),
            "changed": sorted(k for k in set(old) & set(new) if old[k] != new[k]),
        }
        if any(entry.values()):
            changes[name] = entry
    return changes


def read_facts(data_dir: Path, name: str) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = yaml.safe_load(
        (data_dir / "facts" / f"{name}.yaml").read_text(encoding="utf-8")
    )
    return facts


def write_facts(data_dir: Path, name: str, items: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1_000_000)
    (data_dir / "facts" / f"{name}.yaml").write_text(text, encoding="utf-8")


def run_seed(engine: Engine, data: Dataset) -> SeedReport:
    with make_sessionmaker(engine)() as session:
        return seed(session, data)


def expected_counts(data: Dataset) -> dict[str, int]:
    counts = data.counts()
    counts["condition_gates"] = sum(len(set(c.gates)) for c in data.conditions)
    return counts


def assert_only(report: SeedReport, **changed: dict[str, int]) -> None:
    """The report shows exactly the given changes; every other table is unchanged."""
    for table, changes in report.tables.items():
        want = {"inserted": 0, "updated": 0, "deleted": 0, "retracted": 0} | changed.get(table, {})
        got = {k: getattr(changes, k) for k in ("inserted", "updated", "deleted", "retracted")}
        assert got == want, (table, report.as_dict())
    assert set(changed) <= set(report.tables)


@pytest.fixture
def engine(scratch_url: str) -> Iterator[Engine]:
    """The scratch database, migrated to head (overrides the shared `engine` fixture)."""
    migrations.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(engine: Engine, data_copy: Path) -> Dataset:
    data = load_dataset(data_copy)
    run_seed(engine, data)
    return data


# --- first and second seed -------------------------------------------------------------------


def test_first_seed_inserts_everything(engine: Engine, data_copy: Path) -> None:
    data = load_dataset(data_copy)
    assert not any(rows for name, rows in dump(engine).items() if name != "alembic_version")

    report = run_seed(engine, data)

    counts = expected_counts(data)
    assert set(report.tables) == set(counts)
    for table, n in counts.items():
        assert dataclasses.asdict(report.tables[table]) == {
            "inserted": n,
            "updated": 0,
            "deleted": 0,
            "unchanged": 0,
            "retracted": 0,
        }, table
    assert report.changed == sum(counts.values())

    rows = dump(engine)
    for table, n in counts.items():
        assert len(rows[table]) == n, table
    assert len(rows["facts"]) == len(data.facts())
    assert set(rows["evidence"]) == {(f"{e.fact_id}/{e.position}",) for e in data.evidence}
    for e in data.evidence:
        row = rows["evidence"][(f"{e.fact_id}/{e.position}",)]
        assert (row["quote"], row["start"], row["end"], row["line"]) == (
            e.quote,
            e.start,
            e.end,
            e.line,
        )
    assert {k[0] for k in rows["nations"]} == {m.nation for m in data.memberships}
    gates = {(c.id, g) for c in data.conditions for g in c.gates}
    assert set(rows["condition_gates"]) == gates


def test_second_seed_changes_nothing(engine: Engine, seeded: Dataset, data_copy: Path) -> None:
    before = dump(engine)
    report = run_seed(engine, load_dataset(data_copy))
    assert report.changed == 0, report.as_dict()
    for table, n in expected_counts(seeded).items():
        assert report.tables[table].unchanged == n, table
    assert dump(engine) == before


# --- edits -----------------------------------------------------------------------------------


def test_editing_one_summary_updates_exactly_one_row(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    before = dump(engine)
    commitments = read_facts(data_copy, "commitments")
    target = commitments[len(commitments) // 2]
    new_summary = f"{target['summary'].rstrip('.')} (summary edited by a test)."
    target["summary"] = new_summary
    write_facts(data_copy, "commitments", commitments)

    report = run_seed(engine, load_dataset(data_copy))

    assert report.changed == 1, report.as_dict()
    assert_only(report, commitments={"updated": 1})
    after = dump(engine)
    changes = diff(before, after)
    assert changes.pop("facts") == {"added": [], "removed": [], "changed": [(target["id"],)]}
    assert changes == {
        "changes": {"added": changes["changes"]["added"], "removed": [], "changed": []}
    }
    assert len(changes["changes"]["added"]) == 1  # one audit entry for the one edit
    row = after["facts"][(target["id"],)]
    assert row["summary"] == new_summary
    assert row["version"] == before["facts"][(target["id"],)]["version"] + 1
    # Seeding the edited files again changes nothing more.
    assert run_seed(engine, load_dataset(data_copy)).changed == 0


def test_editing_one_quote_updates_exactly_its_evidence_row(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    texts = {s.spec.id: s.text for s in seeded.sources}
    located = {(e.fact_id, e.position): e for e in seeded.evidence}
    commitments = read_facts(data_copy, "commitments")
    # A quote that, one character shorter at the front, is still unique in its source.
    fact, position, ev = next(
        (c, i, ev)
        for c in commitments
        for i, ev in enumerate(c["evidence"], start=1)
        if "occurrence" not in ev and texts[ev["source"]].count(ev["quote"][1:]) == 1
    )
    old = located[(fact["id"], position)]
    ev["quote"] = ev["quote"][1:]
    write_facts(data_copy, "commitments", commitments)
    before = dump(engine)

    report = run_seed(engine, load_dataset(data_copy))

    assert_only(report, commitments={"updated": 1}, evidence={"updated": 1})
    after = dump(engine)
    key = (f"{fact['id']}/{position}",)
    changes = diff(before, after)
    assert changes["evidence"] == {"added": [], "removed": [], "changed": [key]}
    # The fact's version moves (its ETag changes) and the audit log gains one entry.
    assert changes["facts"]["changed"] == [(fact["id"],)]
    assert len(changes["changes"]["added"]) == 1
    assert set(changes) == {"evidence", "facts", "changes"}
    row = after["evidence"][key]
    assert row["quote"] == old.quote[1:]
    assert (row["start"], row["end"]) == (old.start + 1, old.end)


def test_removing_a_fact_retracts_it_and_keeps_its_evidence(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    gated = {g for c in seeded.conditions for g in c.gates}
    commitments = read_facts(data_copy, "commitments")
    target = next(c for c in commitments if c["id"] not in gated)
    commitments.remove(target)
    write_facts(data_copy, "commitments", commitments)
    before = dump(engine)

    report = run_seed(engine, load_dataset(data_copy))

    assert_only(report, commitments={"retracted": 1})
    after = dump(engine)
    changes = diff(before, after)
    assert changes.pop("facts") == {"added": [], "removed": [], "changed": [(target["id"],)]}
    assert list(changes) == ["changes"] and len(changes["changes"]["added"]) == 1
    row = after["facts"][(target["id"],)]
    assert row["retracted_at"] is not None
    assert row["retraction_reason"] == "removed from the seed files"
    # Its evidence stays, and putting the fact back restores it.
    assert all(key in after["evidence"] for key in before["evidence"])
    commitments.append(target)
    write_facts(data_copy, "commitments", commitments)
    restored = run_seed(engine, load_dataset(data_copy))
    assert_only(restored, commitments={"updated": 1})
    assert dump(engine)["facts"][(target["id"],)]["retracted_at"] is None


def test_removing_a_gate_deletes_only_that_link(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    conditions = read_facts(data_copy, "conditions")
    target = next(c for c in conditions if len(c["gates"]) > 1)
    dropped = target["gates"].pop()
    write_facts(data_copy, "conditions", conditions)
    before = dump(engine)

    report = run_seed(engine, load_dataset(data_copy))

    assert_only(report, conditions={"updated": 1}, condition_gates={"deleted": 1})
    changes = diff(before, dump(engine))
    assert changes["condition_gates"] == {
        "added": [],
        "removed": [(target["id"], dropped)],
        "changed": [],
    }
    assert changes["facts"]["changed"] == [(target["id"],)]
    assert set(changes) == {"condition_gates", "facts", "changes"}


# --- nothing or everything -------------------------------------------------------------------


def test_unverifiable_quote_refuses_to_load_and_leaves_the_database_as_it_was(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    before = dump(engine)
    commitments = read_facts(data_copy, "commitments")
    commitments[0]["summary"] = "A valid edit that must not be written either."
    commitments[-1]["evidence"][0]["quote"] = "a quote the articles never printed"
    write_facts(data_copy, "commitments", commitments)

    with pytest.raises(FactsError) as caught, make_sessionmaker(engine)() as session:
        seed(session, load_dataset(data_copy))
    assert any(commitments[-1]["id"] in p for p in caught.value.problems)
    assert dump(engine) == before


class WriteCounter:
    """Counts the INSERT/UPDATE/DELETE statements sent to the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writes: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"}:
            self.writes.append(statement)

    def __enter__(self) -> "WriteCounter":
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


class FailingStatement:
    """Breaks one late INSERT of a seed (the first into ``table`` whose parameters mention
    ``marker``), as a dropped connection or a full disk would: the database has by then
    received earlier writes of the same transaction. Raised from the cursor, it reaches the
    seed as a DBAPI error."""

    def __init__(self, engine: Engine, table: str, marker: str) -> None:
        self.engine, self.prefix, self.marker = engine, f"INSERT INTO {table.upper()}", marker

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith(self.prefix) and self.marker in str(params):
            raise IntegrityError(statement, params, RuntimeError("injected failure"))

    def __enter__(self) -> "FailingStatement":
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def test_database_error_mid_write_on_an_empty_database_writes_nothing(
    engine: Engine, data_copy: Path
) -> None:
    before = dump(engine)
    data = load_dataset(data_copy)

    # Statements are written last; their evidence rows come after every other table's rows.
    last = sorted(data.statements, key=lambda f: f.id)[-1].id
    with (
        WriteCounter(engine) as counter,
        FailingStatement(engine, "evidence", last),
        pytest.raises(IntegrityError),
    ):
        run_seed(engine, data)

    # Rows of earlier tables were sent before the database refused the evidence row...
    assert any("nations" in s for s in counter.writes)
    assert any("evidence" in s for s in counter.writes)
    # ...and none of them remains.
    assert dump(engine) == before
    assert not any(rows for name, rows in before.items() if name != "alembic_version")
    # The database is still usable: the valid dataset seeds completely afterwards.
    report = run_seed(engine, load_dataset(data_copy))
    assert report.tables["evidence"].inserted == len(data.evidence)


def test_database_error_mid_write_rolls_back_updates_and_deletes(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    before = dump(engine)
    gated = {g for c in seeded.conditions for g in c.gates}
    commitments = read_facts(data_copy, "commitments")
    commitments[0]["summary"] = "An edit written before the failure, then rolled back."
    removed = next(c for c in commitments if c["id"] not in gated)
    commitments.remove(removed)
    write_facts(data_copy, "commitments", commitments)
    data = load_dataset(data_copy)

    # The audit entry of the retraction is the seed's last write: fail there, after the
    # update and the retraction itself have reached the database.
    with (
        WriteCounter(engine) as counter,
        FailingStatement(engine, "changes", "removed from the seed files"),
        pytest.raises(IntegrityError),
    ):
        run_seed(engine, data)

    assert any(s.lstrip().upper().startswith("UPDATE") for s in counter.writes)
    assert dump(engine) == before
    # And the same edits, without the failure, go through.
    report = run_seed(engine, load_dataset(data_copy))
    assert report.tables["commitments"].updated == 1
    assert report.tables["commitments"].retracted == 1


def test_reseeding_after_a_database_wipe_restores_the_same_rows(
    engine: Engine, seeded: Dataset, data_copy: Path, scratch_url: str
) -> None:
    before = dump(engine)
    engine.dispose()
    migrations.downgrade(scratch_url, "base")
    migrations.upgrade(scratch_url)
    report = run_seed(engine, load_dataset(data_copy))
    assert report.changed == sum(expected_counts(seeded).values())
    assert stable(dump(engine)) == stable(before)


def stable(rows: Dump) -> Dump:
    """A dump without what differs between two identical seeds: audit ids, timestamps."""
    volatile = {"created_at", "updated_at", "at"}
    return {
        name: {k: {c: v for c, v in row.items() if c not in volatile} for k, row in table.items()}
        for name, table in rows.items()
        if name != "changes"
    }
