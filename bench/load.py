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

Only loopback traffic. The functions are reused by tests/test_load.py and tests/test_faults.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import struct
import subprocess  # noqa: S404
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PLEDGEDB = Path(sys.executable).parent / "pledgedb"
HOST = "127.0.0.1"
CLI_TIMEOUT = 180.0  # seconds, any one CLI command
SERVER_START = 20.0  # seconds the server may take to answer /healthz
REQUEST_TIMEOUT = 40.0  # longer than SQLAlchemy's 30 s pool timeout, so a stall shows as one
WRITE_SHARE = 0.05
WRITE_TARGETS = 4  # commitments the writers take turns on (so that 412s happen)
MARK = " [load]"


# --- processes -------------------------------------------------------------------------------


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PLEDGEDB_") and k != "DATABASE_URL"
    }
    env.update(DATABASE_URL=database_url, NO_COLOR="1", TERM="dumb", COLUMNS="200")
    env.update(extra)
    return env


def pledgedb(
    *args: str, database_url: str, cwd: Path, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(PLEDGEDB), *args],
        cwd=cwd,
        env=cli_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def prepare_database(database_url: str, cwd: Path) -> None:
    """Migrate and seed with the CLI."""
    for args in (("migrate",), ("seed", "--json")):
        result = pledgedb(*args, database_url=database_url, cwd=cwd)
        if result.returncode != 0:
            raise RuntimeError(f"pledgedb {' '.join(args)} failed:\n{result.stderr}")


