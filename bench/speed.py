"""Side-by-side speed: pledgedb against Datasette on the same data, and against a bare ASGI app
(the ceiling of this server on this machine), measured with wrk on loopback.

    .venv/bin/python -m bench.speed                   # about 7 minutes
    .venv/bin/python -m bench.speed --quick           # about 2 minutes, a smoke run
    .venv/bin/python -m bench.speed --write-results   # also rewrite the section of RESULTS.md
    .venv/bin/python -m bench.speed --varied          # hundreds of URLs instead (bench/varied.py)

Targets, all served by uvicorn with the same options (no access log, log level warning) on
ports 18100-18199, and all running at once so that rounds can alternate between them:

- pledgedb with 1 and 2 workers, on SQLite and on PostgreSQL (a fresh database, migrated and
  seeded, dropped at the end), each **cold** (response cache off) and **warm** (default
  settings; the same URL over and over, so the cache answers);
- Datasette, with 1 and 2 workers, over a copy of the seeded SQLite file (immutable), the SQL
  of each endpoint written as canned queries in bench/datasette/metadata.yaml;
- bench/bare_asgi.py with 1 and 2 workers, answering with the bytes pledgedb gave;
- bench/fastapi_floor.py with 2 workers: an empty FastAPI route (`def`, and `async def`)
  answering the same bytes, what FastAPI costs before any work;
- pledgedb's own floor with 2 workers (SQLite, cache off): `/healthz`, a route that reads
  nothing, through pledgedb's middleware — what a pledgedb route costs before its own work.

Before measuring, every target must answer every query 200 with the expected body (the same
bytes as pledgedb on that backend; for Datasette the same rows and fields). Each figure is the
median of the rounds; in each round the targets take turns on each query, so that noise from
the rest of the machine falls on all of them alike. wrk's Lua hook counts non-2xx answers,
and socket errors (connect, read, write, timeout) come from wrk's summary; both are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess  # noqa: S404
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import yaml

from bench.bare_asgi import RESPONSES_ENV
from bench.load import cli_env, descendants, scratch_database

ROOT = Path(__file__).resolve().parent.parent
DATASETTE_METADATA = ROOT / "bench" / "datasette" / "metadata.yaml"
DATASETTE_FILE_ENV = "BENCH_DATASETTE_FILE"
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- speed -->", "<!-- /speed -->"
HOST = "127.0.0.1"
PORTS = range(18100, 18200)
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pledgedb_bench"
SERVER_START = 60.0  # seconds a server may take to answer (two workers, a busy machine)
WRK_TIMEOUT = "10s"  # wrk's per-request timeout: slower answers count as socket timeouts
UVICORN_OPTIONS = ["--no-access-log", "--log-level", "warning"]
COLD_ENV = {"PLEDGEDB_RESPONSE_CACHE_ENTRIES": "0"}
OWN_FLOOR = "pledgedb /healthz"  # the kind of target that measures pledgedb's own floor

# Targets the lead set (cold: SQLite, /nations?role=naval, 2 workers).
DATASETTE_FACTOR = 3.0
COLD_P99_MS = 25.0
WARM_SHARE = 0.5
WARM_P99_MS = 10.0
PG_FACTOR = 1.5
# Issue 13: every fixed query cold (SQLite, 2 workers) at least this many times Datasette.
EVERY_QUERY_FACTOR = 1.5


# --- the queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    key: str
    path: str  # pledgedb's path and query, as wrk sends it
    canned: str  # Datasette's canned query in bench/datasette/metadata.yaml
    params: tuple[tuple[str, str], ...]
    csv: bool = False
    json_columns: tuple[str, ...] = ()  # Datasette decodes these (`_json=`)
    # Fields of pledgedb's answer that the SQL leaves out (see metadata.yaml).
    not_in_sql: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return "deep page" if self.key == "deep_page" else self.path

    @property
    def datasette_path(self) -> str:
        if self.csv:
            return f"/pledgedb/{self.canned}.csv?{urlencode(self.params)}"
        extra = [("_shape", "array"), *(("_json", c) for c in self.json_columns)]
        return f"/pledgedb/{self.canned}.json?{urlencode([*self.params, *extra])}"


PAGE_FIELDS = frozenset({"next_cursor", "next"})
# "A filtered page deep in a large result": the longest filtered list the data has (22
# pledged commitments), 5 a page, the 4th page, reached by keyset cursor as a client would.
DEEP_PAGE_START = "/commitments?status=pledged&limit=5"
DEEP_PAGE_SKIP = 3

QUERIES = (
    Query(
        "nations_naval",
        "/nations?role=naval",
        "nations_by_role",
        (("role", "naval"),),
        json_columns=("items", "applied", "coalition_commitments"),
        not_in_sql=PAGE_FIELDS | {"coalition_commitments_all"},
    ),
    Query(
        "nation_de",
        "/nations/DE",
        "nation_detail",
        (("code", "DE"),),
        json_columns=(
            "nato",
            "eu",
            "membership",
            "commitments",
            "coalition_commitments",
            "conditions",
            "statements",
        ),
        not_in_sql=frozenset(
            {
                "disputes",
                "commitments_all",
                "coalition_commitments_all",
                "conditions_all",
                "statements_all",
            }
        ),
    ),
    Query(
        "training_csv",
        "/commitments?role=training&format=csv",
        "commitments_by_role",
        (("role", "training"),),
        csv=True,
    ),
    Query(
        "summary",
        "/summary",
        "summary",
        (),
        json_columns=(
            "claimed_by",
            "identified",
            "by_membership",
            "by_membership_certainty",
            "by_role",
            "by_status",
            "by_region",
            "by_certainty",
        ),
    ),
    Query(
        "deep_page",
        DEEP_PAGE_START,  # + the cursor, found at run time
        "commitments_page",
        (("status", "pledged"), ("size", "5")),  # + ("after", id)
        json_columns=("items", "applied"),
        not_in_sql=PAGE_FIELDS,
    ),
)


def deep_page(query: Query, cursor: str, after: str) -> Query:
    """The deep-page query once the walk has found its cursor (and the id it continues after)."""
    return replace(
        query, path=f"{DEEP_PAGE_START}&cursor={cursor}", params=(*query.params, ("after", after))
    )


def walk_to_deep_page(client: httpx.Client) -> tuple[str, str]:
    """Follow `next_cursor` from the first page: (cursor, last id before the deep page)."""
    path = DEEP_PAGE_START
    for _ in range(DEEP_PAGE_SKIP):
        response = client.get(path)
        response.raise_for_status()
        body = response.json()
        cursor, after = body["next_cursor"], body["items"][-1]["id"]
        path = f"{DEEP_PAGE_START}&cursor={cursor}"
    return cursor, after


def canned_queries() -> dict[str, str]:
    raw = yaml.safe_load(DATASETTE_METADATA.read_text(encoding="utf-8"))
    queries = raw["databases"]["pledgedb"]["queries"]
    return {name: str(spec["sql"]) for name, spec in queries.items()}


def sql_rows(connection: sqlite3.Connection, query: Query, sql: str) -> list[dict[str, Any]]:
    """Run a canned query's SQL with sqlite3 and shape the rows as Datasette answers them:
    JSON columns decoded, or for CSV every cell as text."""
    # A parameter the URL leaves out is '' to the SQL, as Datasette passes it.
    params = dict.fromkeys(re.findall(r":(\w+)", sql), "") | dict(query.params)
    cursor = connection.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    if query.csv:
        return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
    return [
        {k: json.loads(v) if k in query.json_columns and v is not None else v for k, v in r.items()}
        for r in rows
    ]


def datasette_rows(query: Query, body: bytes) -> list[dict[str, Any]]:
    if query.csv:
        return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    rows: list[dict[str, Any]] = json.loads(body)
    return rows


def differences(query: Query, api_body: bytes, rows: list[dict[str, Any]]) -> list[str]:
    """How the rows of a canned query differ from pledgedb's answer (empty: they agree)."""
    if query.csv:
        api_rows = list(csv.DictReader(io.StringIO(api_body.decode("utf-8"))))
        problems = []
        if api_rows and rows and list(api_rows[0]) != list(rows[0]):
            problems.append(f"columns {list(rows[0])} != {list(api_rows[0])}")
        if [r.get("id") for r in rows] != [r.get("id") for r in api_rows]:
            problems.append(f"rows {[r.get('id') for r in rows]}")
        problems += [
            f"row {a.get('id')}: {k}: {s.get(k)!r} != {v!r}"
            for a, s in zip(api_rows, rows, strict=False)
            for k, v in a.items()
            if s.get(k) != v
        ]
        return problems
    if len(rows) != 1:
        return [f"{len(rows)} rows, expected one"]
    api: dict[str, Any] = json.loads(api_body)
    row = rows[0]
    problems = [
        f"{k}: {str(row[k])[:200]} != {str(api[k])[:200]}" for k in row if row[k] != api.get(k)
    ]
    if set(api) - set(row) != query.not_in_sql:
        problems.append(f"fields missing: {sorted(set(api) - set(row))}")
    if list(row) != [k for k in api if k in row]:
        problems.append(f"field order {list(row)}")
    return problems


