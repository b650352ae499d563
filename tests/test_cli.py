"""The `pledgedb` command: check, migrate, seed, serve.

Each test runs the command in a temporary working directory, with DATABASE_URL pointing at its
own empty database of the backend under test: in process through the CLI's parser
(tests/processes.py), and as the installed console script in a subprocess where the process is
the point (`--version` from the package metadata, `serve`, the README's walkthrough). Every
subprocess call has a timeout; the server is always terminated."""

import contextlib
import datetime as dt
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.facts.files import Dataset, load_dataset
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import ActorKind, MembershipStatus, Role, Status
from tests.curation import table_rows
from tests.helpers import inherits
from tests.processes import PLEDGEDB, cli_env, pledgedb, pledgedb_process

SERVER_START = 15.0  # seconds the server may take to answer
BAD_QUOTE = "Italy has pledged a naval squadron to the Black Sea"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


def dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(database_url)
    try:
        return table_rows(engine)
    finally:
        engine.dispose()


def break_a_quote(data_dir: Path) -> tuple[str, str]:
    path = data_dir / "facts" / "commitments.yaml"
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    items[-1]["evidence"][0]["quote"] = BAD_QUOTE
    path.write_text(
        yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1_000_000),
        encoding="utf-8",
    )
    return items[-1]["id"], BAD_QUOTE


def seed_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


# --- check -----------------------------------------------------------------------------------

UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:9/none"


def test_check_validates_the_data_without_a_database(workdir: Path) -> None:
    result = pledgedb("check", database_url=UNREACHABLE_DB, cwd=workdir)
    assert result.returncode == 0, result.stderr
    counts = load_dataset(PROJECT_ROOT / "data").counts()
    assert "data files OK" in result.stdout
    for name, n in counts.items():
        assert f"{n} {name}" in result.stdout, (name, result.stdout)