def create_key(database_url: str, cwd: Path, name: str | None = None) -> str:
    name = name or f"load-{uuid.uuid4().hex[:8]}"
    result = pledgedb(
        "keys", "create", "--name", name, "--scope", "curator", database_url=database_url, cwd=cwd
    )
    if result.returncode != 0:
        raise RuntimeError(f"pledgedb keys create failed:\n{result.stderr}")
    return result.stdout.strip().splitlines()[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    """A `pledgedb serve` subprocess on a free loopback port."""

    database_url: str
    cwd: Path
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.cwd / f"serve-{self.port}.log"

    def start(self) -> Server:
        self.port = free_port()
        env = cli_env(
            self.database_url,
            # Load runs write far more than one address may in production (60 a minute).
            PLEDGEDB_WRITE_RATE_PER_MINUTE="10000000",
            **self.extra_env,
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(PLEDGEDB),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],  # fmt: skip
                cwd=self.cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=2.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server not ready in {SERVER_START}s:\n{self.log_text()}")
            time.sleep(0.1)
        # With several workers each answers on its own: wait until all of them are up.
        if self.workers > 1:
            while len(self.pids()) <= self.workers and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
        return self

    def pids(self) -> list[int]:
        return descendants(self.process.pid) if self.process else []

    def rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in self.pids()}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.process is not None  # noqa: S101
        return self.process.wait(timeout=timeout)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL (of the whole tree) if it does not exit within 15 s."""
        if self.process is None:
            return None
        tree = self.pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in tree:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in tree[1:]:  # orphaned workers, if any
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return self.process.returncode

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def scratch_database(database_url: str | None, folder: Path) -> Iterator[str]:
    """An empty SQLite file in ``folder`` or, for a PostgreSQL URL, a fresh database on the
    same server (dropped afterwards). The test suite makes its databases with this too."""
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


# --- the request mix -------------------------------------------------------------------------


@dataclass
class Targets:
    nations: list[str]
    roles: list[str]
    commitments: list[str]
    quotes: list[str]
    disputes: list[str]

    @classmethod
    def discover(cls, base: str) -> Targets:
        with httpx.Client(base_url=base, timeout=10.0) as client:

            def ids(path: str, key: str = "id") -> list[str]:
                response = client.get(path, params={"limit": 500})
                response.raise_for_status()
                body = response.json()
                return [str(item[key]) for item in body["items"]]

            roles = client.get("/roles").json()
            role_names = [str(r["role"]) for r in roles.get("items", [])]
            return cls(
                nations=ids("/nations", "code"),
                roles=role_names or ["training", "naval", "air", "troops"],
                commitments=ids("/commitments"),
                quotes=ids("/statements"),
                disputes=[str(d["id"]) for d in client.get("/disputes").json().get("items", [])],
            )

    def read_path(self, rng: random.Random) -> str:
        """A read, chosen with the weights a dashboard and a reader of the site would give."""
        choices: list[tuple[float, Any]] = [
            (14, lambda: f"/nations?role={rng.choice(self.roles)}"),
            (8, lambda: "/nations/DE"),
            (8, lambda: f"/nations/{rng.choice(self.nations)}"),
            (10, lambda: "/commitments?role=training&format=csv"),
            (10, lambda: "/summary"),
            (10, lambda: "/statements"),
            (8, lambda: "/disputes"),
            (14, lambda: f"/commitments/{rng.choice(self.commitments)}"),
            (5, lambda: f"/statements/{rng.choice(self.quotes)}" if self.quotes else "/statements"),
            (5, lambda: f"/disputes/{rng.choice(self.disputes)}" if self.disputes else "/disputes"),
            (8, lambda: "/commitments?limit=50"),
        ]
        weights = [w for w, _ in choices]
        make = rng.choices([m for _, m in choices], weights=weights)[0]
        path: str = make()
        return path


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)  # "status path" samples
    writes: int = 0
    retries_412: int = 0
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values()) + sum(self.transport_errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("5"))

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.requests / self.elapsed, 1) if self.elapsed else 0.0,
            "writes": self.writes,
            "retries_412": self.retries_412,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": self.errors,
            "transport_errors": dict(self.transport_errors),
            "unexpected": dict(self.unexpected.most_common(10)),
            "p50_ms": round(self.quantile(0.50) * 1000, 1),
            "p99_ms": round(self.quantile(0.99) * 1000, 1),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 1),
            "elapsed_s": round(self.elapsed, 1),
        }


async def _timed(
    stats: Stats, call: Any, expected: tuple[int, ...], label: str
) -> httpx.Response | None:
    start = time.monotonic()
    try:
        response: httpx.Response = await call
    except httpx.TransportError as exc:
        stats.latencies.append(time.monotonic() - start)
        stats.transport_errors[type(exc).__name__] += 1
        return None
    stats.latencies.append(time.monotonic() - start)
    stats.statuses[str(response.status_code)] += 1
    if response.status_code not in expected:
        stats.unexpected[f"{response.status_code} {label}"] += 1
    return response


async def _write(client: httpx.AsyncClient, stats: Stats, key: str, commitment: str) -> None:
    """PATCH the summary (toggling a mark), with If-Match; a 412 means another writer got in
    first: read again and retry (at most 5 times)."""
    stats.writes += 1
    path = f"/commitments/{commitment}"
    for _ in range(5):
        read = await _timed(stats, client.get(path), (200,), "GET before PATCH")
        if read is None or read.status_code != 200:
            return
        summary: str = read.json()["summary"]
        new = summary[: -len(MARK)] if summary.endswith(MARK) else summary + MARK
        response = await _timed(
            stats,
            client.patch(
                path,
                json={"summary": new, "reason": "load test"},
                headers={"Authorization": f"Bearer {key}", "If-Match": read.headers["etag"]},
            ),
            (200, 412),
            "PATCH",
        )
        if response is None or response.status_code != 412:
            return
        stats.retries_412 += 1


async def run_load(
    base: str,
    connections: int,
    duration: float,
    key: str | None,
    targets: Targets,
    seed: int = 0,
    write_share: float = WRITE_SHARE,
) -> Stats:
    """``connections`` clients, each with its own keep-alive connection, for ``duration``
    seconds (each request bounded by REQUEST_TIMEOUT)."""
    stats = Stats()
    deadline = time.monotonic() + duration
    write_targets = targets.commitments[:WRITE_TARGETS]

    async def client_loop(n: int) -> None:
        rng = random.Random(seed * 1000 + n)  # noqa: S311 - not for security
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT, limits=limits
        ) as client:
            while time.monotonic() < deadline:
                if key and rng.random() < write_share:
                    await _write(client, stats, key, rng.choice(write_targets))
                else:
                    path = targets.read_path(rng)
                    await _timed(stats, client.get(path), (200,), path.split("?")[0])

    start = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(client_loop(n) for n in range(connections))),
        timeout=duration + REQUEST_TIMEOUT * 6 + 10,
    )
    stats.elapsed = time.monotonic() - start
    return stats


# --- clients that drop mid-request -----------------------------------------------------------

SLOW_PATHS = (
    "/commitments?format=csv&limit=500",
    "/commitments?limit=500",
    "/nations?include_coalition=true&limit=500&role=naval",
    "/changes?limit=500",
    "/summary",
    "/statements?limit=500",
)


async def _drop_raw(port: int, path: str, rng: random.Random) -> None:
    """Send a request (whole, or cut in the middle of the headers) and reset the connection
    (SO_LINGER 0: an RST, not a FIN) before the answer is read."""
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5.0)
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: */*\r\n\r\n".encode()
        if rng.random() < 0.15:
            request = request[: len(request) // 2]
        writer.write(request)
        with contextlib.suppress(OSError):
            await writer.drain()
        await asyncio.sleep(rng.uniform(0.0, 0.08))
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


async def _drop_httpx(base: str, path: str, rng: random.Random) -> None:
    """An httpx request cancelled mid-flight (the client closes the connection)."""
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        task = asyncio.ensure_future(client.get(path))
        await asyncio.sleep(rng.uniform(0.0, 0.08))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await task


async def abort_burst(base: str, port: int, clients: int, rng: random.Random) -> None:
    jobs = []
    for _ in range(clients):
        path = rng.choice(SLOW_PATHS)
        if "?" in path:
            # An offset of its own, mostly: an answer from the response cache would leave the
            # server no database work to be interrupted in.
            path += f"&offset={rng.randrange(30)}"
        if rng.random() < 0.5:
            jobs.append(_drop_raw(port, path, rng))
        else:
            jobs.append(_drop_httpx(base, path, rng))
    await asyncio.wait_for(asyncio.gather(*jobs), timeout=30.0)


async def probe(base: str, path: str = "/summary", timeout: float = REQUEST_TIMEOUT) -> float:
    """Seconds a fresh client waits for a database-backed GET (raises if not 200)."""
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        response = await client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"probe {path}: {response.status_code} {response.text[:300]}")
    return time.monotonic() - start


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


def log_findings(text: str) -> dict[str, int]:
    """Lines in the server log that mean trouble."""
    return {
        "tracebacks": text.count("Traceback"),
        "queuepool_exhausted": text.count("QueuePool limit"),
        "status_5xx_lines": sum(1 for line in text.splitlines() if '" 5' in line),
    }


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
