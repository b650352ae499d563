"""The load tests' request mix against a real server: reads weighted as a dashboard and a
reader of the site would weigh them, 5% writes (PATCH with If-Match, retried on 412), and
clients that drop mid-request. tests/test_load.py and bench/load.py run them."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.processes import HOST

REQUEST_TIMEOUT = 40.0  # longer than SQLAlchemy's 30 s pool timeout, so a stall shows as one
WRITE_SHARE = 0.05
WRITE_TARGETS = 4  # commitments the writers take turns on (so that 412s happen)
MARK = " [load]"


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


def log_findings(text: str) -> dict[str, int]:
    """Lines in the server log that mean trouble."""
    return {
        "tracebacks": text.count("Traceback"),
        "queuepool_exhausted": text.count("QueuePool limit"),
        "status_5xx_lines": sum(1 for line in text.splitlines() if '" 5' in line),
    }