# --- servers ---------------------------------------------------------------------------------


def datasette_app() -> Any:
    """The uvicorn factory for Datasette: the SQLite file named by BENCH_DATASETTE_FILE,
    immutable, with the canned queries. Served by uvicorn with the same options as pledgedb
    (`datasette serve` would log every request)."""
    from datasette.app import Datasette

    meta = yaml.safe_load(DATASETTE_METADATA.read_text(encoding="utf-8"))
    return Datasette(immutables=[os.environ[DATASETTE_FILE_ENV]], metadata=meta).app()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


@dataclass
class Target:
    kind: str  # pledgedb, datasette, bare, fastapi
    backend: str  # sqlite, postgresql
    mode: str  # cold, warm; sync, async for fastapi; "" for the others
    workers: int
    app: list[str]  # uvicorn's app arguments
    env: dict[str, str]
    ready_path: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    paths: dict[str, str] = field(default_factory=dict)  # query key -> path to request
    log: Path = Path("/dev/null")

    @property
    def name(self) -> str:
        parts = [self.kind, self.backend if self.kind == "pledgedb" else "", self.mode]
        return " ".join(p for p in [*parts, f"{self.workers}w"] if p)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, port: int, folder: Path) -> None:
        self.port = port
        log = folder / f"server-{port}.log"
        command = [
            sys.executable, "-m", "uvicorn", *self.app, "--app-dir", str(ROOT),
            "--host", HOST, "--port", str(port), "--workers", str(self.workers), *UVICORN_OPTIONS,
        ]  # fmt: skip
        with log.open("wb") as out:
            # A session of its own: Ctrl-C reaches only this script, which stops the servers.
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=folder,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.log = log

    def wait_ready(self) -> None:
        assert self.process is not None  # noqa: S101
        deadline = time.monotonic() + SERVER_START
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.base + self.ready_path, timeout=5.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready in {SERVER_START:.0f} s")
            time.sleep(0.2)
        if self.workers > 1:
            # Each worker accepts on its own: wait for all of them (and the supervisor).
            while len(descendants(self.process.pid)) <= self.workers:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name}: workers not up in {SERVER_START:.0f} s")
                time.sleep(0.2)
            time.sleep(1.0)

    def stop(self) -> None:
        """SIGTERM to the server and its workers, SIGKILL to any still there after 10 s."""
        if self.process is None:
            return
        workers = descendants(self.process.pid)[1:]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in workers:  # orphaned workers, if any
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None


