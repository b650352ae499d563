"""What one request costs in process, the ASGI app called directly (no HTTP client, no server),
the response cache off, one request at a time: the cold path without the load generator's
share of the two cores.

    python -m bench.per_request                       # the seed, in a scratch SQLite file
    python -m bench.per_request --database-url URL    # a database of yours (migrated, loaded)
    python -m bench.per_request --first URL           # the first request after start instead

By default: after a warm-up, --rounds medians of --repeat requests for each path in turn (the
paths alternate, so that noise from the rest of the machine falls on all of them), ms. With
`--first`: each path asked of a new app (its lifespan run, nothing kept yet), timed, then once
more; at 1,000x the seed (`bench.scale --keep DIR` builds one) that is what a first request
after start costs."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT
from app.facts.files import load_dataset
from app.main import create_app
from bench.scale import app_settings, seeded
from tests.asgi_stream import get_scope

PATHS = [
    "/healthz",
    "/nations?role=naval",
    "/nations/DE",
    "/commitments?role=training&format=csv",
    "/summary",
    "/commitments?status=pledged&limit=5",
]
FIRST_PATHS = [
    "/disputes", "/explore/disputes", "/summary", "/roles", "/datapackage/commitments.csv",
    "/nations/DE", "/disputes?nation=DE", "/", "/nations", "/sources",
]  # fmt: skip


async def call(app: Any, target: str) -> int:
    """One GET through the whole app, middleware included; its status."""
    path, _, query = target.partition("?")
    scope = get_scope(path, query, host="bench")
    sent = False
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def per_request(url: str, paths: Sequence[str], rounds: int, repeat: int) -> None:
    app = create_app(app_settings(url))
    async with app.router.lifespan_context(app):
        for path in paths:
            for _ in range(repeat // 4 + 1):
                status = await call(app, path)
            if status != 200:
                raise SystemExit(f"{path}: {status}")
        medians: dict[str, list[float]] = {path: [] for path in paths}
        for _ in range(rounds):
            for path in paths:
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    await call(app, path)
                    times.append(time.perf_counter() - started)
                medians[path].append(statistics.median(times) * 1000)
    for path, found in medians.items():
        print(f"{path}: " + " ".join(f"{ms:.3f}" for ms in found) + " ms")
    app.state.engine.dispose()


async def first_after_start(url: str, paths: Sequence[str]) -> None:
    for path in paths:
        app = create_app(app_settings(url))
        async with app.router.lifespan_context(app):
            started = time.perf_counter()
            status = await call(app, path)
            first = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            await call(app, path)
            again = (time.perf_counter() - started) * 1000
        app.state.engine.dispose()
        print(f"{path}: first after start {first:,.0f} ms ({status}), then {again:.1f} ms")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: the seed in a scratch SQLite file")
    parser.add_argument("--first", metavar="URL", help="time each path's first request at URL")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("paths", nargs="*", help="paths to time (default: the speed queries)")
    args = parser.parse_args(argv)
    if args.first:
        asyncio.run(first_after_start(args.first, args.paths or FIRST_PATHS))
        return
    with tempfile.TemporaryDirectory(prefix="pledgedb-per-request-") as folder:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{Path(folder) / 'seed.sqlite3'}"
            seeded(url, load_dataset(PROJECT_ROOT / "data"))
        asyncio.run(per_request(url, args.paths or PATHS, args.rounds, args.repeat))


if __name__ == "__main__":
    main()
