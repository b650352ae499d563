"""What compression gives and costs: bytes on the wire per encoding, and the in-process time of
an answer from the response cache (a polling dashboard's request) and from the application,
per encoding.

    .venv/bin/python -m bench.compression [--repeat 200]

It makes a scratch SQLite database, migrated and seeded as the tests do, and asks it through
httpx's ASGI transport (no network, no server: what the middleware stack itself costs). Each
time is the median of --repeat requests after warm-ups; "cold" runs with the response cache
off, "cached" with it on (every request a hit). The bytes are what the answer's body weighs
as sent (Content-Length)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.facts.files import load_dataset
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker

ENCODINGS = ("identity", "gzip", "br", "zstd")
PATHS = (
    "/commitments?limit=500",
    "/commitments?limit=500&format=csv",
    "/nations?limit=500",
    "/nations/DE",
    "/summary",
)


def seeded(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed(session, load_dataset(PROJECT_ROOT / "data"))
    engine.dispose()
    return url


async def median_ms(client: httpx.AsyncClient, path: str, encoding: str, repeat: int) -> float:
    headers = {"Accept-Encoding": encoding}
    for _ in range(3):
        await client.get(path, headers=headers)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
    return statistics.median(times)


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = seeded(Path(folder))
        apps = {
            "cold": create_app(Settings(database_url=url, response_cache_entries=0)),
            "cached": create_app(Settings(database_url=url)),
        }
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b")
            for name, app in apps.items()
        }
        print(f"{'path':36} {'encoding':9} {'bytes':>8} {'cold ms':>8} {'cached ms':>9}")
        for path in PATHS:
            for encoding in ENCODINGS:
                sizing = await clients["cold"].get(path, headers={"Accept-Encoding": encoding})
                size = int(sizing.headers["content-length"])
                cold = await median_ms(clients["cold"], path, encoding, repeat)
                cached = await median_ms(clients["cached"], path, encoding, repeat)
                print(f"{path:36} {encoding:9} {size:8d} {cold:8.2f} {cached:9.3f}")
        for name, client in clients.items():
            await client.aclose()
            apps[name].state.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    asyncio.run(main(parser.parse_args().repeat))