@contextlib.contextmanager
def running(targets: Sequence[Target], folder: Path, ports: Iterator[int]) -> Iterator[None]:
    try:
        for target in targets:
            target.start(next(p for p in ports if port_is_free(p)), folder)
        for target in targets:
            target.wait_ready()
        yield
    finally:
        for target in targets:
            target.stop()


def pledgedb_targets(backend: str, database_url: str, workers: Sequence[int]) -> list[Target]:
    return [
        Target(
            "pledgedb",
            backend,
            mode,
            n,
            ["app.main:app"],
            cli_env(database_url, **(COLD_ENV if mode == "cold" else {})),
            "/readyz",
        )
        for mode in ("cold", "warm")
        for n in workers
    ]


def prepare_database(database_url: str) -> None:
    from app.config import PROJECT_ROOT
    from app.curation.seed import seed
    from app.facts.files import load_dataset
    from app.store import migrations
    from app.store.engine import make_engine
    from app.store.revisions import make_sessionmaker

    migrations.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            seed(session, load_dataset(PROJECT_ROOT / "data"))
    finally:
        engine.dispose()


def seeded_targets(
    stack: contextlib.ExitStack, folder: Path, args: argparse.Namespace
) -> list[Target]:
    """pledgedb cold and warm on a freshly seeded SQLite file and (unless --skip-postgres) a
    fresh PostgreSQL database, and Datasette over a copy of the SQLite file, each with
    args.workers; not started. The scratch databases go when the stack closes."""
    print(f"seeding databases in {folder} ...", file=sys.stderr)
    sqlite_url = stack.enter_context(scratch_database(None, folder))
    prepare_database(sqlite_url)
    targets = pledgedb_targets("sqlite", sqlite_url, args.workers)
    # pledgedb's own floor: the same server, cache off, asked `/healthz` (a route that reads
    # nothing) under every query: its middleware, FastAPI and the thread-pool hop, no work.
    targets.append(
        Target(OWN_FLOOR, "sqlite", "", max(args.workers), ["app.main:app"],
               cli_env(sqlite_url, **COLD_ENV), "/readyz")
    )  # fmt: skip
    if not args.skip_postgres:
        pg_url = stack.enter_context(scratch_database(args.pg_url, folder))
        prepare_database(pg_url)
        targets += pledgedb_targets("postgresql", pg_url, args.workers)
    env = {**os.environ, DATASETTE_FILE_ENV: str(datasette_copy(sqlite_url, folder))}
    app = ["--factory", "bench.speed:datasette_app"]
    targets += [Target("datasette", "sqlite", "", w, app, env, "/-/versions.json")
                for w in args.workers]  # fmt: skip
    return targets


