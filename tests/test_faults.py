"""Faults, with real processes: an import or seed killed with SIGKILL half-way, SIGTERM while
requests are in flight, the database lost and given back while the API runs, and two API
processes over one database.

They start real servers for a while, so all are marked slow (`pytest -m slow`); .ci/run runs
them on both backends in their short form (tests/sizes.py: fewer outage cycles).

Every wait is bounded, every subprocess is stopped (then killed) in a finally. The PostgreSQL
server is stopped only on a throwaway cluster of its own (initdb + pg_ctl on a spare port),
never the shared server of PLEDGEDB_TEST_DATABASE_URL: there the short check only makes the
test's own scratch database refuse connections for a moment."""

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.facts.files import Dataset
from tests.conftest import PG_URL
from tests.curation import commitment_body, dump, plain_quotes, stated
from tests.processes import PLEDGEDB, Server, cli_env, create_key, free_port, prepare_database
from tests.sizes import sized

BULK = 1500  # generated commitments: enough to keep an import busy for several seconds
MARK_WAIT = 90.0  # seconds to wait for the killed command to be inside its transaction
OUTAGE_WAIT = 10.0  # seconds the API may take to notice the database went or came back
REQUEST_TIMEOUT = 20.0
# The paths checked while the database is away: each needs the database.
DB_PATHS = ("/summary", "/commitments/coalition-troops", "/nations?role=training", "/statements")
# Outages in a row: three, two in the short form (each must recover as the first did).
OUTAGE_CYCLES = pytest.mark.parametrize(
    "cycles",
    [pytest.param(sized(3, 2), id="cycles", marks=pytest.mark.slow)],
)


