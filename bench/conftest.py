"""Fixtures of the benchmark's own tests (bench/test_*.py): the seeded SQLite file named by
BENCH_TEST_SQLITE_URL (tests/test_bench_speed.py passes a copy of its template) and an HTTP
client over an app serving it. Without it, or on PostgreSQL, the tests that need them skip."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.main import create_app

SQLITE_URL = os.environ.get("BENCH_TEST_SQLITE_URL", "")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def seeded_file() -> Path:
    if not SQLITE_URL.startswith("sqlite"):
        pytest.skip("Datasette reads the SQLite file; the SQL is SQLite's")
    return Path(SQLITE_URL.removeprefix("sqlite:///"))


@pytest.fixture
async def client(seeded_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=SQLITE_URL))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        app.state.engine.dispose()