def datasette_copy(sqlite_url: str, folder: Path) -> Path:
    """A self-contained copy of the seeded file (no WAL: an immutable open never reads one)."""
    target = folder / "datasette" / "pledgedb.sqlite3"  # Datasette names the database "pledgedb"
    target.parent.mkdir()
    source = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        source.close()
        copy.close()
    return target


# --- checks ----------------------------------------------------------------------------------

Key = tuple[str, str]  # (backend, query key)


def fetch(base: str, path: str) -> httpx.Response:
    # A new connection each time, so that with two workers both are asked (and warmed). The
    # bytes wrk gets, which asks for no encoding: httpx would ask for zstd and br when it can
    # decode them, and the bare app would then serve decoded bodies labelled zstd.
    return httpx.get(base + path, headers={"accept-encoding": "identity"}, timeout=30.0)


def without_base(body: bytes) -> bytes:
    """A page's `next` link names the server that wrote it: not a difference between servers."""
    return re.sub(rb"http://127\.0\.0\.1:\d+/", b"http://server/", body)


def normalised(body: bytes) -> str:
    """Without timestamps: what two backends seeded apart should agree on."""
    return re.sub(r"\d{4}-\d\d-\d\d[T ][0-9:.]+Z?", "T", body.decode("utf-8"))