def poll(check: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


def statuses(base: str, paths: tuple[str, ...] = DB_PATHS) -> dict[str, tuple[int, str]]:
    """Status and content type of each path (599 for a transport error)."""
    found: dict[str, tuple[int, str]] = {}
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        for path in (*paths, "/readyz"):
            try:
                response = client.get(path)
                found[path] = (response.status_code, response.headers.get("content-type", ""))
            except httpx.TransportError as exc:
                found[path] = (599, type(exc).__name__)
    return found


def all_ok(found: dict[str, tuple[int, str]]) -> bool:
    return all(status == 200 for status, _ in found.values())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def prepared_url(seeded_url: str) -> str:
    """A private database of the backend under test, migrated and seeded (a copy of the
    template; the CLI's own migrate and seed are tested in tests/test_cli.py)."""
    return seeded_url


# --- SIGKILL half-way ------------------------------------------------------------------------


def bulk_commitments(data: Dataset, n: int = BULK) -> list[dict[str, Any]]:
    """``n`` new commitments with unique ids, their evidence taken from article B's sentences."""
    text_b = next(s.text for s in data.sources if s.spec.id == "article-b")
    quotes = plain_quotes(text_b, 20)
    return [
        {
            "id": f"it-monitoring-bulk-{i:05d}",
            **commitment_body(
                evidence=[stated("article-b", quotes[i % len(quotes)])],
                summary=f"Generated commitment {i} of the fault test.",
            ),
        }
        for i in range(n)
    ]


def writer_in_transaction(url: str) -> bool:
    """Someone other than us holds an open write transaction on the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        con = sqlite3.connect(str(parsed.database), timeout=0)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.rollback()
            return False
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            con.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            busy = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                )
            )
        return bool(busy)
    finally:
        engine.dispose()


def kill_half_way(args: list[str], url: str, cwd: Path, marker: str | None) -> str:
    """Run `pledgedb ARGS`, wait until it printed ``marker`` (if any) and holds an open write
    transaction, then SIGKILL it. Returns its stderr."""
    err = cwd / "killed.err"
    with err.open("w") as out:
        process = subprocess.Popen(
            [str(PLEDGEDB), *args],
            cwd=cwd,
            env=cli_env(url),
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:

        def inside() -> bool:
            if process.poll() is not None:
                return True
            if marker is not None and marker not in err.read_text():
                return False
            return writer_in_transaction(url)

        assert poll(inside, MARK_WAIT, step=0.05), "the command never began writing"
        assert process.poll() is None, (
            f"the command finished before it could be killed ({process.returncode}): make the "
            f"batch bigger\n{err.read_text()}"
        )
        time.sleep(0.3)  # a little further into the transaction
        assert process.poll() is None, "finished during the last 0.3 s"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return err.read_text()


@pytest.mark.slow
def test_import_killed_half_way_leaves_the_database_as_it_was(
    prepared_url: str, folder: Path, dataset: Dataset
) -> None:
    batch = folder / "bulk.yaml"
    batch.write_text(
        yaml.safe_dump({"commitments": bulk_commitments(dataset)}, sort_keys=False),
        encoding="utf-8",
    )
    before = dump(prepared_url)

    stderr = kill_half_way(["import", str(batch)], prepared_url, folder, marker="importing")

    assert "importing" in stderr  # the progress bar had started
    assert not writer_in_transaction(prepared_url)
    assert dump(prepared_url) == before


@pytest.mark.slow
def test_seed_killed_half_way_leaves_the_database_as_it_was(
    prepared_url: str, folder: Path, data_copy: Path, dataset: Dataset
) -> None:
    """A seed of the data files plus generated commitments, over the seeded database."""
    path = data_copy / "facts" / "commitments.yaml"
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    items += bulk_commitments(dataset)
    path.write_text(
        yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1_000_000),
        encoding="utf-8",
    )
    before = dump(prepared_url)

    kill_half_way(["seed", "--data-dir", str(data_copy)], prepared_url, folder, marker=None)

    assert not writer_in_transaction(prepared_url)
    assert dump(prepared_url) == before


# --- SIGTERM drains in-flight requests -------------------------------------------------------

SLOW = ("/commitments?format=csv&limit=500", "/changes?limit=500", "/commitments?limit=500")
# Each slow request's time limit: 48 of them on 2 CPUs (and a pool of 15 PostgreSQL
# connections) take a while to answer, drain or not.
DRAIN_TIMEOUT = 60.0


@pytest.mark.parametrize(
    "connections",
    [pytest.param(48, id="connections", marks=pytest.mark.slow)],
)
def test_sigterm_drains_in_flight_requests(
    prepared_url: str, folder: Path, connections: int
) -> None:
    with Server(prepared_url, folder) as server:

        async def scenario() -> tuple[list[Any], list[float], float]:
            # One client per connection, each opened (and kept alive) before the slow requests,
            # so that none of them has to connect after the listening socket is closed.
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            clients = [
                httpx.AsyncClient(base_url=server.base, timeout=DRAIN_TIMEOUT, limits=limits)
                for _ in range(connections)
            ]
            try:
                warm = await asyncio.gather(*(c.get("/healthz") for c in clients))
                assert all(r.status_code == 200 for r in warm)
                done: list[float] = []

                async def slow(n: int) -> httpx.Response:
                    # A query of its own (the offset), so no answer comes from the response
                    # cache: each request does its database work while the signal arrives.
                    path = f"{SLOW[n % len(SLOW)]}&offset={n}"
                    response = await clients[n].get(path)
                    done.append(time.monotonic())
                    return response

                tasks = [asyncio.ensure_future(slow(n)) for n in range(connections)]
                # SIGTERM once a few answers are back: by then the server has read every
                # request (they were all sent at once), and most are still being worked on.
                deadline = time.monotonic() + REQUEST_TIMEOUT
                while len(done) < 6 and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                server.signal(signal.SIGTERM)
                signalled = time.monotonic()
                responses = await asyncio.wait_for(
                    asyncio.gather(*tasks, return_exceptions=True), DRAIN_TIMEOUT + 10
                )
                return responses, done, signalled
            finally:
                for c in clients:
                    await c.aclose()

        responses, done, signalled = asyncio.run(scenario())
        code = server.wait(timeout=30)

    assert sum(t > signalled for t in done) >= 4, "too few requests in flight at SIGTERM"
    outcomes = [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in responses]
    assert outcomes == [200] * connections, outcomes
    for response in responses:
        assert isinstance(response, httpx.Response)
        assert response.content  # whole bodies, not cut off
        if "json" in response.headers["content-type"]:
            response.json()
    # uvicorn shuts down gracefully, then re-raises the signal: the exit status is "terminated
    # by SIGTERM" (-15), or 0 with older uvicorn. Either way after the drain, not a crash.
    assert code in (0, -signal.SIGTERM), code
    log = server.log_text()
    assert "Shutting down" in log and "Finished server process" in log, log[-2000:]
    assert "Traceback" not in log, log[-4000:]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base}/healthz", timeout=2.0)


# --- the database goes away and comes back ---------------------------------------------------


# Markers, not skips in the body: a skipped test must not pay for its server's database first.
SQLITE_ONLY = pytest.mark.skipif(bool(PG_URL), reason="SQLite file faults: the SQLite suite's")
POSTGRESQL_ONLY = pytest.mark.skipif(not PG_URL, reason="PostgreSQL outage: the PostgreSQL suite's")


def observe_outage(
    server: Server, break_it: Callable[[], None], mend_it: Callable[[], None]
) -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, str]], list[str]]:
    """Break the database, wait (bounded) for /readyz to turn red, note every path's answer,
    mend it, wait (bounded) for every path to answer 200 again. Returns what was seen while
    down and after mending, and the problem bodies' types."""
    assert all_ok(statuses(server.base))
    break_it()
    red = poll(lambda: statuses(server.base, ())["/readyz"][0] == 503, OUTAGE_WAIT)
    down = statuses(server.base)
    types = []
    with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT) as client:
        for path in DB_PATHS:
            response = client.get(path)
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                body = response.json()
                assert {"type", "title", "status"} <= body.keys(), body
                types.append(body["type"])
    mend_it()
    poll(lambda: all_ok(statuses(server.base)), OUTAGE_WAIT)
    up = statuses(server.base)
    if not red:
        down["/readyz (never red)"] = down["/readyz"]
    return down, up, types


