"""How long a full garbage collection pauses a process that has answered the given pages: what
is kept per data revision (the disputes, tallies, items) is walked by every full collection,
and a collection stops every request of the process while it runs.

    python -m bench.gc_pause /path/to/synth-1000x.sqlite3
    python -m bench.gc_pause postgresql+psycopg://postgres@127.0.0.1:5432/synth_1000x /disputes /

The app runs in process with its lifespan, as `pledgedb serve` runs it (what lives long is
frozen out of the collector's sight: app.api.collector), the response cache off. After each
page: the fastest of three full collections (`gc.collect()`), ms, the objects the collector
walks then and those frozen. Then the first request after a status change of the coalition's
first commitment, with the collections that ran during it (`gc.callbacks`), a few times; then
a collection with everything kept per revision forgotten."""

import asyncio
import gc
import sys
import time
from typing import Any

from app.reads.per_revision import forget_all
from bench.scale import Writer, bench_key, in_process

PAGES = [
    "/disputes", "/nations/DE", "/nations", "/commitments", "/summary", "/", "/explore/summary",
]  # fmt: skip
WRITES = 6


def full_collection_ms() -> float:
    fastest = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        gc.collect()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest * 1000


def collection() -> str:
    """A full collection's pause, and the objects it walks then (those it tracks, frozen ones
    left out: app.api.collector) and those frozen."""
    ms = full_collection_ms()
    return (
        f"{ms:.1f} ms, {len(gc.get_objects()):,} objects tracked, {gc.get_freeze_count():,} frozen"
    )


class Collections:
    """The collections that run while it is on, and how long they took (ms)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.ms = 0.0
        self.runs = [0, 0, 0]
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self.started) * 1000
            self.runs[info["generation"]] += 1

    def reset(self) -> None:
        self.ms, self.runs = 0.0, [0, 0, 0]


async def main(url: str, pages: list[str]) -> None:
    async with in_process(url) as target:  # with the app's lifespan, as served
        client = target.client
        print(f"started: {collection()}")
        for page in pages:
            status = (await client.get(page)).status_code
            print(f"after {page} ({status}): {collection()}")
        params: dict[str, str | int] = {"limit": 1, "actor": "coalition"}
        first = (await client.get("/commitments", params=params)).json()["items"][0]["id"]
        writer = Writer(client, bench_key(url), first, "status")
        collections = Collections()
        for _ in range(WRITES):
            await writer.write()
            collections.reset()
            started = time.perf_counter()
            status = (await client.get(pages[0])).status_code
            took = (time.perf_counter() - started) * 1000
            print(
                f"first {pages[0]} after a status change ({status}): {took:.1f} ms, of which "
                f"collections {collections.ms:.1f} ms (by generation: {collections.runs})"
            )
        forget_all()
        print(f"forgotten: {collection()}")


if __name__ == "__main__":
    where = sys.argv[1]
    asyncio.run(main(where if "://" in where else f"sqlite:///{where}", sys.argv[2:] or PAGES))