def check_targets(
    targets: Sequence[Target], queries: dict[str, Query], expected: dict[Key, bytes]
) -> list[str]:
    """Every target answers every query 200 with the expected body, several times over."""
    problems = []
    for target in targets:
        for key, path in target.paths.items():
            for _ in range(2 * target.workers + 2):
                response = fetch(target.base, path)
                if response.status_code != 200:
                    problems.append(f"{target.name} {path}: {response.status_code}")
                    break
                if target.kind == "datasette":
                    query = queries[key]
                    found = differences(
                        query, expected["sqlite", key], datasette_rows(query, response.content)
                    )
                    if found:
                        problems.append(f"{target.name} {path}: {'; '.join(found[:3])}")
                        break
                elif target.kind == OWN_FLOOR:
                    continue
                elif without_base(response.content) != expected[target.backend, key]:
                    problems.append(f"{target.name} {path}: a different body")
                    break
    return problems


# --- measuring -------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- Counts non-2xx answers in every thread; done() adds them up and prints one JSON line.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, "non2xx": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class Run:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int


def run_wrk(wrk: str, script: Path, url: str, seconds: int, connections: int, threads: int) -> Run:
    command = [
        wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", WRK_TIMEOUT, "-s", str(script), url,
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    raw = json.loads(line[4:])
    return Run(
        requests=raw["requests"],
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=sum(raw[k] for k in ("connect", "read", "write", "timeout")),
    )


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.non2xx + r.socket_errors for r in self.runs)


# --- report ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    versions = []
    for package in ("uvicorn", "fastapi", "sqlalchemy", "datasette"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram} RAM; Python {platform.python_version()}, "
        f"{', '.join(versions)}, SQLite {sqlite3.sqlite_version}"
    )


def ratio(a: float, b: float) -> float:
    """a ÷ b; a run in which no request finished counts as infinitely slow."""
    return a / b if b else float("inf")


