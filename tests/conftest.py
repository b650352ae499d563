"""Test fixtures: a migrated and seeded database (SQLite by default, PostgreSQL when
PLEDGEDB_TEST_DATABASE_URL is set), and an HTTP client over httpx's ASGI transport."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from app.api.limits import RateLimiter
from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.facts.files import Dataset, load_dataset
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from bench.load import scratch_database as bench_scratch_database

PG_URL = os.environ.get("PLEDGEDB_TEST_DATABASE_URL")
DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def scratch_database(folder: Path) -> AbstractContextManager[str]:
    """An empty database of the backend under test (SQLite in ``folder``, or a new database
    next to PLEDGEDB_TEST_DATABASE_URL), dropped afterwards."""
    return bench_scratch_database(PG_URL, folder)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return load_dataset(DATA_DIR)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Iterator[str]:
    """The shared, seeded database the read-only API tests run against."""
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            seed(session, dataset)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url))
    # The whole suite writes from one address: the production write rate would throttle it.
    app.state.write_limiter = RateLimiter(1_000_000)
    yield app
    app.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/, for tests that edit fact files."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test (not migrated)."""
    with scratch_database(tmp_path) as url:
        yield url
