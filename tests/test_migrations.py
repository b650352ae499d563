"""The Alembic migrations build exactly the schema app.store.models declares, downgrade cleanly, and
keep data across no-op runs. Each test has its own empty database of the backend under test."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, func, inspect, select

from app.curation.seed import seed
from app.facts.files import load_dataset
from app.store import migrations
from app.store.engine import make_engine
from app.store.models import Base
from app.store.revisions import make_sessionmaker
from tests.curation import table_rows

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
def engine(scratch_url: str) -> Iterator[Engine]:
    """An engine on the (not yet migrated) scratch database."""
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def row_counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine, only=sorted(MODEL_TABLES))
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(table)) or 0
            for name, table in meta.tables.items()
        }


def seed_from(engine: Engine, data_dir: Path) -> int:
    with make_sessionmaker(engine)() as session:
        return seed(session, load_dataset(data_dir)).changed


def test_migrations_have_a_single_head(scratch_url: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(scratch_url))
    assert len(script.get_heads()) == 1
    assert migrations.head_revision(scratch_url) == script.get_current_head()


def test_upgrade_head_matches_the_models(scratch_url: str, engine: Engine) -> None:
    migrations.upgrade(scratch_url)
    assert migrations.current_revision(engine) == migrations.head_revision(scratch_url)
    assert tables(engine) == MODEL_TABLES | {"alembic_version"}
    assert schema_differences(engine) == []


def test_the_comparison_sees_a_missing_index(scratch_url: str, engine: Engine) -> None:
    """Control: compare_metadata is not blind to a schema that drifted from the models."""
    migrations.upgrade(scratch_url)
    index = next(ix for table in Base.metadata.sorted_tables for ix in table.indexes)
    with engine.begin() as conn:
        index.drop(conn)
    differences = schema_differences(engine)
    assert [d[0] for d in differences] == ["add_index"], differences
    assert differences[0][1].name == index.name


def test_indexes_and_unique_constraints_exist(scratch_url: str, engine: Engine) -> None:
    """compare_metadata covers these too; this names the ones queries and the seed rely on."""
    migrations.upgrade(scratch_url)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        have = {tuple(ix["column_names"]) for ix in inspector.get_indexes(table.name)}
        have |= {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(table.name)}
        for index in table.indexes:
            assert tuple(c.name for c in index.columns) in have, (table.name, index.name)
        fks = {
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys(table.name)
        }
        for fk in table.foreign_key_constraints:
            assert (tuple(fk.column_keys), fk.referred_table.name) in fks, (table.name, fk.name)


def test_upgrade_downgrade_upgrade(scratch_url: str, engine: Engine) -> None:
    assert tables(engine) == set()
    migrations.upgrade(scratch_url)
    assert tables(engine) >= MODEL_TABLES

    migrations.downgrade(scratch_url, "base")
    assert tables(engine) - {"alembic_version"} == set()
    assert migrations.current_revision(engine) is None

    migrations.upgrade(scratch_url)
    assert tables(engine) == MODEL_TABLES | {"alembic_version"}
    assert migrations.current_revision(engine) == migrations.head_revision(scratch_url)
    assert schema_differences(engine) == []


def test_every_revision_steps_up_and_down(scratch_url: str, engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(scratch_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions
    for revision in revisions:
        migrations.upgrade(scratch_url, "+1")
        assert migrations.current_revision(engine) == revision
    for revision in reversed(revisions):
        assert migrations.current_revision(engine) == revision
        migrations.downgrade(scratch_url, "-1")
    assert migrations.current_revision(engine) is None
    assert tables(engine) - {"alembic_version"} == set()


def test_data_survives_no_op_migrations(scratch_url: str, engine: Engine, data_copy: Path) -> None:
    migrations.upgrade(scratch_url)
    assert seed_from(engine, data_copy) > 0
    counts = row_counts(engine)
    # Every table the seed writes holds rows (API keys come only from `pledgedb keys create`,
    # proposals only from a curator's run of the proposal engine).
    assert all(n for table, n in counts.items() if table not in {"api_keys", "proposals"}), counts
    before = table_rows(engine)

    migrations.upgrade(scratch_url)  # already at head
    assert table_rows(engine) == before
    migrations.downgrade(scratch_url, "head")  # already there: nothing to undo
    assert table_rows(engine) == before
    assert migrations.current_revision(engine) == migrations.head_revision(scratch_url)
    assert seed_from(engine, data_copy) == 0


def test_seed_works_after_a_full_round_trip(
    scratch_url: str, engine: Engine, data_copy: Path
) -> None:
    migrations.upgrade(scratch_url)
    inserted = seed_from(engine, data_copy)
    counts = row_counts(engine)

    migrations.downgrade(scratch_url, "base")
    assert tables(engine) - {"alembic_version"} == set()
    migrations.upgrade(scratch_url)
    # Empty, but for the data revision's one row, which the migration makes.
    assert row_counts(engine) == dict.fromkeys(counts, 0) | {"data_revision": 1}

    assert seed_from(engine, data_copy) == inserted
    assert row_counts(engine) == counts
    assert seed_from(engine, data_copy) == 0