def judge_outage(down: dict[str, tuple[int, str]], up: dict[str, tuple[int, str]]) -> None:
    """While the database is away every path that needs it answers 503 problem+json and
    /readyz is red; once it is back everything answers 200, without a restart."""
    assert down["/readyz"][0] == 503, down
    for path in DB_PATHS:
        status, kind = down[path]
        assert status == 503 and kind.startswith("application/problem+json"), (path, down)
    assert all_ok(up), up


def outages(
    server: Server, cycles: int, break_it: Callable[[], None], mend_it: Callable[[], None]
) -> None:
    """``cycles`` outages in a row, each observed and judged, every problem of them
    /problems/unavailable; the database is mended even when a cycle fails."""
    for _ in range(cycles):
        try:
            down, up, types = observe_outage(server, break_it, mend_it)
        finally:
            mend_it()
        judge_outage(down, up)
        assert set(types) == {"/problems/unavailable"}, types


@SQLITE_ONLY
@OUTAGE_CYCLES
def test_sqlite_file_unreadable_answers_503_and_recovers(
    prepared_url: str, folder: Path, cycles: int
) -> None:
    """The database file's contents go bad under the server (here: overwritten with zeros in
    place, under connections whose page cache still holds the old pages; chmod means nothing
    to root) and come back."""
    path = Path(str(make_url(prepared_url).database))
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    saved = path.read_bytes()

    def zero() -> None:
        with path.open("r+b") as file:
            file.write(b"\0" * len(saved))

    def restore() -> None:
        with path.open("r+b") as file:
            file.write(saved)

    with Server(prepared_url, folder) as server:
        outages(server, cycles, zero, restore)


@pytest.mark.slow
@SQLITE_ONLY
def test_sqlite_file_moved_away_answers_503_and_recovers(prepared_url: str, folder: Path) -> None:
    """The database file (with its -wal and -shm) is moved away, then put back; twice, as a
    missing file must never be created anew in its place."""
    path = Path(str(make_url(prepared_url).database))
    away = folder / "away"
    away.mkdir()
    names = [path.name, f"{path.name}-wal", f"{path.name}-shm"]

    def move_away() -> None:
        for name in names:
            if (path.parent / name).exists():
                os.replace(path.parent / name, away / name)

    def put_back() -> None:
        for name in names:
            if (away / name).exists():
                os.replace(away / name, path.parent / name)

    with Server(prepared_url, folder) as server:
        outages(server, 2, move_away, put_back)


def pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        pytest.skip(f"no {name} to start a throwaway PostgreSQL cluster")
    return str(candidates[-1])


