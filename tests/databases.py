"""Databases of the backend under test (SQLite by default, PostgreSQL when
PLEDGEDB_TEST_DATABASE_URL is set): empty scratch databases, and copies of one template that is
migrated and seeded once per test process (per pytest-xdist worker).

A copy is a file copy on SQLite (the template is checkpointed first, so its WAL holds nothing
the copy would miss) and ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (nothing may be
connected to the template then: whoever builds it disposes of its engine). Every database made
here is dropped (or left in a temporary folder) when its context ends; the template itself at
the end of the process."""

import atexit
import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.curation.seed import seed
from app.facts.files import load_dataset
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker

PG_URL = os.environ.get("PLEDGEDB_TEST_DATABASE_URL")
DATA_DIR = PROJECT_ROOT / "data"


def is_sqlite(url: str | None = PG_URL) -> bool:
    return not url or url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


@functools.cache
def _admin() -> Engine:
    """An engine on the PostgreSQL server's maintenance database, for CREATE and DROP."""
    assert PG_URL is not None
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_name() -> str:
    """A new database name next to PLEDGEDB_TEST_DATABASE_URL's (unique across workers)."""
    assert PG_URL is not None
    return f"{make_url(PG_URL).database}_{uuid.uuid4().hex[:10]}"


def _pg_url(name: str) -> str:
    assert PG_URL is not None
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _pg_create(name: str, template: str | None = None) -> None:
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))


def _pg_drop(name: str) -> None:
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def scratch_database(folder: Path) -> Iterator[str]:
    """An empty database of the backend under test: an SQLite file in ``folder``, or a new
    database next to PLEDGEDB_TEST_DATABASE_URL (dropped afterwards)."""
    if is_sqlite():
        yield f"sqlite:///{folder / f'scratch-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = _pg_name()
    _pg_create(name)
    try:
        yield _pg_url(name)
    finally:
        _pg_drop(name)


def migrate_and_seed(url: str, data_dir: Path = DATA_DIR) -> None:
    """What `pledgedb migrate` and `pledgedb seed` do, in process."""
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            seed(session, load_dataset(data_dir))
    finally:
        engine.dispose()


@functools.cache
def template_url() -> str:
    """The template: migrated to head and seeded from data/, once per process."""
    if is_sqlite():
        folder = Path(tempfile.mkdtemp(prefix="pledgedb-template-"))
        atexit.register(shutil.rmtree, folder, True)
        url = f"sqlite:///{folder / 'template.sqlite3'}"
        migrate_and_seed(url)
        # Everything into the main file: a copy of it alone is then the whole database.
        connection = sqlite3.connect(sqlite_path(url))
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        return url
    name = _pg_name() + "_tpl"
    _pg_create(name)
    atexit.register(_pg_drop, name)
    url = _pg_url(name)
    migrate_and_seed(url)  # disposes of its engine: CREATE ... TEMPLATE needs no one connected
    return url


def copy_template(folder: Path) -> str:
    """A new database, migrated and seeded: a copy of the template. The caller drops it (see
    ``seeded_database``), or leaves the SQLite file to its temporary folder."""
    source = template_url()
    if is_sqlite():
        target = folder / f"seeded-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(sqlite_path(source), target)
        return f"sqlite:///{target}"
    name = _pg_name()
    _pg_create(name, template=make_url(source).database)
    return _pg_url(name)


def drop(url: str) -> None:
    """Drop a PostgreSQL database made here (SQLite files go with their folder)."""
    if not is_sqlite(url):
        _pg_drop(str(make_url(url).database))


@contextlib.contextmanager
def seeded_database(folder: Path) -> Iterator[str]:
    """A private migrated and seeded database (a copy of the template), dropped afterwards."""
    url = copy_template(folder)
    try:
        yield url
    finally:
        drop(url)