def test_check_of_a_data_dir_prints_its_counts(workdir: Path, data_copy: Path) -> None:
    result = pledgedb("check", "--data-dir", str(data_copy), database_url=UNREACHABLE_DB,
                      cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name, n in load_dataset(data_copy).counts().items():
        assert f"{n} {name}" in result.stdout


def test_check_with_a_bad_quote_exits_1_naming_fact_and_quote(
    workdir: Path, data_copy: Path
) -> None:
    fact_id, quote = break_a_quote(data_copy)
    result = pledgedb("check", "--data-dir", str(data_copy), database_url=UNREACHABLE_DB,
                      cwd=workdir)  # fmt: skip
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert fact_id in result.stderr
    assert quote in result.stderr
    assert "1 problem(s)" in result.stderr
    assert "data files OK" not in result.stdout
    assert "\x1b[" not in result.stderr  # no colour codes when not on a terminal


# --- migrate and seed ------------------------------------------------------------------------


def test_migrate_then_seed_twice(workdir: Path, data_copy: Path, scratch_url: str) -> None:
    migrate = pledgedb("migrate", database_url=scratch_url, cwd=workdir)
    assert migrate.returncode == 0, migrate.stderr
    assert "schema at head" in migrate.stdout

    data = load_dataset(data_copy)
    first = seed_json(
        pledgedb(
            "seed", "--json", "--data-dir", str(data_copy), database_url=scratch_url, cwd=workdir
        )  # fmt: skip
    )
    assert first["changed"] > 0
    for table, n in data.counts().items():
        assert first["tables"][table]["inserted"] == n, table
    assert first["changed"] == sum(t["inserted"] for t in first["tables"].values())

    second = seed_json(
        pledgedb(
            "seed", "--json", "--data-dir", str(data_copy), database_url=scratch_url, cwd=workdir
        )  # fmt: skip
    )
    assert second["changed"] == 0
    for table, n in data.counts().items():
        assert second["tables"][table] == {
            "inserted": 0,
            "updated": 0,
            "deleted": 0,
            "unchanged": n,
            "retracted": 0,
        }, table


def test_seed_leaves_the_planner_statistics_and_visible_pages(
    workdir: Path, data_copy: Path, scratch_url: str
) -> None:
    """After a bulk load the planner has statistics (SQLite has none until ANALYZE) and, on
    PostgreSQL, the pages are marked all-visible (VACUUM), so counts can read indexes alone."""
    assert pledgedb("migrate", database_url=scratch_url, cwd=workdir).returncode == 0
    seeded = pledgedb("seed", "--data-dir", str(data_copy), database_url=scratch_url, cwd=workdir)
    assert seeded.returncode == 0, seeded.stderr
    engine = make_engine(scratch_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                analysed = conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars()
                assert {"commitments", "facts", "evidence"} <= set(analysed)
            else:
                visible = conn.exec_driver_sql(
                    "SELECT relallvisible, relpages FROM pg_class WHERE relname = 'commitments'"
                ).one()
                assert visible.relpages > 0 and visible.relallvisible == visible.relpages
                vacuumed = conn.exec_driver_sql(
                    "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
                    "WHERE relname = 'commitments'"
                ).one()
                assert vacuumed.last_vacuum is not None and vacuumed.last_analyze is not None
    finally:
        engine.dispose()


def test_seed_text_report(workdir: Path, data_copy: Path, scratch_url: str) -> None:
    assert pledgedb("migrate", database_url=scratch_url, cwd=workdir).returncode == 0
    result = pledgedb("seed", "--data-dir", str(data_copy), database_url=scratch_url,
                      cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    legend, *lines = result.stdout.splitlines()
    assert "retracted" in legend
    rows = {line.split()[0]: line.split()[1:] for line in lines[:-1]}
    for table, n in load_dataset(data_copy).counts().items():
        assert rows[table] == [f"+{n}", "~0", "-0", "=0", "x0"], (table, rows)
    inserted = sum(int(cells[0].lstrip("+")) for cells in rows.values())
    assert lines[-1] == f"seed loaded: {inserted} row(s) changed"


def test_seed_with_bad_data_exits_1_and_writes_nothing(
    workdir: Path, data_copy: Path, scratch_url: str
) -> None:
    assert pledgedb("migrate", database_url=scratch_url, cwd=workdir).returncode == 0
    assert (
        seed_json(
            pledgedb(
                "seed",
                "--json",
                "--data-dir",
                str(data_copy),
                database_url=scratch_url,
                cwd=workdir,
            )  # fmt: skip
        )["changed"]
        > 0
    )
    before = dump(scratch_url)
    fact_id, quote = break_a_quote(data_copy)

    result = pledgedb("seed", "--json", "--data-dir", str(data_copy), database_url=scratch_url,
                      cwd=workdir)  # fmt: skip
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert fact_id in result.stderr
    assert quote in result.stderr
    assert dump(scratch_url) == before


# --- serve -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served_data(scratch_url: str, data_copy: Path) -> Dataset:
    migrations.upgrade(scratch_url)
    data = load_dataset(data_copy)
    engine = make_engine(scratch_url)
    try:
        with make_sessionmaker(engine)() as session:
            seed(session, data)
    finally:
        engine.dispose()
    return data


@contextlib.contextmanager
def serving(database_url: str, workdir: Path, *options: str) -> Iterator[tuple[str, Path]]:
    """`pledgedb serve` on a free port: its base URL and the file its output goes to."""
    port = free_port()
    log = workdir / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(PLEDGEDB), "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            cwd=workdir,
            env=cli_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer within {SERVER_START}s:\n{log.read_text()}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)  # bounded: returns early only if the server died
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def server(scratch_url: str, served_data: Dataset, workdir: Path) -> Iterator[str]:
    with serving(scratch_url, workdir) as (base, _):
        yield base


def test_serve_answers_over_http(server: str, served_data: Dataset, scratch_url: str) -> None:
    with httpx.Client(base_url=server, timeout=10.0) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}

        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["facts"] == len(served_data.facts())
        assert ready.json()["schema_revision"] == migrations.head_revision(scratch_url)

        naval = client.get("/nations", params={"role": "naval"})
        assert naval.status_code == 200, naval.text
        body = naval.json()

    will_or_may = [Status.pledged, Status.open_to, Status.considering, Status.pending]
    own = {
        c.nation
        for c in served_data.commitments
        if c.actor is ActorKind.nation and c.role is Role.naval and c.status in will_or_may
    }
    coalition = {
        c.id
        for c in served_data.commitments
        if c.actor is ActorKind.coalition and c.role is Role.naval and c.status in will_or_may
    }
    assert {item["code"] for item in body["items"]} == own
    assert body["total"] == len(own)
    assert {c["id"] for c in body["coalition_commitments"]} == coalition
    assert coalition, "naval patrols should be shown as the coalition's commitment"


def test_serve_lists_members_inheriting_the_coalitions_naval_task(
    server: str, served_data: Dataset
) -> None:
    members = {m.nation for m in served_data.memberships if m.status is MembershipStatus.member}
    with httpx.Client(base_url=server, timeout=10.0) as client:
        response = client.get(
            "/nations", params={"role": "naval", "include_coalition": "true", "limit": 500}
        )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["code"] for i in items} == {
        m for m in members if inherits(served_data, m, Role.naval)
    }
    assert all(i["inherited"] for i in items)


