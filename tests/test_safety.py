"""Safety limits of the API (RELIABILITY.md rows 6-9, 11): the database time limit, read-only
reads, a database that cannot be reached, security and caching headers, CORS, the caps on
paging and strings, and logs that never hold keys or bodies. On SQLite and on PostgreSQL
(PLEDGEDB_TEST_DATABASE_URL).

The app under test is the real one plus a few probe routes under ``/_safety`` that run SQL
through the real session dependencies."""

import logging
import socket
import sqlite3
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.api.limits import RateLimiter
from app.api.sessions import ReadSessionDep, SessionDep, WriteSessionDep, get_read_session
from app.config import Settings
from app.main import create_app
from tests.conftest import PG_URL
from tests.curation import Curation, commitment_body
from tests.helpers import problem
from tests.test_auth import everything_logged, logged_text

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

# The slow queries below run for minutes unless cut off; an ordinary request must never reach
# the limit, even late in a full suite on a busy machine (at 400 ms one did, once, in CI-like
# conditions: a 34-row page interrupted).
TIMEOUT_MS = 1000
POSTGRES = PG_URL is not None
# Run for minutes unless stopped: counting to a billion (either database), or sleeping.
COUNT_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
    "SELECT count(*) FROM c"
)
SLOW_SQL = "SELECT pg_sleep(30)" if POSTGRES else COUNT_SQL
# Long enough to pass the progress handler many times, quick when nothing interrupts it.
BUSY_SQLITE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
    "SELECT count(*) FROM c"
)
HARMLESS_WRITE = "UPDATE nations SET name = name"
ALLOWED_ORIGIN = "https://dashboard.example.org"


def add_probe_routes(app: FastAPI) -> None:
    @app.get("/_safety/slow")
    def slow_read(session: ReadSessionDep) -> dict[str, Any]:
        return {"result": session.execute(text(SLOW_SQL)).scalar()}

    @app.get("/_safety/count")
    def slow_count(session: ReadSessionDep) -> dict[str, Any]:
        return {"result": session.execute(text(COUNT_SQL)).scalar()}

    @app.get("/_safety/slow-audit")
    def slow_live_read(session: SessionDep) -> dict[str, Any]:
        return {"result": session.execute(text(SLOW_SQL)).scalar()}

    @app.post("/_safety/slow")
    def slow_write(session: WriteSessionDep) -> dict[str, Any]:
        return {"result": session.execute(text(SLOW_SQL)).scalar()}

    @app.post("/_safety/write")
    def quick_write(session: WriteSessionDep) -> dict[str, Any]:
        # A write that changes nothing, rolled back: the shared database stays as seeded.
        session.execute(text(HARMLESS_WRITE))
        session.rollback()
        return {"written": True}

    @app.get("/_safety/try-write")
    def try_write(session: ReadSessionDep) -> dict[str, Any]:
        try:
            session.execute(text(HARMLESS_WRITE))
        except DBAPIError as exc:
            return {"refused": True, "error": str(exc.orig)}
        return {"refused": False, "error": None}

    @app.get("/_safety/fail")
    def fail_with_parameter(session: ReadSessionDep, request: Request) -> dict[str, Any]:
        marker = request.headers["x-marker"]
        session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": marker})
        return {}


def make_app(database_url: str, **settings: Any) -> FastAPI:
    app = create_app(Settings(database_url=database_url, **settings))
    app.state.write_limiter = RateLimiter(1_000_000)
    add_probe_routes(app)
    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="module")
def safety_app(database_url: str) -> Iterator[FastAPI]:
    app = make_app(database_url, statement_timeout_ms=TIMEOUT_MS)
    yield app
    app.state.history.close()
    app.state.engine.dispose()


