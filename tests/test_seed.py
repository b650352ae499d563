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
from sqlalchemy import Engine, MetaData, event, select
from sqlalchemy.exc import IntegrityError

from app import migrations
from app.db import make_engine, make_sessionmaker
from app.facts import Dataset, FactsError, load_dataset
from app.seed import SeedReport, seed

Dump = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
FACT_TABLES = ("events", "memberships", "commitments", "conditions", "statements")


# --- helpers ---------------------------------------------------------------------------------


def dump(engine: Engine) -> Dump:
    """Every row of every table (alembic_version included), keyed by primary key."""
    meta = MetaData()
    meta.reflect(engine)
    result: Dump = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            key = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*key)).mappings()
            result[name] = {tuple(row[c.name] for c in key): dict(row) for row in rows}
    return result


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
    return yaml.safe_load((data_dir / "facts" / f"{name}.yaml").read_text(encoding="utf-8"))


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
        want = {"inserted": 0, "updated": 0, "deleted": 0} | changed.get(table, {})
        got = {k: getattr(changes, k) for k in ("inserted", "updated", "deleted")}
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
    assert diff(before, after) == {
        "facts": {"added": [], "removed": [], "changed": [(target["id"],)]}
    }
    assert after["facts"][(target["id"],)]["summary"] == new_summary
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

    assert_only(report, evidence={"updated": 1})
    after = dump(engine)
    key = (f"{fact['id']}/{position}",)
    assert diff(before, after) == {"evidence": {"added": [], "removed": [], "changed": [key]}}
    row = after["evidence"][key]
    assert row["quote"] == old.quote[1:]
    assert (row["start"], row["end"]) == (old.start + 1, old.end)


def test_removing_a_fact_deletes_it_and_its_evidence_only(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    gated = {g for c in seeded.conditions for g in c.gates}
    commitments = read_facts(data_copy, "commitments")
    target = next(c for c in commitments if c["id"] not in gated)
    commitments.remove(target)
    write_facts(data_copy, "commitments", commitments)
    before = dump(engine)

    report = run_seed(engine, load_dataset(data_copy))

    n = len(target["evidence"])
    assert_only(report, commitments={"deleted": 1}, evidence={"deleted": n})
    evidence_keys = [(f"{target['id']}/{i}",) for i in range(1, n + 1)]
    assert diff(before, dump(engine)) == {
        "commitments": {"added": [], "removed": [(target["id"],)], "changed": []},
        "evidence": {"added": [], "removed": sorted(evidence_keys), "changed": []},
        "facts": {"added": [], "removed": [(target["id"],)], "changed": []},
    }


def test_removing_a_gate_deletes_only_that_link(
    engine: Engine, seeded: Dataset, data_copy: Path
) -> None:
    conditions = read_facts(data_copy, "conditions")
    target = next(c for c in conditions if len(c["gates"]) > 1)
    dropped = target["gates"].pop()
    write_facts(data_copy, "conditions", conditions)
    before = dump(engine)

    report = run_seed(engine, load_dataset(data_copy))

    assert_only(report, condition_gates={"deleted": 1})
    assert diff(before, dump(engine)) == {
        "condition_gates": {"added": [], "removed": [(target["id"], dropped)], "changed": []}
    }


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


def _with_dangling_outlet(data: Dataset) -> Dataset:
    """The dataset with its last evidence row pointing at an outlet that does not exist: the
    evidence table is written last, so the database rejects it after every other table has
    been written in the same transaction (a foreign-key violation, raised by the database)."""
    evidence = list(data.evidence)
    evidence[-1] = dataclasses.replace(evidence[-1], outlet_id="no-such-outlet")
    assert "no-such-outlet" not in {o.id for o in data.outlets}
    return dataclasses.replace(data, evidence=evidence)


def test_database_error_mid_write_on_an_empty_database_writes_nothing(
    engine: Engine, data_copy: Path
) -> None:
    before = dump(engine)
    broken = _with_dangling_outlet(load_dataset(data_copy))

    with WriteCounter(engine) as counter, pytest.raises(IntegrityError):
        run_seed(engine, broken)

    # Rows of earlier tables were sent before the database refused the evidence row...
    assert any("nations" in s for s in counter.writes)
    assert any("evidence" in s for s in counter.writes)
    # ...and none of them remains.
    assert dump(engine) == before
    assert not any(rows for name, rows in before.items() if name != "alembic_version")
    # The database is still usable: the valid dataset seeds completely afterwards.
    report = run_seed(engine, load_dataset(data_copy))
    assert report.tables["evidence"].inserted == len(broken.evidence)


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
    broken = _with_dangling_outlet(load_dataset(data_copy))

    with WriteCounter(engine) as counter, pytest.raises(IntegrityError):
        run_seed(engine, broken)

    assert any(s.lstrip().upper().startswith("UPDATE") for s in counter.writes)
    assert dump(engine) == before
    # And the same edits, without the broken row, go through.
    report = run_seed(engine, load_dataset(data_copy))
    assert report.tables["commitments"].updated == 1
    assert report.tables["commitments"].deleted == 1
    assert report.tables["evidence"].deleted == len(removed["evidence"])


def test_reseeding_after_a_database_wipe_restores_the_same_rows(
    engine: Engine, seeded: Dataset, data_copy: Path, scratch_url: str
) -> None:
    before = dump(engine)
    engine.dispose()
    migrations.downgrade(scratch_url, "base")
    migrations.upgrade(scratch_url)
    report = run_seed(engine, load_dataset(data_copy))
    assert report.changed == sum(expected_counts(seeded).values())
    assert dump(engine) == before