def report(
    cells: dict[tuple[str, str], Cell],
    targets: Sequence[Target],
    queries: Sequence[Query],
    args: argparse.Namespace,
) -> str:
    def cell(kind: str, backend: str, mode: str, workers: int, key: str) -> Cell | None:
        for t in targets:
            if (t.kind, t.backend, t.mode, t.workers) == (kind, backend, mode, workers):
                return cells.get((t.name, key))
        return None

    lines = [
        f"Each cell: requests/s, then p50 / p99 latency in ms; median of {args.rounds} "
        f"round(s) of {args.seconds} s, {args.connections} connections, {args.threads} wrk "
        "thread(s). Errors: non-2xx answers plus socket errors, summed over the rounds.",
        "",
        "| target | " + " | ".join(f"`{q.label}`" for q in queries) + " | errors |",
        "|---|" + "---|" * (len(queries) + 1),
    ]
    for t in targets:
        row = [cells[t.name, q.key] for q in queries]
        figures = [
            f"{c.rps:,.0f} · {c.p50:.1f} / {c.p99:.1f}" if c.rps else "none done" for c in row
        ]
        errors = sum(c.errors for c in row)
        lines.append(f"| {t.name} | " + " | ".join(figures) + f" | {errors or 0} |")
    deep = next(q for q in queries if q.key == "deep_page")
    lines += [
        "",
        f"Deep page: `{deep.path}` (the 4th page of 5 by keyset cursor; on PostgreSQL the "
        "cursor the walk found there). Datasette runs the canned queries of "
        "bench/datasette/metadata.yaml, e.g. "
        f"`{queries[0].datasette_path}`.",
        "",
        "Ratios of requests/s (per query; 1w / 2w: workers on both sides):",
        "",
        "| query | pledgedb cold ÷ Datasette | pledgedb warm ÷ bare ASGI "
        "| PostgreSQL cold ÷ SQLite cold |",
        "|---|---|---|---|",
    ]
    for q in queries:
        ratios = []
        for (a_kind, a_backend, a_mode), (b_kind, b_backend, b_mode) in (
            (("pledgedb", "sqlite", "cold"), ("datasette", "sqlite", "")),
            (("pledgedb", "sqlite", "warm"), ("bare", "sqlite", "")),
            (("pledgedb", "postgresql", "cold"), ("pledgedb", "sqlite", "cold")),
        ):
            pair = []
            for w in (1, 2):
                a = cell(a_kind, a_backend, a_mode, w, q.key)
                b = cell(b_kind, b_backend, b_mode, w, q.key)
                pair.append(f"{ratio(a.rps, b.rps):.2f}" if a and b else "–")
            ratios.append(" / ".join(pair))
        lines.append(f"| `{q.label}` | " + " | ".join(ratios) + " |")

    lines += ["", f"Targets (2 workers, {args.connections} connections):", ""]
    naval = "nations_naval"
    cold = cell("pledgedb", "sqlite", "cold", 2, naval)
    dsette = cell("datasette", "sqlite", "", 2, naval)
    if cold and dsette:
        ok = cold.rps >= DATASETTE_FACTOR * dsette.rps and cold.p99 <= COLD_P99_MS
        lines.append(
            f"- cold `/nations?role=naval` ≥ {DATASETTE_FACTOR:g}× Datasette (2 workers) with "
            f"p99 ≤ {COLD_P99_MS:g} ms: {cold.rps:,.0f} vs {dsette.rps:,.0f} req/s "
            f"({ratio(cold.rps, dsette.rps):.2f}×), p99 {cold.p99:.1f} ms: "
            f"**{'met' if ok else 'not met'}**"
        )
    floors = [cell("fastapi", "sqlite", mode, 2, naval) for mode in ("sync", "async")]
    ceiling = cell("bare", "sqlite", "", 2, naval)
    if dsette and ceiling and all(floors):
        sync, async_ = (f.rps for f in floors if f)
        lines.append(
            "  - on this machine, in the same run, an **empty** FastAPI route answering the same "
            f"bytes: `def` {sync:,.0f} req/s ({ratio(sync, dsette.rps):.2f}× Datasette), "
            f"`async def` {async_:,.0f} ({ratio(async_, dsette.rps):.2f}×); the bare-ASGI "
            f"ceiling {ceiling.rps:,.0f} ({ratio(ceiling.rps, dsette.rps):.2f}×)"
        )
    own_floor = cell(OWN_FLOOR, "sqlite", "", 2, naval)
    if dsette and own_floor:
        lines.append(
            f"  - pledgedb's own floor, `/healthz` (a route that reads nothing, through "
            f"pledgedb's middleware, cache off): {own_floor.rps:,.0f} req/s "
            f"({ratio(own_floor.rps, dsette.rps):.2f}× Datasette's `/nations?role=naval`)"
        )
    every = [
        (q, c, d)
        for q in queries
        if (c := cell("pledgedb", "sqlite", "cold", 2, q.key))
        and (d := cell("datasette", "sqlite", "", 2, q.key))
    ]
    if every:
        detail = "; ".join(f"`{q.key}` {ratio(c.rps, d.rps):.2f}×" for q, c, d in every)
        met = all(c.rps >= EVERY_QUERY_FACTOR * d.rps for _, c, d in every)
        lines.append(
            f"- cold, every query ≥ {EVERY_QUERY_FACTOR:g}× Datasette (issue 13; 2 workers): "
            f"{detail}: **{'met' if met else 'not met'}**"
        )
        asked = [
            (q, EVERY_QUERY_FACTOR * d.rps / f.rps)
            for q, _, d in every
            if (f := cell(OWN_FLOOR, "sqlite", "", 2, q.key))
        ]
        if asked:
            lines.append(
                f"  - what {EVERY_QUERY_FACTOR:g}× Datasette asks of each query, as a share of "
                "pledgedb's own floor measured in the same round: "
                + "; ".join(f"`{q.key}` {share:.0%}" for q, share in asked)
            )
    warm_rows = []
    for q in queries:
        warm = cell("pledgedb", "sqlite", "warm", 2, q.key)
        bare = cell("bare", "sqlite", "", 2, q.key)
        if warm and bare:
            ok = warm.rps >= WARM_SHARE * bare.rps and warm.p99 <= WARM_P99_MS
            warm_rows.append((q, warm, bare, ok))
    if warm_rows:
        detail = "; ".join(
            f"`{q.key}` {ratio(w.rps, b.rps):.0%}, p99 {w.p99:.1f} ms" for q, w, b, _ in warm_rows
        )
        met = all(ok for *_, ok in warm_rows)
        lines.append(
            f"- warm ≥ {WARM_SHARE:.0%} of the bare-ASGI ceiling with p99 ≤ {WARM_P99_MS:g} ms "
            f"(SQLite, every query): {detail}: **{'met' if met else 'not met'}**"
        )
    pg_rows = []
    for q in queries:
        pg = cell("pledgedb", "postgresql", "cold", 2, q.key)
        lite = cell("pledgedb", "sqlite", "cold", 2, q.key)
        if pg and lite:
            pg_rows.append((q, ratio(lite.rps, pg.rps)))
    if pg_rows:
        worst_q, worst = max(pg_rows, key=lambda r: r[1])
        lines.append(
            f"- PostgreSQL cold within {PG_FACTOR:g}× of SQLite cold (every query): SQLite is "
            f"at most {worst:.2f}× faster (`{worst_q.key}`): "
            f"**{'met' if worst <= PG_FACTOR else 'not met'}**"
        )
    elif not args.skip_postgres:
        lines.append("- PostgreSQL: no figures.")
    return "\n".join(lines)


