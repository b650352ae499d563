"""The varied-URL workload (issue 13): the reads a dashboard and its users send, hundreds of
distinct URLs in a shuffled cycle, against pledgedb as shipped (response cache on) and against
Datasette answering the same questions; and pledgedb on PostgreSQL against SQLite.

    .venv/bin/python -m bench.speed --varied --seconds 10 --rounds 3 [--write-results]

The URLs come from the seeded database through the API: every nation's page, `/nations` by
each role and by each role × status, `/commitments` unfiltered, by role, by status and by role
× status, as JSON and as CSV, every page of `/commitments` and of each status 5 a page (the
first and the deep ones, by the `next_cursor` the API gives), `/conditions` and `/statements`
whole and 5 a page, and `/summary`. Each is mapped to the canned query of
bench/datasette/metadata.yaml that answers the same question, and checked before any
measuring: Datasette's rows must be pledgedb's (bench.speed.differences), and every server
must answer every URL 200. `/disputes` and `/disputes/{id}` are left out of both sides:
the disputes are found by Python rules (app/reads/disputes.py), not by a query Datasette could
run; the report counts them.

The machinery is bench/speed.py's: the seeded databases, the servers (2 workers each, cold
and warm pledgedb on both backends, Datasette), wrk and its Lua hook. Here a Lua `request()`
cycles through the URL list, shuffled once (seed 13): every server gets the same sequence of
questions in its own URLs. A first pass over each server fills the response caches (10
requests per URL: each worker's first answer to each URL; reported, not counted); then rounds
take turns over the servers; each figure is the median of the rounds, and each ratio the
median of the ratios within a round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import httpx

from app.vocab import Role, Status
from bench.speed import (
    OWN_FLOOR,
    PG_FACTOR,
    PORTS,
    QUERIES,
    WRK_SCRIPT,
    Cell,
    Query,
    Target,
    datasette_rows,
    differences,
    normalised,
    publish,
    ratio,
    run_wrk,
    running,
    seeded_targets,
    without_base,
)

BEGIN, END = "<!-- varied -->", "<!-- /varied -->"
HEADING = "Varied-URL workload (issue 13)"
TEMPLATES = {q.canned: q for q in QUERIES}  # each canned query's JSON columns and fields
for _canned in ("conditions_page", "statements_page"):  # pages like the commitments' pages
    TEMPLATES[_canned] = replace(TEMPLATES["commitments_page"], canned=_canned)
PAGE_SIZE = 5  # the paged walks: 5 a page, so the seed's lists run to several pages
SHUFFLE_SEED = 13
# The first pass sends this many requests per URL at least: with 2 workers, the chance that a
# worker never gets a given URL is about 2 × 0.5^10, under one URL in the 357.
FILL = 10

# Issue 13's first target (SQLite, 2 workers, response cache on) and PostgreSQL's.
VARIED_FACTOR = 1.5
VARIED_P99_MS = 50.0


@dataclass
class Workload:
    queries: list[Query] = field(default_factory=list)  # key: the URL's class
    left_out: list[str] = field(default_factory=list)  # pledgedb URLs Datasette cannot answer

    def add(self, key: str, canned: str, path: str, params: Sequence[tuple[str, str]]) -> None:
        self.queries.append(replace(TEMPLATES[canned], key=key, path=path, params=tuple(params)))

    def classes(self) -> Counter[str]:
        return Counter(q.key for q in self.queries)


async def walk(
    client: httpx.AsyncClient, first: str
) -> AsyncIterator[tuple[str, dict[str, object]]]:
    """Every page of a list from its first, by the `next_cursor` each gives: (path, body)."""
    path = first
    while True:
        response = await client.get(path)
        response.raise_for_status()
        body: dict[str, object] = response.json()
        yield path, body
        if not body.get("next_cursor"):
            return
        path = f"{first}{'&' if '?' in first else '?'}cursor={body['next_cursor']}"


def ids(body: dict[str, object], name: str = "id") -> list[str]:
    items = body["items"]
    assert isinstance(items, list)  # noqa: S101
    return [str(item[name]) for item in items]


async def varied_workload(client: httpx.AsyncClient) -> Workload:
    """The URLs, found through the API of the server `client` reads (its seeded data)."""
    work = Workload()
    roles, statuses = [r.value for r in Role], [s.value for s in Status]
    async for _, page in walk(client, "/nations?limit=50"):
        for code in ids(page, "code"):
            work.add("nation page", "nation_detail", f"/nations/{code}", [("code", code)])
    for role in roles:
        for status in ["", *statuses]:
            params = [("role", role), *([("status", status)] if status else [])]
            key = "nations by role × status" if status else "nations by role"
            work.add(key, "nations_by_role", f"/nations?{urlencode(params)}", params)
    filters: list[list[tuple[str, str]]] = [
        [],
        *([("role", r)] for r in roles),
        *([("status", s)] for s in statuses),
        *([("role", r), ("status", s)] for r in roles for s in statuses),
    ]
    for params in filters:
        query = f"?{urlencode(params)}" if params else ""
        work.add("commitments, JSON", "commitments_page", f"/commitments{query}", params)
        csv = urlencode([*params, ("format", "csv")])
        work.add("commitments, CSV", "commitments_by_role", f"/commitments?{csv}", params)
    pages = [("commitments", params) for params in [[], *([("status", s)] for s in statuses)]]
    for kind, params in [*pages, ("conditions", []), ("statements", [])]:
        first = f"/{kind}?{urlencode([*params, ('limit', str(PAGE_SIZE))])}"
        after = ""  # the last id of the page before: none before the first
        async for path, page in walk(client, first):
            keyset = [*params, ("size", str(PAGE_SIZE)), *([("after", after)] if after else [])]
            key = "deep page" if after else "first page of 5"
            work.add(key, f"{kind}_page", path, keyset)
            after = (ids(page) or [after])[-1]
    for kind in ("conditions", "statements"):
        work.add(kind, f"{kind}_page", f"/{kind}", [])
    work.add("summary", "summary", "/summary", [])
    work.left_out.append("/disputes")
    async for _, page in walk(client, "/disputes"):
        work.left_out += [f"/disputes/{d}" for d in ids(page)]
    paths = [q.path for q in work.queries]
    if len(set(paths)) != len(paths):
        raise RuntimeError("the varied workload names a URL twice")
    return work


async def workload_of(base: str) -> Workload:
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        return await varied_workload(client)


# --- checking and measuring --------------------------------------------------------------------


def check_workload(work: Workload, targets: Sequence[Target], reference: Target) -> list[str]:
    """Every target answers every URL 200; Datasette with pledgedb's rows, PostgreSQL with the
    same bytes as SQLite, timestamps aside (a difference there is noted, not fatal)."""
    problems: list[str] = []
    clients = {t.name: httpx.Client(base_url=t.base, timeout=30.0) for t in targets}
    try:
        for query in work.queries:
            expected = without_base(clients[reference.name].get(query.path).content)
            for target in targets:
                path = query.datasette_path if target.kind == "datasette" else query.path
                response = clients[target.name].get(path)
                if response.status_code != 200:
                    problems.append(f"{target.name} {path}: {response.status_code}")
                elif target.kind == "datasette":
                    found = differences(query, expected, datasette_rows(query, response.content))
                    problems += [f"{target.name} {path}: {'; '.join(found[:3])}"] if found else []
                elif normalised(without_base(response.content)) != normalised(expected):
                    print(f"note: {target.name} answers {path} differently", file=sys.stderr)
    finally:
        for client in clients.values():
            client.close()
    return problems


def lua_script(paths: Sequence[str]) -> str:
    """wrk's script: `request()` cycles through the paths, then WRK_SCRIPT's counting."""
    for path in paths:
        if any(c in path for c in '"\\\n'):
            raise ValueError(f"not a plain URL: {path!r}")
    listed = ",\n".join(f'  "{p}"' for p in paths)
    cycle = (
        f"local paths = {{\n{listed}\n}}\nlocal next_path = 0\n"
        "function request()\n"
        "  next_path = next_path % #paths + 1\n"
        "  return wrk.format(nil, paths[next_path])\n"
        "end\n"
    )
    return cycle + WRK_SCRIPT


def measure(
    targets: Sequence[Target],
    scripts: dict[str, Path],
    urls: int,
    args: argparse.Namespace,
    wrk: str,
) -> tuple[dict[str, Cell], dict[str, Cell], list[float]]:
    """A first pass over every target, wrk runs until it has sent FILL times as many requests
    as there are URLs (each worker has then answered each URL, and the response cache is
    full), then rounds, each over every target in turn: the first passes and the rounds by
    target, and the load averages seen."""
    first = {t.name: Cell() for t in targets}
    cells = {t.name: Cell() for t in targets}
    loads = [os.getloadavg()[0]]

    def one(t: Target, cell: Cell) -> None:
        run = run_wrk(wrk, scripts[t.name], t.base + "/", args.seconds, args.connections,
                      args.threads)  # fmt: skip
        cell.runs.append(run)
        loads.append(os.getloadavg()[0])
        print(f"  {t.name}: {run.rps:,.0f} req/s, p99 {run.p99_ms:.1f} ms, "
              f"{run.non2xx + run.socket_errors} errors", file=sys.stderr)  # fmt: skip

    print(f"first pass: at least {FILL * urls:,} requests to each server", file=sys.stderr)
    for t in targets:
        while sum(r.requests for r in first[t.name].runs) < FILL * urls:
            one(t, first[t.name])
    print(f"measuring: {args.rounds * len(targets)} wrk runs of {args.seconds} s", file=sys.stderr)
    for round_ in range(args.rounds):
        for t in targets:
            one(t, cells[t.name])
        print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    return first, cells, loads


# --- report ------------------------------------------------------------------------------------


def round_ratio(a: Cell, b: Cell) -> tuple[float, list[float]]:
    """a ÷ b in requests/s, round by round (each round's two runs minutes apart at most): the
    median and the rounds'."""
    each = [ratio(x.rps, y.rps) for x, y in zip(a.runs, b.runs, strict=True)]
    return statistics.median(each), each


def report(
    work: Workload,
    targets: Sequence[Target],
    first: dict[str, Cell],
    cells: dict[str, Cell],
    loads: list[float],
    args: argparse.Namespace,
) -> str:
    def find(kind: str, backend: str, mode: str) -> Cell | None:
        for t in targets:
            if (t.kind, t.backend, t.mode) == (kind, backend, mode):
                return cells[t.name]
        return None

    classes = ", ".join(f"{n} {key}" for key, n in work.classes().items())
    lines = [
        f"{len(work.queries)} distinct URLs on each side ({classes}); left out of both sides, "
        f"as Datasette cannot answer them (disputes are found by Python rules, not SQL): "
        f"{len(work.left_out)} (`/disputes` and {len(work.left_out) - 1} `/disputes/{{id}}`). "
        f"Shuffled once (seed {SHUFFLE_SEED}); every server cycles through the same sequence.",
        "",
        f"Median of {args.rounds} round(s) of {args.seconds} s, {args.connections} connections, "
        f"{args.threads} wrk thread(s), 2 workers each; load average (1 min) "
        f"{min(loads):.1f}–{max(loads):.1f} during the run. *First pass*: before the rounds, "
        f"runs of the same length until each server has had {FILL} requests per URL (each "
        "worker's first answers: the response cache fills; not in the medians): its first "
        "run, and how many runs it took. Errors: non-2xx plus socket errors, all runs.",
        "",
        "| target | req/s | p50 ms | p99 ms | req/s by round | p99 by round "
        "| first pass: req/s · p99 (runs) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in targets:
        c, f = cells[t.name], first[t.name]
        by_round = " / ".join(f"{r.rps:,.0f}" for r in c.runs)
        p99s = " / ".join(f"{r.p99_ms:.1f}" for r in c.runs)
        lines.append(
            f"| {t.name} | {c.rps:,.0f} | {c.p50:.1f} | {c.p99:.1f} | {by_round} | {p99s} "
            f"| {f.runs[0].rps:,.0f} · {f.runs[0].p99_ms:.1f} ({len(f.runs)}) "
            f"| {c.errors + f.errors} |"
        )
    warm, cold = find("pledgedb", "sqlite", "warm"), find("pledgedb", "sqlite", "cold")
    pg_warm = find("pledgedb", "postgresql", "warm")
    pg_cold = find("pledgedb", "postgresql", "cold")
    dsette = find("datasette", "sqlite", "")
    pairs = [
        ("pledgedb SQLite, cache on ÷ Datasette", warm, dsette),
        ("pledgedb SQLite, cache off ÷ Datasette", cold, dsette),
        ("pledgedb PostgreSQL, cache on ÷ SQLite, cache on", pg_warm, warm),
        ("pledgedb PostgreSQL, cache off ÷ SQLite, cache off", pg_cold, cold),
    ]
    lines += ["", "Ratios of requests/s within each round (median; the rounds):", ""]
    lines += ["| ratio | median | rounds |", "|---|---|---|"]
    for label, a, b in pairs:
        if a and b:
            mid, each = round_ratio(a, b)
            lines.append(f"| {label} | {mid:.2f} | {' / '.join(f'{x:.2f}' for x in each)} |")
    lines += ["", "Targets (2 workers, response cache on as shipped):", ""]
    if warm and dsette:
        mid, _ = round_ratio(warm, dsette)
        ok = mid >= VARIED_FACTOR and warm.p99 <= VARIED_P99_MS
        lines.append(
            f"- ≥ {VARIED_FACTOR:g}× Datasette's requests/s with p99 ≤ {VARIED_P99_MS:g} ms "
            f"(SQLite): {mid:.2f}×, p99 {warm.p99:.1f} ms (Datasette's {dsette.p99:.1f} ms): "
            f"**{'met' if ok else 'not met'}**"
        )
    if pg_warm and warm:  # not with --skip-postgres
        mid, _ = round_ratio(warm, pg_warm)
        met = "met" if mid <= PG_FACTOR else "not met"
        lines.append(
            f"- PostgreSQL within {PG_FACTOR:g}× of SQLite: SQLite {mid:.2f}× PostgreSQL's "
            f"requests/s, p99 {pg_warm.p99:.1f} ms against {warm.p99:.1f} ms: **{met}**"
        )
    return "\n".join(lines)


# --- the command -------------------------------------------------------------------------------


def run_varied(args: argparse.Namespace, wrk: str, command: str) -> int:
    """`python -m bench.speed --varied`: bench.speed.main has checked for wrk and Datasette."""
    started = dt.datetime.now(dt.UTC)
    ports = iter(PORTS)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-varied-")))
        # pledgedb's own floor (`/healthz`) is a fixed query's measure, not a workload's.
        targets = [t for t in seeded_targets(stack, folder, args) if t.kind != OWN_FLOOR]
        # Taking turns: pledgedb as shipped, Datasette, then the others.
        order = {("pledgedb", "sqlite", "warm"): 0, ("datasette", "sqlite", ""): 1}
        targets.sort(key=lambda t: order.get((t.kind, t.backend, t.mode), 2))
        print(f"starting {len(targets)} servers ...", file=sys.stderr)
        stack.enter_context(running(targets, folder, ports))
        reference = targets[0]
        work = asyncio.run(workload_of(reference.base))
        print(f"{len(work.queries)} URLs; checking every answer ...", file=sys.stderr)
        problems = check_workload(work, targets, reference)
        if problems:
            print(f"not measuring; {len(problems)} wrong answers:", file=sys.stderr)
            for problem in problems[:40]:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        order_of_questions = list(work.queries)
        random.Random(SHUFFLE_SEED).shuffle(order_of_questions)  # noqa: S311 - not for security
        scripts = {}
        for t in targets:
            paths = [q.datasette_path if t.kind == "datasette" else q.path
                     for q in order_of_questions]  # fmt: skip
            scripts[t.name] = folder / f"varied-{t.port}.lua"
            scripts[t.name].write_text(lua_script(paths), encoding="utf-8")
        first, cells, loads = measure(targets, scripts, len(work.queries), args, wrk)

    body = report(work, targets, first, cells, loads, args)
    publish(started, command, body, args, markers=(BEGIN, END), heading=HEADING)
    return 0
