"""Latency of the list and filter endpoints at 1× (the seed) and at FACTOR× (`pledgedb synth`),
and of deep pages against the first.

    .venv/bin/python -m bench.scale
    .venv/bin/python -m bench.scale --factor 1000 --repeat 15 \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/pledgedb_dev --write-results

For each backend (SQLite always, PostgreSQL with --pg-url) it makes two scratch databases: one
migrated and seeded from the fact files, as the tests do, and one filled by `pledgedb synth
--factor FACTOR`. Requests run in process (httpx's ASGI transport against
`app.main.create_app`), with the response cache off where the settings have one, so every
request runs its queries. Each figure is the median of --repeat requests after two warm-ups.

- *1× vs FACTOR×*: the first page of each endpoint at both scales, as many rows at both (the
  rows of the 1× page, at most --limit): what scale costs, not what a fuller page costs.
- *Deep pages*: follow `next` until --deep of the rows lie behind, then time the page there
  by its cursor, and the same page by `offset`; both against the first page.
- *repeated* vs *first of its filter*: a list keeps its `total` per data revision
  (app.api.totals.counted_total), so a repeated filter does not count again; each request is
  timed both ways (the kept totals emptied before the first).
- *count*: the time of the `SELECT count(*)` behind `total` in a filter's first request,
  timed at the driver (SQLAlchemy cursor events).

`--endpoints` (issue 13) times every GET route of the OpenAPI document instead, with example
paths found in each database (nation pages for several nations, `/summary`, `/roles`,
`/disputes` and one nation's, a CSV, `/changes`, `/sources/{id}`, the data package and one of
its CSVs) and the explorer's pages; each at 1× and FACTOR×:

- *repeated*: the median of --repeat requests after a warm-up (what is kept per data revision
  is kept);
- *first after a write*: a write through the API (`--write`: by default a correction of one
  commitment's summary, `PATCH /commitments/{id}`; `status` flips its status, `create` adds a
  commitment and retracts it the next time), then the request, timed; the median of
  --after-write such pairs;
- *as_of*: the same request at a moment after the last change (a state rebuilt from the audit
  log, app.curation.history), repeated.

With `--keep DIR` the SQLite databases are built once into DIR and reused by later runs (the
writes undo each other). `--only REGEX` times only the URLs it finds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.curation.synth import synthesize
from app.facts.files import Dataset, load_dataset
from app.main import create_app
from app.reads.per_revision import forget_all
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from bench.load import scratch_database

RESULTS = PROJECT_ROOT / "bench" / "RESULTS.md"
START_MARK, END_MARK = "<!-- scale -->", "<!-- /scale -->"
# Endpoint, query: what a dashboard or a newsroom script asks most.
CASES: list[tuple[str, dict[str, str]]] = [
    ("/commitments", {}),
    ("/commitments", {"role": "training"}),
    ("/commitments", {"nation": "IT"}),
    ("/nations", {"role": "training"}),
    ("/events", {}),
    ("/sources", {}),
    ("/statements", {}),
]


@dataclass
class Timing:
    ms: float  # median request time, its total already counted (a repeated filter)
    counted_ms: float  # median request time when it counts its total (a filter's first request)
    count_ms: float  # median time of the count(*) statements in that request
    sql_ms: float  # median time of all its statements
    items: int
    total: int


@dataclass
class CaseResult:
    name: str
    first: dict[str, Timing] = field(default_factory=dict)  # by scale label, same page size
    deep_first: Timing | None = None  # first page of --limit rows at the large scale
    deep_cursor: Timing | None = None  # at the large scale
    deep_offset: Timing | None = None
    position: int = 0  # rows before the deep page


class StatementClock:
    """Driver-level time of each SQL statement the app's engine runs."""

    def __init__(self, engine: Engine) -> None:
        self.log: list[tuple[str, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _stmt: str, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info["bench_started"].pop()
        self.log.append((statement, (time.perf_counter() - started) * 1000))


COUNT = re.compile(r"^\s*SELECT count\(\*\)", re.IGNORECASE)


@dataclass
class Target:
    """One app in process, and the time its engine spends in SQL."""

    client: httpx.AsyncClient
    clock: StatementClock


async def timed_together(requests: list[tuple[Target, str]], repeat: int) -> list[Timing]:
    """Time the requests in turn, round after round: on a shared machine, load that comes and
    goes then weighs on all of them alike, not on whichever was measured at the time."""
    samples: list[list[tuple[float, float, float, float]]] = [[] for _ in requests]
    bodies: list[dict[str, Any]] = [{} for _ in requests]
    for round_ in range(repeat + 2):
        for i, (target, url) in enumerate(requests):
            # Each request twice: as the first of its filter (app.api.listing counts the total,
            # then keeps it until the data changes), and again (the total kept).
            forget_all()
            target.clock.log.clear()
            started = time.perf_counter()
            response = await target.client.get(url)
            counted = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            log = list(target.clock.log)
            target.clock.log.clear()
            started = time.perf_counter()
            response = await target.client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if round_ < 2:  # warm-ups: connection pool, statement caches
                continue
            count_ms = sum(ms for stmt, ms in log if COUNT.match(stmt))
            samples[i].append((elapsed, counted, count_ms, sum(ms for _, ms in log)))
            bodies[i] = response.json()
    return [
        Timing(
            statistics.median(s[0] for s in rows),
            statistics.median(s[1] for s in rows),
            statistics.median(s[2] for s in rows),
            statistics.median(s[3] for s in rows),
            len(body["items"]),
            body["total"],
        )
        for rows, body in zip(samples, bodies, strict=True)
    ]


def page_url(path: str, params: dict[str, str], **extra: Any) -> str:
    return str(httpx.URL(path, params={**params, **{k: str(v) for k, v in extra.items()}}))


def app_settings(url: str) -> Settings:
    options: dict[str, Any] = {"database_url": url}
    if "response_cache_entries" in Settings.model_fields:
        options["response_cache_entries"] = 0
    # The bench writes before each *after write* request, faster than a curator may (429).
    if "write_rate_per_minute" in Settings.model_fields:
        options["write_rate_per_minute"] = 1_000_000
    return Settings(**options)


async def deep_cursor(
    client: httpx.AsyncClient, path: str, params: dict[str, str], args: argparse.Namespace
) -> tuple[int, str | None]:
    """Follow `next` from the first page until about --deep of the rows lie behind; return
    how many rows that is and the cursor that continues from there. Walks in big pages (the
    cursor does not depend on the page size), so reaching row 30,000 takes few requests."""
    first = (await client.get(page_url(path, params, limit=args.limit))).json()
    target = int(first["total"] * args.deep)
    step = max(args.limit, min(500, target // 20))
    url, behind, cursor = page_url(path, params, limit=step), 0, None
    while behind + step <= target:
        body = (await client.get(url)).json()
        if body["next_cursor"] is None:
            break
        behind, cursor, url = behind + len(body["items"]), body["next_cursor"], body["next"]
    return behind, cursor


@asynccontextmanager
async def in_process(url: str) -> AsyncIterator[Target]:
    app = create_app(app_settings(url))
    # An endpoint that fails answers 500 and is reported so, rather than ending the run.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        # With its lifespan, as `pledgedb serve` runs it (the garbage collector's policy,
        # app.api.collector, is the process's: on while any app of it serves).
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):
            yield Target(client, StatementClock(app.state.engine))
    finally:
        app.state.engine.dispose()


async def measure(
    one_url: str, big_url: str, big: str, results: list[CaseResult], args: argparse.Namespace
) -> None:
    async with in_process(one_url) as one, in_process(big_url) as many:
        for (path, params), result in zip(CASES, results, strict=True):
            first = page_url(path, params, limit=args.limit)
            rows_at_1x = len((await one.client.get(first)).json()["items"])
            same_size = page_url(path, params, limit=max(1, rows_at_1x))
            result.first["1×"], result.first[big] = await timed_together(
                [(one, same_size), (many, same_size)], args.repeat
            )
            result.position, cursor = await deep_cursor(many.client, path, params, args)
            if cursor is None:  # the list fits on one page: nothing deeper to time
                continue
            result.deep_first, result.deep_cursor, result.deep_offset = await timed_together(
                [
                    (many, first),
                    (many, page_url(path, params, limit=args.limit, cursor=cursor)),
                    (many, page_url(path, params, limit=args.limit, offset=result.position)),
                ],
                args.repeat,
            )


def seeded(url: str, data: Dataset) -> None:
    migrations.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed(session, data)
    engine.dispose()


@contextmanager
def databases(pg_url: str | None, data: Dataset, factor: int) -> Iterator[tuple[str, str, float]]:
    """A seeded 1× database and a synthetic FACTOR× one; yields both URLs and synth seconds."""
    with (
        tempfile.TemporaryDirectory(prefix="pledgedb-scale-") as folder,
        scratch_database(pg_url, Path(folder)) as one,
        scratch_database(pg_url, Path(folder)) as big,
    ):
        seeded(one, data)
        report = synthesize(big, data, factor)
        yield one, big, report.seconds


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def render(
    backend: str, factor: int, synth_s: float, results: list[CaseResult], limit: int, load: str
) -> str:
    big = f"{factor}×"
    lines = [
        f"**{backend}** (synthetic {big} database built in {synth_s:.1f} s; median ms per "
        f"request; {load}). First pages, as many rows at both scales (rows = items on the "
        "page / total):",
        "",
        f"| endpoint | rows 1× | rows {big} | repeated: 1× ms | {big} ms | ratio "
        f"| first of its filter: 1× ms | {big} ms | ratio | its count(*) ms 1× → {big} |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        one, many = r.first["1×"], r.first[big]
        lines.append(
            f"| `{r.name}` | {one.items}/{one.total} | {many.items}/{many.total} "
            f"| {one.ms:.1f} | {many.ms:.1f} | **{ratio(many.ms, one.ms)}** "
            f"| {one.counted_ms:.1f} | {many.counted_ms:.1f} "
            f"| **{ratio(many.counted_ms, one.counted_ms)}** "
            f"| {one.count_ms:.2f} → {many.count_ms:.2f} |"
        )
    lines += [
        "",
        f"Deep pages at {big}, pages of {limit}: the page after row N, reached by following "
        "`next` (then timed with its cursor) and by `offset=N`, against the first page.",
        "",
        "| endpoint | N | first ms | cursor ms | cursor/first | offset ms | offset/first |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        first, cursor, offset = r.deep_first, r.deep_cursor, r.deep_offset
        if first is None or cursor is None or offset is None:
            lines.append(f"| `{r.name}` | – | | one page only | | | |")
            continue
        lines.append(
            f"| `{r.name}` | {r.position} | {first.ms:.1f} | {cursor.ms:.1f} | "
            f"**{ratio(cursor.ms, first.ms)}** | {offset.ms:.1f} | {ratio(offset.ms, first.ms)} |"
        )
    return "\n".join(lines)


def run_backend(pg_url: str | None, data: Dataset, args: argparse.Namespace) -> str:
    backend = "PostgreSQL" if pg_url else "SQLite"
    results = [CaseResult(page_url(path, params)) for path, params in CASES]
    print(f"{backend}: building the 1× and {args.factor}× databases…", file=sys.stderr)
    with databases(pg_url, data, args.factor) as (one, big, synth_s):
        print(f"{backend}: measuring…", file=sys.stderr)
        load_before = os.getloadavg()[0]
        asyncio.run(measure(one, big, f"{args.factor}×", results, args))
        load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    return render(backend, args.factor, synth_s, results, args.limit, load)


# --- every GET endpoint (issue 13) -------------------------------------------------------------

# Not timed: a feed that never ends, and probes that read no data.
SKIPPED = frozenset({"/changes/stream", "/healthz", "/readyz"})
NATIONS = ("DE", "IT", "US", "FR", "GB")
AS_OF = "2100-01-01T00:00:00Z"  # after every change: the whole history, rebuilt


@dataclass
class EndpointTiming:
    url: str
    ms: dict[str, float] = field(default_factory=dict)  # repeated, by scale label
    after_write: dict[str, float] = field(default_factory=dict)
    as_of: dict[str, float] = field(default_factory=dict)
    # The first as_of read after a write: the past state rebuilt from the audit log.
    as_of_first: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)  # response bytes
    status: dict[str, int] = field(default_factory=dict)


@dataclass
class Writer:
    """Writes through the API, each write bumping the data revision and undone by the next (the
    data keeps its size). ``kind``: `summary` corrects one commitment's summary back and forth
    (a change no count, role or dispute rule reads); `status` flips its status between
    `considering` and `pledged` (what the roles, the nations list's inheritance and the
    disputes read);
    `create` adds a nation's commitment with the first one's evidence, then retracts it."""

    client: httpx.AsyncClient
    key: str
    fact_id: str
    kind: str = "summary"
    created: str | None = None

    async def write(self) -> None:
        url = f"/commitments/{self.fact_id}"
        read = await self.client.get(url)
        auth = {"Authorization": f"Bearer {self.key}"}
        if self.kind == "create":
            response = await (self._retract() if self.created else self._create(read.json()))
        else:
            # The other value than the fact holds: a write of the same value changes nothing
            # (and bumps no revision), whatever state a kept database was left in.
            current = read.json()
            if self.kind == "status":
                other = "pledged" if current["status"] == "considering" else "considering"
                body = {"status": other}
            else:
                body = {"summary": f"Bench correction {int(current['summary'].endswith('0.'))}."}
            headers = auth | {"If-Match": read.headers["etag"]}
            body["reason"] = "bench.scale"
            response = await self.client.patch(url, json=body, headers=headers)
        response.raise_for_status()

    async def finish(self) -> None:
        """Retract what the last write created, if it did: the data as the run found it."""
        if self.created:
            (await self._retract()).raise_for_status()

    async def _create(self, model: dict[str, Any]) -> httpx.Response:
        evidence = model["evidence"][0]
        body = {
            "actor": "nation",
            "nation": NATIONS[0],
            "role": model["role"],
            "status": "considering",
            "location": model["location"],
            "combat": model["combat"],
            "summary": "Bench creation.",
            "evidence": [
                {
                    "source": evidence["source"],
                    "quote": evidence["quote"],
                    "certainty": evidence["certainty"],
                    "outlet": evidence["outlet"]["id"] if evidence["outlet"] else None,
                    "hedge": evidence["hedge"],
                }
            ],
        }
        auth = {"Authorization": f"Bearer {self.key}"}
        response = await self.client.post("/commitments", json=body, headers=auth)
        self.created = response.headers.get("location")
        return response

    async def _retract(self) -> httpx.Response:
        assert self.created is not None  # noqa: S101 - created by the write before
        etag = (await self.client.get(self.created)).headers["etag"]
        headers = {"Authorization": f"Bearer {self.key}", "If-Match": etag}
        response = await self.client.post(
            f"{self.created}/retract", json={"reason": "bench.scale"}, headers=headers
        )
        self.created = None
        return response


def bench_key(url: str) -> str:
    from app.api.auth import create_key
    from app.vocab import Scope

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            key = create_key(session, f"bench-{time.time_ns()}", Scope.curator)
            session.commit()
    finally:
        engine.dispose()
    return key


async def example_urls(client: httpx.AsyncClient, openapi: dict[str, Any]) -> list[str]:
    """Every GET path of the OpenAPI document with its path parameters filled from the data,
    plus the variants a dashboard asks for and the explorer's pages."""

    async def first(path: str, key: str = "id") -> str:
        body = (await client.get(path, params={"limit": 1})).json()
        return str(body["items"][0][key]) if body.get("items") else "none"

    values = {
        "membership_id": await first("/memberships"),
        "commitment_id": await first("/commitments"),
        "condition_id": await first("/conditions"),
        "statement_id": await first("/statements"),
        "event_id": await first("/events"),
        "dispute_id": await first("/disputes"),
        "source_id": await first("/sources"),
        "proposal_id": "none",
        "name": "timeout",
        "table": "commitments",
        "code": NATIONS[0],
    }
    urls: list[str] = []
    for path, operations in openapi["paths"].items():
        if "get" not in operations or path in SKIPPED:
            continue
        urls.append(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path))
    urls += [f"/nations/{code}" for code in NATIONS[1:]]
    urls += [
        "/disputes?nation=DE",
        "/commitments?role=training&format=csv",
        "/",
        "/explore/nations/DE",
        "/explore/summary",
        "/explore/disputes",
        f"/explore/disputes/{values['dispute_id']}",
    ]
    return urls


async def time_get(client: httpx.AsyncClient, url: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await client.get(url)
    return (time.perf_counter() - started) * 1000, response


async def measure_endpoints(
    scales: dict[str, str], args: argparse.Namespace
) -> list[EndpointTiming]:
    """Each URL at each scale: repeated, first after a write, and at `as_of`."""
    results: dict[str, EndpointTiming] = {}
    async with contextlib.AsyncExitStack() as stack:
        targets = {
            label: await stack.enter_async_context(in_process(url)) for label, url in scales.items()
        }
        writers: dict[str, Writer] = {}
        urls: dict[str, list[str]] = {}
        for label, target in targets.items():
            client = target.client
            urls[label] = await example_urls(client, client._transport.app.openapi())  # type: ignore[attr-defined]
            # The coalition's first (the same at every scale, whatever a run left behind).
            params: dict[str, str | int] = {"limit": 1, "actor": "coalition"}
            commitment = (await client.get("/commitments", params=params)).json()
            writers[label] = Writer(
                client, bench_key(scales[label]), commitment["items"][0]["id"], args.write
            )
        for i, url in enumerate(urls[next(iter(urls))]):
            if args.only and not re.search(args.only, url):
                continue
            # The same endpoint at each scale (ids differ between databases: same position).
            for label, target in targets.items():
                scaled_url = urls[label][i]
                result = results.setdefault(url, EndpointTiming(url))
                print(f"  {label} {scaled_url}", file=sys.stderr, flush=True)
                client = target.client
                # Asked once first, untimed: what the URL keeps is then kept at the revision
                # before the write, and the figure is what the write costs it, not what its
                # first request in the process costs (a tally read whole, at 1,000x 284 ms).
                await client.get(scaled_url)
                after: list[float] = []
                for _ in range(args.after_write):
                    await writers[label].write()
                    ms, response = await time_get(client, scaled_url)
                    after.append(ms)
                result.after_write[label] = statistics.median(after) if after else 0.0
                times: list[float] = []
                for round_ in range(args.repeat + 1):
                    ms, response = await time_get(client, scaled_url)
                    if round_:
                        times.append(ms)
                result.ms[label] = statistics.median(times)
                result.size[label] = len(response.content)
                result.status[label] = response.status_code
                if (
                    args.as_of
                    and not scaled_url.startswith(("/explore", "/?"))
                    and scaled_url != "/"
                ):
                    sep = "&" if "?" in scaled_url else "?"
                    past = f"{scaled_url}{sep}as_of={AS_OF}"
                    times = []
                    for round_ in range(min(args.repeat, 3) + 1):
                        ms, response = await time_get(client, past)
                        if round_:
                            times.append(ms)
                        else:
                            result.as_of_first[label] = ms
                    result.as_of[label] = statistics.median(times)
        for writer in writers.values():
            await writer.finish()
    return list(results.values())


WRITTEN = {
    "summary": "a correction of a commitment's summary",
    "status": "a commitment's status flipped",
    "create": "a commitment created, or the one created before retracted",
}


def render_endpoints(
    backend: str, big: str, results: list[EndpointTiming], load: str, write: str = "summary"
) -> str:
    lines = [
        f"**{backend}**, every GET endpoint (median ms per request; {load}). *repeated*: after "
        f"a warm-up; *after write*: the first request after {WRITTEN[write]}; *as_of*: the same "
        "request at a moment after every change (repeated; *first*: the first such request "
        "after the write, which rebuilds the past state); status where not 200; KB: the "
        f"response at 1× → {big}.",
        "",
        f"| endpoint | 1× ms | {big} ms | ratio | after write 1× ms | {big} ms | ratio "
        f"| as_of {big} ms | as_of/live | as_of first {big} ms | KB 1× → {big} |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        one, many = r.ms.get("1×", 0.0), r.ms.get(big, 0.0)
        w1, wn = r.after_write.get("1×", 0.0), r.after_write.get(big, 0.0)
        asof = r.as_of.get(big)
        first = r.as_of_first.get(big)
        status = {s for s in r.status.values() if s != 200}
        flag = f" ({', '.join(map(str, sorted(status)))})" if status else ""
        lines.append(
            f"| `{r.url}`{flag} | {one:.1f} | {many:.1f} | **{ratio(many, one)}** "
            f"| {w1:.1f} | {wn:.1f} | **{ratio(wn, w1)}** "
            f"| {f'{asof:.1f}' if asof is not None else '–'} "
            f"| {ratio(asof, many) if asof is not None else '–'} "
            f"| {f'{first:.0f}' if first is not None else '–'} "
            f"| {r.size.get('1×', 0) / 1024:.1f} → {r.size.get(big, 0) / 1024:.1f} |"
        )
    return "\n".join(lines)


@contextmanager
def kept_databases(
    pg_url: str | None, data: Dataset, factor: int, keep: str | None
) -> Iterator[tuple[str, str, float]]:
    """`databases`, or with --keep (SQLite only) files in that folder built once and reused."""
    if keep is None or pg_url:
        with databases(pg_url, data, factor) as built:
            yield built
        return
    folder = Path(keep)
    folder.mkdir(parents=True, exist_ok=True)
    one, big = folder / "scale-1x.sqlite3", folder / f"scale-{factor}x.sqlite3"
    synth_s = 0.0
    if not one.exists():
        seeded(f"sqlite:///{one}", data)
    if not big.exists():
        synth_s = synthesize(f"sqlite:///{big}", data, factor).seconds
    yield f"sqlite:///{one}", f"sqlite:///{big}", synth_s


def run_endpoints(pg_url: str | None, data: Dataset, args: argparse.Namespace) -> str:
    backend = "PostgreSQL" if pg_url else "SQLite"
    big = f"{args.factor}×"
    print(f"{backend}: the 1× and {big} databases…", file=sys.stderr)
    with kept_databases(pg_url, data, args.factor, args.keep) as (one, many, _synth_s):
        load_before = os.getloadavg()[0]
        results = asyncio.run(measure_endpoints({"1×": one, big: many}, args))
        load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    return render_endpoints(backend, big, results, load, args.write)


def write_results(section: str, command: str, endpoints: bool = False) -> None:
    today = dt.date.today().strftime("%-d %B %Y")
    start_mark, end_mark = (
        ("<!-- scale-endpoints -->", "<!-- /scale-endpoints -->")
        if endpoints
        else (START_MARK, END_MARK)
    )
    title = "every GET endpoint" if endpoints else "1× against the synthetic database"
    block = (
        f"{start_mark}\n## Scale: {title}\n\n"
        f"Measured on {today} on this machine (2 CPUs), in process, with\n\n"
        f"```\n{command}\n```\n\n{section}\n{end_mark}"
    )
    text = RESULTS.read_text(encoding="utf-8")
    if start_mark in text and end_mark in text:
        head, rest = text.split(start_mark, 1)
        tail = rest.split(end_mark, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per figure")
    parser.add_argument("--limit", type=int, default=20, help="page size")
    parser.add_argument(
        "--deep", type=float, default=0.9, help="share of the rows before the deep page"
    )
    parser.add_argument("--pg-url", help="also measure PostgreSQL (scratch databases next to it)")
    parser.add_argument("--pg-only", action="store_true", help="with --pg-url: not SQLite")
    parser.add_argument("--write-results", action="store_true", help=f"update {RESULTS.name}")
    parser.add_argument(
        "--endpoints", action="store_true", help="time every GET endpoint (issue 13), not lists"
    )
    parser.add_argument(
        "--after-write", type=int, default=1, help="writes, each followed by a timed request"
    )
    parser.add_argument("--no-as-of", dest="as_of", action="store_false", help="skip as_of reads")
    parser.add_argument("--keep", help="folder to build the SQLite databases in once, and reuse")
    parser.add_argument(
        "--write",
        choices=("summary", "status", "create"),
        default="summary",
        help="the write before each *after write* request (see Writer)",
    )
    parser.add_argument(
        "--only", help="with --endpoints: time only the URLs this regular expression finds"
    )
    args = parser.parse_args()
    data = load_dataset(PROJECT_ROOT / "data")
    run = run_endpoints if args.endpoints else run_backend
    sections = [] if args.pg_only and args.pg_url else [run(None, data, args)]
    if args.pg_url:
        sections.append(run(args.pg_url, data, args))
    section = "\n\n".join(sections)
    print(section)
    if args.write_results:
        command = ".venv/bin/python -m bench.scale " + " ".join(
            make_url(a).render_as_string(hide_password=True) if "://" in a else a
            for a in sys.argv[1:]
        )
        write_results(section, command.strip(), args.endpoints)


if __name__ == "__main__":
    main()