@pytest.fixture
async def safe_client(safety_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(safety_app) as client:
        yield client


# --- database time limit (row 7) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_safety/slow"), ("GET", "/_safety/slow-audit"), ("POST", "/_safety/slow")],
)
async def test_a_slow_query_is_cut_off_with_503(
    safe_client: httpx.AsyncClient, method: str, path: str
) -> None:
    started = time.monotonic()
    response = await safe_client.request(method, path)
    elapsed = time.monotonic() - started
    body = problem(response, 503)
    assert body["type"] == "/problems/timeout"
    assert "SELECT" not in response.text and "pg_sleep" not in response.text
    assert elapsed < 10, f"the query ran {elapsed:.1f} s"
    # The connections are fine afterwards: reads and writes work at once.
    for _ in range(5):
        assert (await safe_client.get("/nations", params={"limit": 3})).status_code == 200
    assert (await safe_client.post("/_safety/write")).json() == {"written": True}


@pytest.mark.parametrize("as_of", [None, "2030-01-01T00:00:00Z"])
async def test_a_slow_count_is_cut_off(safe_client: httpx.AsyncClient, as_of: str | None) -> None:
    """CPU-bound work too, and in a past state (an in-memory SQLite copy on either backend)."""
    params = {"as_of": as_of} if as_of else {}
    response = await safe_client.get("/_safety/count", params=params)
    assert problem(response, 503)["type"] == "/problems/timeout"


async def test_the_time_limit_applies_to_each_request_afresh(
    safe_client: httpx.AsyncClient,
) -> None:
    """A deadline left on a pooled connection would interrupt later requests."""
    assert (await safe_client.get("/_safety/slow")).status_code == 503
    time.sleep(TIMEOUT_MS / 1000 * 1.5)
    for _ in range(10):
        response = await safe_client.get("/commitments", params={"limit": 500})
        assert response.status_code == 200


async def test_pooled_connections_go_back_as_they_came(
    safety_app: FastAPI, safe_client: httpx.AsyncClient
) -> None:
    """After a read session, its connection is as the next session expects: on SQLite
    writable again and without the read's deadline; on PostgreSQL outside any transaction,
    with the defaults it opened with (read-only, the time limit per statement: app.api.sessions's
    make_engine), which a write session overrides for its own transaction."""
    request = Request({"type": "http", "app": safety_app, "query_string": b"", "headers": []})
    sessions = get_read_session(request, None)
    assert isinstance(sessions, AsyncGenerator)  # a dependency with cleanup: it can be closed
    session: Session = await anext(sessions)
    raw: Any = session.connection().connection.driver_connection
    with pytest.raises(DBAPIError):
        session.execute(text(HARMLESS_WRITE))
    time.sleep(TIMEOUT_MS / 1000 * 1.5)  # past the deadline
    await sessions.aclose()

    if POSTGRES:
        assert raw.info.transaction_status == 0  # IDLE: no transaction left open
        with raw.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
            assert cursor.fetchone()[0] == str(TIMEOUT_MS)
    else:
        assert raw.execute("PRAGMA query_only").fetchone() == (0,)
        assert raw.execute(BUSY_SQLITE).fetchone() == (20000,)  # not interrupted
    written = await safe_client.post("/_safety/write")  # on one of the pool's connections
    assert written.json() == {"written": True}


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only")
async def test_reads_keep_their_prepared_statements(database_url: str) -> None:
    """psycopg prepares a query it has run five times on a connection, but forgets the ones
    prepared in a transaction that rolls back: reads ending in ROLLBACK had the server parse and
    plan every query of every request anew. The API's reads run in autocommit (app.store.engine),
    and a prepared statement keeps one generic plan: none is planned again for its values."""
    app = make_app(database_url, response_cache_entries=0)  # every request runs its queries
    try:
        async with client_for(app) as client:
            for _ in range(8):  # one at a time: each takes the pool's one connection again
                assert (await client.get("/nations", params={"role": "naval"})).status_code == 200
        with app.state.engine.connect() as conn:
            prepared = conn.exec_driver_sql(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            ).all()
    finally:
        app.state.engine.dispose()
    nations = [row for row in prepared if "FROM nations" in row.statement]
    assert nations, prepared
    for row in nations:
        assert row.custom_plans == 0, row
        assert row.generic_plans >= 1, row