# --- the README's write walkthrough ---------------------------------------------------------


def readme_block(marker: str) -> str:
    """The shell block between <!-- marker --> and <!-- /marker --> in README.md."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]
    return block.strip().removeprefix("```sh").removesuffix("```").strip()


def test_the_readme_write_walkthrough_runs_as_written(
    server: str, scratch_url: str, workdir: Path
) -> None:
    """The curation walkthrough, exactly as the README shows it, against a fresh server: it
    must run to its end and print what its comments promise."""
    script = readme_block("walkthrough")
    (workdir / ".venv").symlink_to(PLEDGEDB.parent.parent)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        env={**cli_env(scratch_url), "BASE": server},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    promised = [
        line.rsplit("# ", 1)[1].split()[0]
        for line in script.splitlines()
        if line.startswith('curl -s "$BASE') and "# " in line
    ]
    assert result.stdout.split() == promised, result.stdout
    with httpx.Client(base_url=server, timeout=10.0) as client:
        changes = client.get("/changes", params={"entity": "commitment", "limit": 500}).json()
        fact = client.get(f"/commitments/{changes['items'][-1]['entity_id']}").json()
    assert fact["nation"] == "NL"
    assert fact["retracted_at"] is not None
    assert fact["retraction_reason"] == "the paper corrected its report"


# --- version, startup, logs ------------------------------------------------------------------


def test_version_comes_from_the_package_metadata(workdir: Path) -> None:
    result = pledgedb_process("--version", database_url=UNREACHABLE_DB, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"pledgedb {version('pledgedb')}"
    assert create_app(Settings(database_url=UNREACHABLE_DB)).version == version("pledgedb")


def _wait_for_line(log: Path, needle: str) -> str:
    """The log's text once it holds ``needle`` (lines are written after the answer)."""
    deadline = time.monotonic() + 5
    while needle not in (text := log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return text


def test_serve_prints_where_to_look_and_logs_each_request_with_a_timestamp(
    scratch_url: str, served_data: Dataset, workdir: Path
) -> None:
    with serving(scratch_url, workdir) as (base, log):
        assert httpx.head(f"{base}/nations/IT", timeout=10.0).status_code == 200
        text = _wait_for_line(log, "/nations/IT")
    assert f"explorer {base}/ " in text
    assert f"API docs {base}/docs " in text
    line = next(line for line in text.splitlines() if '"HEAD /nations/IT"' in line)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} INFO", line), line
    assert re.search(r'127\.0\.0\.1 "HEAD /nations/IT" 200 \d+\.\d ms$', line), line


def test_serve_logs_json_lines_for_log_shippers(
    scratch_url: str, served_data: Dataset, workdir: Path
) -> None:
    with serving(scratch_url, workdir, "--log-format", "json") as (base, log):
        assert httpx.get(f"{base}/nations", params={"role": "naval"}).status_code == 200
        assert httpx.get(f"{base}/nations/ZZ").status_code == 404
        text = _wait_for_line(log, "/nations/ZZ")
    records = [json.loads(line) for line in text.splitlines()]  # every line is one object
    banner = next(r for r in records if "docs" in r)
    assert banner["docs"] == f"{base}/docs"
    assert banner["explorer"] == f"{base}/"
    access = [r for r in records if r.get("logger") == "pledgedb.access"]
    by_path = {r["path"]: r for r in access}
    naval, missing = by_path["/nations"], by_path["/nations/ZZ"]
    assert (naval["method"], naval["status"], naval["query"]) == ("GET", 200, "role=naval")
    assert missing["status"] == 404
    for record in (naval, missing):
        assert record["client"] == "127.0.0.1"
        assert isinstance(record["duration_ms"], float) and record["duration_ms"] > 0
        moment = dt.datetime.fromisoformat(record["time"])
        assert moment.tzinfo is not None
        assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 120
    assert all("time" in r and "level" in r for r in records)
