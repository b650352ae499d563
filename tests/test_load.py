"""Load and client disconnects against a real `pledgedb serve` (CI-sized; bench/load.py runs the
long version, see bench/RESULTS.md).

The server runs over a private database of the backend under test, migrated and seeded with the
CLI, with a curator key made by `pledgedb keys create`. Every run is bounded in time, every
request has a timeout and the server is stopped in the fixture's finally."""

import asyncio
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.load import (
    Server,
    Stats,
    Targets,
    abort_burst,
    create_key,
    log_findings,
    prepare_database,
    probe,
    run_load,
)
from tests.conftest import PG_URL, scratch_database

# Start real servers and clusters for minutes: run with `pytest -m slow` (not by default).
pytestmark = pytest.mark.slow

CONNECTIONS = 32
RUN_SECONDS = 4.0
PROBE_BUDGET = 2.0  # seconds, right after a burst; an exhausted connection pool makes it 30 s
BUSY_PROBE_BUDGET = 10.0  # seconds, during a burst (64 dropped requests still being worked on)
RSS_GROWTH_BUDGET_KIB = 64 * 1024


@dataclass
class Served:
    server: Server
    key: str
    targets: Targets


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("load")
    with scratch_database(folder) as url:
        prepare_database(url, folder)
        key = create_key(url, folder)
        server = Server(url, folder)
        try:
            server.start()
            yield Served(server, key, Targets.discover(server.base))
        finally:
            server.stop()


# APP BUG (reported in bench/RESULTS.md): on SQLite a PATCH under load can wait more than the
# 5 s busy_timeout for the write lock and answer 503 "database is locked" (problem+json with
# Retry-After). Tolerated here, for SQLite writes only, with a warning; reads must be clean.
KNOWN_SQLITE_WRITE_503 = "503 PATCH"


def check_clean(stats: Stats) -> None:
    summary = stats.summary()
    assert stats.requests > 0, summary
    assert not stats.transport_errors, summary
    tolerated = 0 if PG_URL else stats.unexpected.get(KNOWN_SQLITE_WRITE_503, 0)
    if tolerated:
        warnings.warn(
            f"known app bug: {tolerated} SQLite PATCH(es) answered 503 database is locked",
            stacklevel=2,
        )
    assert stats.server_errors == tolerated, summary
    assert stats.errors == tolerated, summary


def test_32_connections_with_writes_give_no_errors(served: Served) -> None:
    stats = asyncio.run(
        run_load(served.server.base, CONNECTIONS, RUN_SECONDS, served.key, served.targets)
    )
    check_clean(stats)
    assert stats.writes > 0, stats.summary()
    assert stats.statuses["200"] >= stats.requests - stats.retries_412
    findings = log_findings(served.server.log_text())
    assert findings["tracebacks"] == 0 and findings["queuepool_exhausted"] == 0, findings


def test_clients_dropping_mid_request_never_stall_the_server(served: Served) -> None:
    """Bursts of 64 clients that reset their connections mid-request, each followed at once by
    a probe and a short load run: a session left checked out by a dropped request would exhaust
    the pool and make the probe wait 30 s ("QueuePool limit ... reached")."""
    import random

    async def bursts() -> tuple[list[float], list[float], list[Stats]]:
        rng = random.Random(7)  # noqa: S311
        during: list[float] = []
        after: list[float] = []
        runs: list[Stats] = []
        for n in range(6):
            burst = asyncio.ensure_future(
                abort_burst(served.server.base, served.server.port, 64, rng)
            )
            during.append(await probe(served.server.base, timeout=BUSY_PROBE_BUDGET * 2))
            await burst
            after.append(
                await probe(
                    served.server.base,
                    f"/commitments/{served.targets.commitments[n]}",
                    timeout=BUSY_PROBE_BUDGET * 2,
                )
            )
            runs.append(
                await run_load(served.server.base, 16, 0.5, served.key, served.targets, seed=n)
            )
        return during, after, runs

    during, after, runs = asyncio.run(bursts())
    assert max(during) < BUSY_PROBE_BUDGET, [round(p, 2) for p in during]
    assert max(after) < PROBE_BUDGET, [round(p, 2) for p in after]
    for stats in runs:
        check_clean(stats)
        assert stats.quantile(1.0) < BUSY_PROBE_BUDGET, stats.summary()
    assert served.server.process is not None and served.server.process.poll() is None
    assert "QueuePool limit" not in served.server.log_text()


def test_memory_does_not_grow_across_runs(served: Served) -> None:
    """RSS after a warm-up run and after a second, equal run: the second adds no more than a
    generous bound (caches fill during the first)."""
    base = served.server.base
    asyncio.run(run_load(base, CONNECTIONS, RUN_SECONDS, served.key, served.targets, seed=1))
    after_first = sum(served.server.rss().values())
    check_clean(
        asyncio.run(run_load(base, CONNECTIONS, RUN_SECONDS, served.key, served.targets, seed=2))
    )
    after_second = sum(served.server.rss().values())
    assert after_first > 0
    assert after_second - after_first < RSS_GROWTH_BUDGET_KIB, (after_first, after_second)


def test_the_bench_script_runs_end_to_end(tmp_path: Path) -> None:
    """`python -m bench.load` with a tiny run exits 0 and prints its JSON report."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    args = [sys.executable, "-m", "bench.load", "--connections", "8", "--duration", "1.5"]
    if PG_URL:
        args += ["--database-url", PG_URL]
    result = subprocess.run(
        args, cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    report = json.loads(result.stdout)
    assert report["load"]["errors"] == 0 and report["load"]["requests"] > 0, report
    assert report["rss_mib_start"] > 0 and report["rss_mib_end"] > 0, report