async def test_a_zero_time_limit_turns_the_limit_off(database_url: str) -> None:
    app = make_app(database_url, statement_timeout_ms=0)
    try:
        async with client_for(app) as client:
            assert (await client.get("/nations")).status_code == 200
            if not POSTGRES:
                session = app.state.sessionmaker()
                assert session.execute(text(BUSY_SQLITE)).scalar() == 20000
                session.close()
    finally:
        app.state.engine.dispose()


# --- read-only reads (row 8) -----------------------------------------------------------------


@pytest.mark.parametrize("as_of", [None, "2030-01-01T00:00:00Z"])
async def test_read_sessions_cannot_write(
    safe_client: httpx.AsyncClient, as_of: str | None
) -> None:
    params = {"as_of": as_of} if as_of else {}
    response = await safe_client.get("/_safety/try-write", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refused"], "a read session wrote"
    assert any(word in body["error"] for word in ("read-only", "readonly")), body["error"]


async def test_write_sessions_can_write(safe_client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await safe_client.get("/_safety/try-write")).json()["refused"]
        assert (await safe_client.post("/_safety/write")).json() == {"written": True}


# --- database unavailable (row 17's mapping) -------------------------------------------------


def copy_sqlite(source_url: str, target: Path) -> None:
    source = sqlite3.connect(source_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    source.backup(copy)
    copy.close()
    source.close()


async def assert_unavailable(client: httpx.AsyncClient, internal: str) -> None:
    response = await client.get("/nations")
    body = problem(response, 503)
    assert body["type"] == "/problems/unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text and "sqlite3" not in response.text
    assert internal not in response.text
    assert problem(await client.get("/readyz"), 503)["type"] == "/problems/unavailable"


async def test_a_moved_sqlite_file_is_503_until_restored(database_url: str, tmp_path: Path) -> None:
    """The file moves away (as a failed disk or a careless operator would have it); mode=rw
    keeps SQLite from creating an empty one in its place. Root reads any file whatever its
    mode, so moving it is what makes it unreadable here."""
    shared = database_url if database_url.startswith("sqlite") else None
    if shared is None:
        pytest.skip("needs the seeded SQLite database (the PostgreSQL run has its own test)")
    path = tmp_path / "copy.sqlite3"
    copy_sqlite(shared, path)
    app = make_app(f"sqlite:///file:{path}?mode=rw&uri=true")
    try:
        async with client_for(app) as client:
            assert (await client.get("/nations")).status_code == 200
            path.rename(tmp_path / "away.sqlite3")
            # Pooled connections still hold the moved file: the checkout check drops them.
            await assert_unavailable(client, str(tmp_path))
            (tmp_path / "away.sqlite3").rename(path)
            assert (await client.get("/nations")).status_code == 200  # no restart
            assert (await client.get("/readyz")).status_code == 200
    finally:
        app.state.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only")
async def test_an_unreachable_postgresql_is_503(database_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(host="127.0.0.1", port=free_port())
    app = make_app(url.render_as_string(hide_password=False))
    try:
        assert app.state.engine.pool._pre_ping, "recovery without restart needs pool_pre_ping"
        async with client_for(app) as client:
            await assert_unavailable(client, str(url.port))
    finally:
        app.state.engine.dispose()


# --- security and caching headers, CORS (row 11) ---------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_public_reads_are_cacheable_and_locked_down(
    safe_client: httpx.AsyncClient,
) -> None:
    response = await safe_client.get("/nations")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "Accept" in response.headers["vary"]
    again = await safe_client.get("/nations", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=60"
    assert_security_headers(again)


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "cache"),
    [
        ("GET", "/nations", {"Authorization": "Bearer x"}, 200, "private, no-store"),
        ("POST", "/commitments", {}, 401, "private, no-store"),
        ("GET", "/nope", {}, 404, "no-store"),
        ("GET", "/nations?limit=0", {}, 422, "no-store"),
        ("GET", "/healthz", {}, 200, "no-store"),
        ("GET", "/readyz", {}, 200, "no-store"),
        ("GET", "/nations?q=" + "x" * 9000, {}, 414, "no-store"),
        ("GET", "/_safety/slow", {}, 503, "no-store"),
    ],
)
async def test_other_answers_are_not_stored(
    safe_client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    cache: str,
) -> None:
    response = await safe_client.request(method, path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == cache
    assert_security_headers(response)


async def test_the_docs_load_scripts_from_this_server_only(safe_client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        response = await safe_client.get(path)
        assert response.status_code == 200
        assert_security_headers(response)
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'", policy
        assert directives["script-src"] == "'self'", policy  # no inline script, no CDN
        assert directives["connect-src"] == "'self'", policy
    assert (
        (await safe_client.get("/openapi.json"))
        .headers["content-security-policy"]
        .startswith("default-src 'none'")
    )


async def test_cors_is_off_by_default(safe_client: httpx.AsyncClient) -> None:
    response = await safe_client.get("/nations", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = await safe_client.options(
        "/nations", headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_only_the_configured_origins(database_url: str) -> None:
    app = make_app(database_url, cors_origins=[ALLOWED_ORIGIN])
    try:
        async with client_for(app) as client:
            response = await client.get("/nations", headers={"Origin": ALLOWED_ORIGIN})
            assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
            exposed = response.headers["access-control-expose-headers"].lower()
            for header in ("etag", "link", "location", "retry-after", "x-total-count"):
                assert header in exposed
            assert "Origin" in response.headers["vary"]
            assert_security_headers(response)

            other = await client.get("/nations", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers

            preflight = await client.options(
                "/commitments/x",
                headers={
                    "Origin": ALLOWED_ORIGIN,
                    "Access-Control-Request-Method": "PATCH",
                    "Access-Control-Request-Headers": "authorization, if-match, content-type",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
            allowed = preflight.headers["access-control-allow-headers"].lower()
            for header in ("authorization", "if-match", "if-none-match", "content-type"):
                assert header in allowed
            assert "access-control-allow-credentials" not in preflight.headers

            refused = await client.options(
                "/nations",
                headers={
                    "Origin": "https://evil.example",
                    "Access-Control-Request-Method": "GET",
                },
            )
            assert "access-control-allow-origin" not in refused.headers
    finally:
        app.state.engine.dispose()


def test_cors_origins_must_be_origins() -> None:
    assert Settings(cors_origins="https://a.example, http://localhost:3000").cors_origins == [
        "https://a.example",
        "http://localhost:3000",
    ]
    for bad in ("*", "https://a.example/", "a.example", "https://a.example/path"):
        with pytest.raises(ValueError, match="not an origin"):
            Settings(cors_origins=[bad])


# --- caps on paging and strings (row 6) ------------------------------------------------------


def leaves(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            yield from leaves(option)
    elif schema.get("type") == "array":
        yield from leaves(schema["items"])
    else:
        yield schema


async def test_every_parameter_is_bounded_in_openapi(safe_client: httpx.AsyncClient) -> None:
    spec = (await safe_client.get("/openapi.json")).json()
    checked = 0
    for path, item in spec["paths"].items():
        if path.startswith("/_safety"):
            continue
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['name']}"
                for leaf in leaves(parameter["schema"]):
                    if leaf.get("type") == "string":
                        assert {"maxLength", "enum", "pattern"} & leaf.keys(), where
                    if leaf.get("type") == "integer":
                        assert "maximum" in leaf, where
                    checked += 1
                if parameter["name"] == "limit":
                    assert parameter["schema"]["maximum"] == 500, where
                if parameter["name"] == "offset":
                    assert parameter["schema"]["maximum"] == 100_000, where
            assert "503" in operation["responses"], f"{method} {path}"
    assert checked > 50


@pytest.mark.parametrize(
    "params",
    [{"limit": 501}, {"limit": 0}, {"offset": 100_001}, {"offset": -1}, {"q": "x" * 1000}],
)
async def test_caps_are_enforced(safe_client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    body = problem(await safe_client.get("/nations", params=params), 422)
    assert body["type"] == "/problems/invalid-parameter"


async def test_no_page_exceeds_the_cap(safe_client: httpx.AsyncClient) -> None:
    body = (await safe_client.get("/commitments", params={"limit": 500})).json()
    assert len(body["items"]) <= 500


# --- keys and bodies never logged ------------------------------------------------------------


async def test_bodies_and_bound_values_never_reach_the_logs(
    curation: Curation, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "Zebra-marker-7d1f"
    add_probe_routes(curation.app)
    with everything_logged(caplog):
        # SQLAlchemy at DEBUG logs result rows, an opt-in of whoever debugs; its INFO logs the
        # statements, whose bound values are hidden.
        for name in list(logging.root.manager.loggerDict):
            if name.startswith("sqlalchemy"):
                caplog.set_level(logging.INFO, logger=name)
        client = curation.client
        body = commitment_body(summary=f"A summary with {marker} inside.")
        created = await client.post("/commitments", json=body, headers=curation.auth())
        assert created.status_code == 201, created.text
        bad = await client.post(
            "/commitments", json={**body, "nation": marker}, headers=curation.auth()
        )
        assert bad.status_code == 422
        refused = await client.post("/commitments", json=body, headers={"Authorization": marker})
        assert refused.status_code == 401
        failed = await client.get("/_safety/fail", headers={"X-Marker": marker})
        assert failed.status_code in (500, 503)
        assert marker not in failed.text
    text = logged_text(caplog)
    assert "no_such_table" in text, "the failure should have been logged"
    assert marker not in text
    assert curation.keys["alice"] not in text


async def test_the_access_log_names_no_key_or_body(
    curation: Curation, caplog: pytest.LogCaptureFixture
) -> None:
    """An access line (app.api.logs) is the client, the method, path and query, the status and
    the duration: the key travels in a header and the body is never part of it."""
    marker = "Zebra-marker-7d1f"
    with caplog.at_level(logging.INFO, logger="pledgedb.access"):
        created = await curation.client.post(
            "/commitments", json=commitment_body(summary=marker), headers=curation.auth()
        )
    assert created.status_code == 201, created.text
    records = [r for r in caplog.records if r.name == "pledgedb.access"]
    assert len(records) == 1
    record: Any = records[0]
    assert (record.method, record.path, record.status) == ("POST", "/commitments", 201)
    everything = record.getMessage() + repr(vars(record))
    assert marker not in everything
    assert curation.keys["alice"] not in everything


async def test_the_pool_has_a_connection_for_every_request_thread(database_url: str) -> None:
    """A burst of slow requests must never leave request threads waiting for connections (the
    "QueuePool limit reached" stall): the pool is at least as large as the thread pool, which
    the server's start-up (the app's lifespan) sizes from the settings, up to their maximum."""
    import anyio.to_thread

    limiter = anyio.to_thread.current_default_thread_limiter()
    default = limiter.total_tokens
    most = Settings.model_fields["request_threads"].metadata[-1].le
    for threads in (3, most):
        app = make_app(database_url, request_threads=threads)
        try:
            async with app.router.lifespan_context(app):
                assert limiter.total_tokens == threads
                pool: Any = app.state.engine.pool
                assert pool.size() + pool._max_overflow >= threads
        finally:
            limiter.total_tokens = default
            app.state.engine.dispose()
    with pytest.raises(ValueError, match="less than or equal"):
        Settings(database_url=database_url, request_threads=most + 1)


async def test_what_start_up_built_is_out_of_the_collectors_sight_while_serving(
    database_url: str,
) -> None:
    """A full garbage collection walked every object start-up made (routes, schemas, reference
    data), stalling each request of the process ~110 ms several times a second under load: the
    lifespan freezes them, and lets them go at shutdown."""
    import gc

    app = make_app(database_url)
    try:
        assert gc.get_freeze_count() == 0
        async with app.router.lifespan_context(app):
            # Every object the collector tracks at start-up: hundreds of thousands.
            assert gc.get_freeze_count() > 100_000
        assert gc.get_freeze_count() == 0
    finally:
        app.state.engine.dispose()
