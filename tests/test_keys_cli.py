"""`pledgedb keys`, run as a real subprocess against a migrated database of the backend under
test: the key is printed once and works, only its SHA-256 is stored, listing shows no secret,
revoking takes effect at once, names are unique."""

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.store import migrations
from app.store.engine import make_engine
from tests.processes import pledgedb
from tests.test_auth import bearer, client_for, probe_app
from tests.test_cli import dump

pytestmark = pytest.mark.anyio


@pytest.fixture
def url(scratch_url: str) -> str:
    migrations.upgrade(scratch_url)
    return scratch_url


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


def keys(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return pledgedb("keys", *args, database_url=url, cwd=cwd)


def create(name: str, scope: str, url: str, cwd: Path) -> str:
    result = keys("create", "--name", name, "--scope", scope, url=url, cwd=cwd)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "stdout should hold the key alone, for scripts"
    assert "will not be shown again" in result.stderr
    return lines[0]


def listed(url: str, cwd: Path) -> list[dict[str, Any]]:
    result = keys("list", "--json", url=url, cwd=cwd)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def stored_keys(url: str) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row) for row in conn.execute(text("SELECT * FROM api_keys")).mappings()]
    finally:
        engine.dispose()


async def probe(url: str, key: str) -> int:
    app = probe_app(url)
    try:
        async with client_for(app) as client:
            response = await client.post("/_probe", json={}, headers=bearer(key))
    finally:
        app.state.engine.dispose()
    if response.status_code == 401:
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert response.headers["content-type"] == "application/problem+json"
    return response.status_code


async def test_create_prints_a_working_key_and_stores_only_its_hash(
    url: str, workdir: Path
) -> None:
    key = create("alice", "curator", url, workdir)
    assert key.startswith("pdb_") and len(key) > 40

    (row,) = stored_keys(url)
    assert row["name"] == "alice" and row["scope"] == "curator"
    assert row["key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row["prefix"]) and len(row["prefix"]) < 12
    # Not in that row, nor anywhere else in the database.
    assert not any(key in str(value) for value in row.values())
    assert key not in repr(dump(url))

    assert await probe(url, key) == 201


async def test_list_shows_no_secret(url: str, workdir: Path) -> None:
    curator = create("alice", "curator", url, workdir)
    admin = create("root", "admin", url, workdir)
    secrets = [curator, admin, *(hashlib.sha256(k.encode()).hexdigest() for k in (curator, admin))]

    text = keys("list", url=url, cwd=workdir)
    assert text.returncode == 0, text.stderr
    header, *lines = text.stdout.splitlines()
    assert header.split() == ["name", "scope", "prefix", "created", "revoked"]
    assert [line.split()[:3] for line in lines] == [
        ["alice", "curator", curator[:8]],
        ["root", "admin", admin[:8]],
    ]
    assert [line.split()[4] for line in lines] == ["-", "-"]

    rows = listed(url, workdir)
    assert [(r["name"], r["scope"], r["prefix"], r["revoked"]) for r in rows] == [
        ("alice", "curator", curator[:8], None),
        ("root", "admin", admin[:8], None),
    ]
    assert all(set(r) == {"name", "scope", "prefix", "created", "revoked"} for r in rows)
    assert all(r["created"].endswith("+00:00") for r in rows)
    for secret in secrets:
        assert secret not in text.stdout + text.stderr
        assert secret not in json.dumps(rows)


async def test_revoke_makes_the_key_fail_with_401(url: str, workdir: Path) -> None:
    key = create("alice", "curator", url, workdir)
    other = create("bob", "curator", url, workdir)
    assert await probe(url, key) == 201

    result = keys("revoke", "alice", url=url, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "alice" in result.stdout

    assert await probe(url, key) == 401
    assert await probe(url, other) == 201
    revoked = {r["name"]: r["revoked"] for r in listed(url, workdir)}
    assert revoked["alice"] is not None and revoked["bob"] is None
    # Revoking twice is harmless.
    assert keys("revoke", "alice", url=url, cwd=workdir).returncode == 0


def test_revoking_an_unknown_key_exits_1(url: str, workdir: Path) -> None:
    result = keys("revoke", "nobody", url=url, cwd=workdir)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "No key named 'nobody'" in result.stderr


def test_duplicate_name_fails_and_keeps_the_first_key(url: str, workdir: Path) -> None:
    first = create("alice", "curator", url, workdir)
    result = keys("create", "--name", "alice", "--scope", "admin", url=url, cwd=workdir)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "already exists" in result.stderr
    assert result.stdout == "", "no key may be printed when none was stored"
    (row,) = stored_keys(url)
    assert row["key_sha256"] == hashlib.sha256(first.encode()).hexdigest()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--name", "x", "--scope", "root"], 2),
        (["--name", "", "--scope", "curator"], 1),
        (["--name", " padded ", "--scope", "curator"], 1),
        (["--name", "n" * 81, "--scope", "curator"], 1),
    ],
    ids=["unknown scope", "empty name", "padded name", "long name"],
)
def test_create_refuses_bad_arguments(url: str, workdir: Path, args: list[str], code: int) -> None:
    result = keys("create", *args, url=url, cwd=workdir)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert stored_keys(url) == []