def write_results(
    section: str,
    results: Path = RESULTS,
    markers: tuple[str, str] = (BEGIN, END),
    heading: str = "Speed side by side (bench/speed.py)",
) -> None:
    """Rewrite the part of RESULTS.md between the markers; add it at the end the first time."""
    begin, end = markers
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    results.write_text(text, encoding="utf-8")


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=2, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, help="rounds per figure (default 3; quick 1)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: one round, 2-worker servers only"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (2 cores in all)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL base URL")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    parser.add_argument(
        "--varied",
        action="store_true",
        help="the varied-URL workload instead (bench/varied.py): 2-worker servers, cache on",
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.workers = (2,) if args.quick or args.varied else (1, 2)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return args


def expected_answers(targets: Sequence[Target], queries: dict[str, Query]) -> dict[Key, bytes]:
    """What pledgedb answers on each backend: the bytes every other server must give. Sets each
    pledgedb target's paths (the deep page's cursor is found by walking, on each backend)."""
    expected: dict[Key, bytes] = {}
    for backend in ("sqlite", "postgresql"):
        own = [t for t in targets if t.kind == "pledgedb" and t.backend == backend]
        if not own:
            continue
        with httpx.Client(base_url=own[0].base, timeout=30.0) as client:
            query = deep_page(queries["deep_page"], *walk_to_deep_page(client))
        if backend == "sqlite":  # Datasette reads the SQLite file
            queries["deep_page"] = query
        for t in own:
            t.paths = {k: (query if k == "deep_page" else q).path for k, q in queries.items()}
        for key, path in own[0].paths.items():
            response = fetch(own[0].base, path)
            if response.status_code != 200:
                raise RuntimeError(f"{own[0].name} {path}: {response.status_code}")
            expected[backend, key] = without_base(response.content)
    for t in targets:
        if t.kind == "datasette":
            t.paths = {k: q.datasette_path for k, q in queries.items()}
        elif t.kind == OWN_FLOOR:
            t.paths = dict.fromkeys(queries, "/healthz")
    if ("postgresql", "summary") in expected:
        for key in queries:
            if normalised(expected["sqlite", key]) != normalised(expected["postgresql", key]):
                print(f"note: PostgreSQL and SQLite answer {key} differently", file=sys.stderr)
    return expected