def as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A PostgreSQL cluster of our own on a spare port: (url, stop, start)."""
    home = Path(tempfile.mkdtemp(prefix="pledgedb-pg-"))
    home.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    port = free_port()
    data, log = home / "data", home / "log"
    pg_ctl = pg_binary("pg_ctl")

    def run(*args: str) -> None:
        subprocess.run(as_postgres(*args), check=True, timeout=60, capture_output=True)

    def start() -> None:
        run(pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "30", "-o",
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off", "start")  # fmt: skip

    def stop() -> None:
        run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop")

    try:
        run(pg_binary("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        start()
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE pledgedb_fault"))
        admin.dispose()
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/pledgedb_fault", stop, start
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(
                as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop"),
                timeout=30,
                capture_output=True,
                check=False,
            )
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@POSTGRESQL_ONLY
def test_postgresql_stopped_answers_503_and_recovers(folder: Path) -> None:
    with throwaway_cluster() as (url, stop, start):
        prepare_database(url, folder)
        with Server(url, folder) as server:
            down, up, types = observe_outage(server, stop, start)
    judge_outage(down, up)
    assert set(types) <= {"/problems/unavailable", "/problems/timeout"}, types


def allow_connections(url: str, allowed: bool) -> None:
    """Let the database of ``url`` accept connections again, or refuse new ones and end those
    it has: for the API, as if that database went away. Only the test's own scratch database
    is touched, on whatever server holds it."""
    target = make_url(url)
    name = str(target.database)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        admin.dispose()


@POSTGRESQL_ONLY
@OUTAGE_CYCLES
def test_postgresql_database_refusing_connections_answers_503_and_recovers(
    prepared_url: str, folder: Path, cycles: int
) -> None:
    """The short outage for PostgreSQL: the server stays up, the API's database refuses
    connections and drops the ones it had, then takes them again."""
    with Server(prepared_url, folder) as server:
        outages(
            server,
            cycles,
            lambda: allow_connections(prepared_url, False),
            lambda: allow_connections(prepared_url, True),
        )


# --- several API processes over one database -------------------------------------------------


HOST = {"Host": "pledgedb.example"}


@pytest.mark.slow
def test_a_write_through_one_process_is_seen_at_once_through_another(
    prepared_url: str, folder: Path
) -> None:
    key = create_key(prepared_url, folder)
    path = "/commitments/coalition-troops"
    with (
        Server(prepared_url, folder) as one,
        Server(prepared_url, folder) as other,
        # One public name for both, as behind a load balancer (`next` links carry the host).
        httpx.Client(base_url=one.base, timeout=REQUEST_TIMEOUT, headers=HOST) as a,
        httpx.Client(base_url=other.base, timeout=REQUEST_TIMEOUT, headers=HOST) as b,
    ):
        for probe in (path, "/statements", "/commitments?role=troops", "/nations/DE"):
            assert a.get(probe).headers["etag"] == b.get(probe).headers["etag"], probe
        before = a.get(path)
        summary = "The coalition's reassurance force, as corrected by the fault test."
        patched = a.patch(
            path,
            json={"summary": summary, "reason": "fault test"},
            headers={"Authorization": f"Bearer {key}", "If-Match": before.headers["etag"]},
        )
        assert patched.status_code == 200, patched.text
        seen = b.get(path)
        assert seen.json()["summary"] == summary
        assert seen.headers["etag"] == patched.headers["etag"] == a.get(path).headers["etag"]
        assert seen.headers["etag"] != before.headers["etag"]
        # A stale If-Match through the other process is refused.
        stale = b.patch(
            path,
            json={"summary": "lost update", "reason": "fault test"},
            headers={"Authorization": f"Bearer {key}", "If-Match": before.headers["etag"]},
        )
        assert stale.status_code == 412, stale.text
        for probe in ("/commitments?role=troops", "/changes?limit=5", "/nations?role=troops"):
            assert a.get(probe).headers["etag"] == b.get(probe).headers["etag"], probe
        assert a.get("/summary").headers["etag"] == b.get("/summary").headers["etag"]


@pytest.mark.slow
def test_two_workers_answer_alike(prepared_url: str, folder: Path) -> None:
    """`serve --workers 2`: the same ETag whichever worker answers."""
    with (
        Server(prepared_url, folder, workers=2) as server,
        httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT) as client,
    ):
        tags = set()
        for _ in range(20):
            with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT) as fresh:
                tags.add(fresh.get("/commitments?role=training").headers["etag"])
        assert len(tags) == 1, tags
        assert client.get("/readyz").status_code == 200
        assert len(server.pids()) >= 3  # the supervisor and two workers


@pytest.mark.slow
@SQLITE_ONLY
def test_a_write_waits_for_another_process_holding_the_write_lock(
    prepared_url: str, folder: Path
) -> None:
    """Another process holds SQLite's write lock for longer than the 5 s busy_timeout of
    plain connections: the API's write waits its turn and succeeds, no 503."""
    key = create_key(prepared_url, folder)
    path = "/commitments/coalition-troops"
    held = 6.5
    with (
        Server(prepared_url, folder) as server,
        httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT * 2) as client,
    ):
        before = client.get(path)
        other = sqlite3.connect(
            str(make_url(prepared_url).database), timeout=0, check_same_thread=False
        )
        try:
            other.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            holder = threading.Timer(held, other.rollback)
            holder.start()
            patched = client.patch(
                path,
                json={"summary": "Written after the other process let go.", "reason": "fault"},
                headers={"Authorization": f"Bearer {key}", "If-Match": before.headers["etag"]},
            )
            waited = time.monotonic() - started
            holder.join()
        finally:
            other.close()
    assert patched.status_code == 200, patched.text
    assert waited >= held - 0.5, waited
