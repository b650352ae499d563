"""Load and client disconnects against a real `pledgedb serve`, marked slow (`pytest -m slow`):
.ci/run runs them on both backends in their short form (tests/sizes.py); bench/load.py runs
longer still, see bench/RESULTS.md.

The server runs over a private database of the backend under test, migrated and seeded (a copy
of the template), with a curator key made by `pledgedb keys create`. Every run is bounded in
time, every request has a timeout and the server is stopped in the fixture's finally."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.databases import seeded_database
from tests.load_mix import Stats, Targets, abort_burst, log_findings, probe, run_load
from tests.processes import Server, create_key
from tests.sizes import sized

CONNECTIONS = 32
RUN_SECONDS = sized(4.0, 2.0)  # each of the memory test's runs
PROBE_BUDGET = 2.0  # seconds, right after a burst; an exhausted connection pool makes it 30 s
BUSY_PROBE_BUDGET = 10.0  # seconds, during a burst (64 dropped requests still being worked on)
RSS_GROWTH_BUDGET_KIB = 64 * 1024
TWO_WORKER_SECONDS = sized(20.0, 6.0)


@dataclass
class Served:
    server: Server
    key: str
    targets: Targets


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("load")
    with seeded_database(folder) as url:
        key = create_key(url, folder)
        server = Server(url, folder)
        try:
            server.start()
            yield Served(server, key, Targets.discover(server.base))
        finally:
            server.stop()


def check_clean(stats: Stats) -> None:
    """No error of any kind: every read 200, every write 200 or 412 (then retried). SQLite
    writes queue for the write lock (app.store.engine.SQLiteWriters) instead of answering 503."""
    summary = stats.summary()
    assert stats.requests > 0, summary
    assert not stats.transport_errors, summary
    assert stats.server_errors == 0, summary
    assert stats.errors == 0, summary


def report(capsys: pytest.CaptureFixture[str], what: str, figures: object) -> None:
    """Figures on the terminal, also when the test passes (CI logs keep them)."""
    with capsys.disabled():
        print(f"\n[{'postgresql' if PG_URL else 'sqlite'}] {what}: {figures}")


# The slowest answer a load run may see: under the pool's 30 s timeout, so a request that
# waited for a connection left checked out fails the run (a "QueuePool limit" stall).
MAX_LATENCY = 25.0


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(sized(30.0, 12.0), id="seconds", marks=pytest.mark.slow),
    ],
)
def test_32_connections_with_writes_give_no_errors(
    served: Served, seconds: float, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = asyncio.run(
        run_load(served.server.base, CONNECTIONS, seconds, served.key, served.targets)
    )
    report(capsys, f"{CONNECTIONS} connections for {seconds:g} s", stats.summary())
    check_clean(stats)
    assert stats.writes > 0, stats.summary()
    assert stats.statuses["200"] >= stats.requests - stats.retries_412
    assert stats.quantile(1.0) < MAX_LATENCY, stats.summary()
    findings = log_findings(served.server.log_text())
    assert findings["tracebacks"] == 0 and findings["queuepool_exhausted"] == 0, findings


@pytest.mark.parametrize(
    "bursts",
    [pytest.param(sized(6, 2), id="bursts", marks=pytest.mark.slow)],
)
def test_clients_dropping_mid_request_never_stall_the_server(
    served: Served, bursts: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bursts of 64 clients that reset their connections mid-request, each followed at once by
    a probe and a short load run: a session left checked out by a dropped request would exhaust
    the pool and make the probe wait 30 s ("QueuePool limit ... reached")."""
    import random

    async def run_bursts() -> tuple[list[float], list[float], list[Stats]]:
        rng = random.Random(7)  # noqa: S311
        during: list[float] = []
        after: list[float] = []
        runs: list[Stats] = []
        for n in range(bursts):
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

    during, after, runs = asyncio.run(run_bursts())
    report(
        capsys,
        f"{bursts} burst(s) of 64 dropped clients",
        {
            "probe_during_s": [round(p, 2) for p in during],
            "probe_after_s": [round(p, 2) for p in after],
        },
    )
    assert max(during) < BUSY_PROBE_BUDGET, [round(p, 2) for p in during]
    assert max(after) < PROBE_BUDGET, [round(p, 2) for p in after]
    for stats in runs:
        check_clean(stats)
        assert stats.quantile(1.0) < BUSY_PROBE_BUDGET, stats.summary()
    assert served.server.process is not None and served.server.process.poll() is None
    assert "QueuePool limit" not in served.server.log_text()


@pytest.mark.slow
def test_memory_does_not_grow_across_runs(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    """RSS after a warm-up run and after a second, equal run: the second adds no more than a
    generous bound (caches fill during the first)."""
    base = served.server.base
    asyncio.run(run_load(base, CONNECTIONS, RUN_SECONDS, served.key, served.targets, seed=1))
    after_first = sum(served.server.rss().values())
    check_clean(
        asyncio.run(run_load(base, CONNECTIONS, RUN_SECONDS, served.key, served.targets, seed=2))
    )
    after_second = sum(served.server.rss().values())
    report(capsys, "RSS after a first and a second run, KiB", (after_first, after_second))
    assert after_first > 0
    assert after_second - after_first < RSS_GROWTH_BUDGET_KIB, (after_first, after_second)


@pytest.mark.slow
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


@pytest.mark.slow
def test_two_workers_with_writes_give_no_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --workers 2` at 64 connections: two processes' writers share SQLite's one write
    lock (each queues in its process, then waits for the other's) and none answers 503."""
    with seeded_database(tmp_path) as url:
        key = create_key(url, tmp_path)
        with Server(url, tmp_path, workers=2) as server:
            targets = Targets.discover(server.base)
            stats = asyncio.run(run_load(server.base, 64, TWO_WORKER_SECONDS, key, targets))
            log = server.log_text()
    report(capsys, f"2 workers, 64 connections for {TWO_WORKER_SECONDS:g} s", stats.summary())
    check_clean(stats)
    assert stats.writes > 0, stats.summary()
    assert log_findings(log)["tracebacks"] == 0, log[-4000:]