def canned_targets(reference: Target, folder: Path, workers: Sequence[int]) -> list[Target]:
    """The ceiling: the bare app, answering with the reference server's bytes and headers; and
    FastAPI's floor (bench/fastapi_floor.py, 2 workers): an empty route of each kind, answering
    the same."""
    canned = {}
    for path in reference.paths.values():
        response = fetch(reference.base, path)
        skip = {"date", "server", "content-length"}  # uvicorn and the bare app add these
        canned[path] = {
            "status": response.status_code,
            "headers": [[k, v] for k, v in response.headers.items() if k.lower() not in skip],
            "body": response.content.decode("utf-8"),
        }
    responses = folder / "bare-responses.json"
    responses.write_text(json.dumps(canned), encoding="utf-8")
    env = {**os.environ, RESPONSES_ENV: str(responses)}
    app = ["--factory", "bench.bare_asgi:from_environment"]
    ready = reference.paths["summary"]
    targets = [Target("bare", "sqlite", "", w, app, env, ready) for w in workers]
    for mode in ("sync", "async"):
        floor = ["--factory", f"bench.fastapi_floor:{mode}_app"]
        targets.append(Target("fastapi", "sqlite", mode, max(workers), floor, env, ready))
    for t in targets:
        t.paths = dict(reference.paths)
    return targets


def measure(
    targets: Sequence[Target], keys: Sequence[str], args: argparse.Namespace, wrk: str, lua: Path
) -> dict[tuple[str, str], Cell]:
    """Rounds; in each, every query, and for each query every target in turn."""
    cells = {(t.name, k): Cell() for t in targets for k in keys}
    total = args.rounds * len(keys) * len(targets)
    print(f"measuring: {total} wrk runs of {args.seconds} s ...", file=sys.stderr)
    for round_ in range(args.rounds):
        for key in keys:
            for t in targets:
                url = t.base + t.paths[key]
                run = run_wrk(wrk, lua, url, args.seconds, args.connections, args.threads)
                cells[t.name, key].runs.append(run)
                if not run.requests:
                    print(f"  {t.name} {key}: no request finished", file=sys.stderr)
                if run.non2xx or run.socket_errors:
                    print(
                        f"  {t.name} {key}: {run.non2xx} non-2xx, "
                        f"{run.socket_errors} socket errors",
                        file=sys.stderr,
                    )
        print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    return cells


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    try:
        import datasette  # noqa: F401
    except ImportError:
        print("Datasette is not installed: .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    # SIGTERM takes the same way out as Ctrl-C: through the finally blocks that stop servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = ".venv/bin/python -m bench.speed " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    started = dt.datetime.now(dt.UTC)
    ports = iter(PORTS)
    queries = {q.key: q for q in QUERIES}
    if args.varied:
        from bench.varied import run_varied  # it imports this module

        return run_varied(args, wrk, command)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-speed-")))
        targets = seeded_targets(stack, folder, args)
        print(f"starting {len(targets)} servers ...", file=sys.stderr)
        stack.enter_context(running(targets, folder, ports))
        expected = expected_answers(targets, queries)
        canned = canned_targets(targets[0], folder, args.workers)
        stack.enter_context(running(canned, folder, ports))
        targets += canned

        print("checking every answer ...", file=sys.stderr)
        problems = check_targets(targets, queries, expected)
        if problems:
            print("not measuring; these targets answer wrongly:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        lua = folder / "report.lua"
        lua.write_text(WRK_SCRIPT, encoding="utf-8")
        cells = measure(targets, list(queries), args, wrk, lua)

    publish(started, command, report(cells, targets, list(queries.values()), args), args)
    return 0


def publish(
    started: dt.datetime, command: str, body: str, args: argparse.Namespace, **where: Any
) -> None:
    """Print the run's section (when, where, the command, the report), and with
    --write-results put it in RESULTS.md (`where`: write_results' markers and heading)."""
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    section = "\n".join(
        [
            f"Run {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} min, on {machine()}.",
            "",
            f"    {command}",
            "",
            body,
        ]
    )
    print(section)
    if args.write_results:
        write_results(section, RESULTS, **where)
        print(f"\n(written to {RESULTS.relative_to(ROOT)})", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped, scratch databases removed", file=sys.stderr)
        sys.exit(130)
