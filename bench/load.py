"""Load, disconnect-burst and RSS measurements against a real `pledgedb serve`.

    .venv/bin/python -m bench.load --connections 32 --duration 60
    .venv/bin/python -m bench.load --connections 64 --workers 2 --duration 60 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/pledgedb_dev
    .venv/bin/python -m bench.load --abort-bursts 20 --connections 64

The script makes its own scratch database (an SQLite file in a temporary folder, or for a
PostgreSQL URL a fresh database next to the one named, dropped at the end), migrates and seeds
it with the `pledgedb` CLI, creates a curator key with `pledgedb keys create`, starts `pledgedb
serve` on a free loopback port and runs N connections over a mix of reads with 5% writes
(PATCH of a commitment summary with If-Match, retried on 412). It prints requests, statuses,
transport errors, p50/p99/max latency and the RSS of the server's processes (uvicorn workers
included) at the start and the end. Everything is bounded: a deadline for the run, a timeout
on each request, and the server is terminated (then killed) on the way out.

Only loopback traffic. The request mix (tests/load_mix.py) and the processes (tests/processes.py)
are the load tests' own: the test suite never imports bench/, the benchmark imports them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.load_mix import (  # the request mix and the processes are shared with the tests
    WRITE_SHARE,
    Stats,
    Targets,
    abort_burst,
    log_findings,
    probe,
    run_load,
)
from tests.processes import Server, cli_env, create_key, descendants, prepare_database

__all__ = ["cli_env", "descendants", "scratch_database"]  # bench/speed.py imports these


@contextlib.contextmanager
def scratch_database(database_url: str | None, folder: Path) -> Iterator[str]:
    """An empty SQLite file in ``folder`` or, for a PostgreSQL URL, a fresh database on the
    same server (dropped afterwards)."""
    if not database_url or database_url.startswith("sqlite"):
        yield f"sqlite:///{folder / f'scratch-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(database_url)
    name = f"{base.database}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def run_abort_bursts(
    base: str,
    port: int,
    bursts: int,
    clients: int,
    targets: Targets,
    key: str | None,
    seed: int = 0,
) -> dict[str, Any]:
    """``bursts`` times: drop ``clients`` requests mid-flight, then at once probe the server and
    run a one-second load run. Returns the probe latencies and the load runs' errors."""
    rng = random.Random(seed)  # noqa: S311 - not for security
    probes: list[float] = []
    runs: list[Stats] = []
    for n in range(bursts):
        burst = asyncio.ensure_future(abort_burst(base, port, clients, rng))
        # A probe while the burst is going on, and one right after it.
        probes.append(await probe(base, f"/commitments/{targets.commitments[0]}"))
        await burst
        probes.append(await probe(base))
        runs.append(await run_load(base, min(clients, 16), 1.0, key, targets, seed=seed + n))
    return {
        "bursts": bursts,
        "clients_per_burst": clients,
        "probes": len(probes),
        "probe_max_ms": round(max(probes) * 1000, 1),
        "probe_p50_ms": round(sorted(probes)[len(probes) // 2] * 1000, 1),
        "load_requests_between_bursts": sum(r.requests for r in runs),
        "load_errors_between_bursts": sum(r.errors for r in runs),
        "load_max_ms_between_bursts": round(max(r.quantile(1.0) for r in runs) * 1000, 1),
    }


# --- the command -----------------------------------------------------------------------------


def total_mib(rss: dict[int, int]) -> float:
    return round(sum(rss.values()) / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="A PostgreSQL URL (a scratch db is made next to "
                        "it); default: an SQLite file in a temporary folder")  # fmt: skip
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--writes", type=float, default=WRITE_SHARE, help="share of writes")
    parser.add_argument(
        "--abort-bursts",
        type=int,
        default=0,
        metavar="N",
        help="instead of a load run: N bursts of clients dropping mid-request",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 512 or not 0 < args.duration <= 3600:
        parser.error("connections 1..512, duration up to an hour")

    with tempfile.TemporaryDirectory(prefix="pledgedb-load-") as tmp:
        folder = Path(tmp)
        with scratch_database(args.database_url, folder) as url:
            prepare_database(url, folder)
            key = create_key(url, folder)
            with Server(url, folder, workers=args.workers) as server:
                targets = Targets.discover(server.base)
                rss_start = server.rss()
                result: dict[str, Any] = {
                    "backend": url.split(":", 1)[0],
                    "workers": args.workers,
                    "connections": args.connections,
                }
                if args.abort_bursts:
                    result["abort_bursts"] = asyncio.run(
                        run_abort_bursts(
                            server.base,
                            server.port,
                            args.abort_bursts,
                            args.connections,
                            targets,
                            key,
                            args.seed,
                        )  # fmt: skip
                    )
                else:
                    stats = asyncio.run(
                        run_load(
                            server.base,
                            args.connections,
                            args.duration,
                            key,
                            targets,
                            args.seed,
                            args.writes,
                        )  # fmt: skip
                    )
                    result["load"] = stats.summary()
                rss_end = server.rss()
                result["rss_mib_start"] = total_mib(rss_start)
                result["rss_mib_end"] = total_mib(rss_end)
                result["rss_kib_by_pid_start"] = rss_start
                result["rss_kib_by_pid_end"] = rss_end
                result["server_alive"] = server.process is not None and (
                    server.process.poll() is None
                )
            result["server_exit"] = server.process.returncode if server.process else None
            result["server_log"] = log_findings(server.log_text())
    print(json.dumps(result, indent=2))
    ok = (
        result.get("load", {}).get("errors", 0) == 0
        and result.get("abort_bursts", {}).get("load_errors_between_bursts", 0) == 0
        and result["server_log"]["queuepool_exhausted"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
