"""Test fixtures: a migrated and seeded database (SQLite by default, PostgreSQL when
PLEDGEDB_TEST_DATABASE_URL is set), and an HTTP client over httpx's ASGI transport.

Seeded databases are copies of one template migrated and seeded once per test process
(tests/databases.py): a test that writes gets a copy of its own (`seeded_url`), and the read-only
tests share one more (`database_url`)."""

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from app.api.limits import RateLimiter
from app.config import Settings
from app.facts.files import Dataset, load_dataset
from app.main import create_app
from app.store.engine import make_engine
from tests.databases import DATA_DIR, PG_URL, scratch_database, seeded_database

__all__ = ["DATA_DIR", "PG_URL", "scratch_database"]  # what test modules import from here


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the group into the node id
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist's `--dist loadgroup` (pyproject's addopts): a test that uses a fixture
    made once per module (a server, a synthetic database, a browser) goes to the worker that has
    its module's other such tests, so that the fixture is made once; the rest are spread one by
    one, whichever worker is free."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        scopes = {d.scope for defs in info.name2fixturedefs.values() for d in defs}
        if scopes & {"module", "class", "package"}:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return load_dataset(DATA_DIR)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Iterator[str]:
    """The shared, seeded database the read-only API tests run against."""
    with seeded_database(tmp_path_factory.mktemp("db")) as url:
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


@pytest.fixture
def seeded_url(tmp_path: Path) -> Iterator[str]:
    """A private database of the backend under test, migrated and seeded from data/ (a copy of
    the template)."""
    with seeded_database(tmp_path) as url:
        yield url
