"""Authentication of writes, found from the app itself so that a new write route is covered
without editing this file: every non-GET operation of the OpenAPI document (and every write
route hidden from it) must refuse a missing, unknown or revoked key with 401, and admit curator
and admin keys as the operation's declared `x-required-scope` says. Keys never reach the logs.

The inventory must not be empty: with no write operations this module fails rather than
passing without having checked anything."""

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app import main as app_main
from app.api.auth import CuratorKey, create_key, revoke_key
from app.api.limits import RateLimiter
from app.api.routers.statements import QUOTES_ALIAS
from app.config import Settings
from app.explorer.proposals import FORM_WRITES
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import Scope
from tests.conftest import PG_URL, scratch_database

pytestmark = pytest.mark.anyio

WRITE_METHODS = {"post", "put", "patch", "delete"}
READ_METHODS = {"get", "head"}
OPENAPI = app_main.app.openapi()
# (METHOD, path, operation) of every write operation the API documents.
WRITES = sorted(
    (method.upper(), path, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
    if method in WRITE_METHODS
)
IDS = [f"{method} {path}" for method, path, _ in WRITES]
GARBAGE_KEY = "pdb_" + "x" * 43


def probe_app(database_url: str) -> FastAPI:
    """The real app plus a write route that succeeds for any curator key (and one that fails
    with an unhandled error), for tests that need a write whatever routes exist."""
    app = create_app(Settings(database_url=database_url))

    @app.post("/_probe", status_code=201)
    def probe(key: CuratorKey, payload: dict[str, Any]) -> dict[str, Any]:
        return {"key": key.name, "received": len(payload)}

    @app.post("/_probe/crash")
    def crash(key: CuratorKey) -> None:
        raise RuntimeError(f"probe failure for {key.name}")

    return app


def client_for(app: FastAPI, host: str = "127.0.0.1", **options: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 123), **options)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def request_target(path: str, operation: dict[str, Any]) -> str:
    """The path with every parameter filled by a value that names nothing that exists."""
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = "999999" if param["schema"].get("type") == "integer" else "zz-no-such-id"
            path = path.replace("{" + param["name"] + "}", value)
    return path


async def send(
    client: httpx.AsyncClient, method: str, path: str, operation: dict[str, Any], key: str | None
) -> httpx.Response:
    # An empty object: never a valid fact, so a write that gets past auth changes nothing.
    return await client.request(
        method,
        request_target(path, operation),
        json={},
        headers=bearer(key) if key is not None else {},
    )


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer ")
    body = response.json()
    assert body["status"] == 401
    assert body["type"] == "/problems/unauthorized"


@pytest.fixture(scope="module")
def keyed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database without facts (no write can succeed against it), holding keys."""
    with scratch_database(tmp_path_factory.mktemp("auth")) as url:
        migrations.upgrade(url)
        yield url


@pytest.fixture(scope="module")
def keys(keyed_url: str) -> dict[str, str]:
    engine = make_engine(keyed_url)
    try:
        with make_sessionmaker(engine)() as session:
            made = {
                "curator": create_key(session, "auth-curator", Scope.curator),
                "admin": create_key(session, "auth-admin", Scope.admin),
                "revoked": create_key(session, "auth-revoked", Scope.admin),
            }
            session.flush()
            assert revoke_key(session, "auth-revoked")
            session.commit()
    finally:
        engine.dispose()
    return made


@pytest.fixture(scope="module")
def auth_app(keyed_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=keyed_url))
    # The matrix makes many writes from one address; rate limits have their own tests.
    app.state.write_limiter = RateLimiter(1_000_000)
    yield app
    app.state.engine.dispose()


@pytest.fixture
async def auth_client(auth_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(auth_app) as client:
        yield client


# --- the inventory ---------------------------------------------------------------------------


def test_there_are_write_operations_to_check() -> None:
    # Without this, every parametrised test below would be skipped and the module would pass.
    assert WRITES, "the OpenAPI document lists no POST/PUT/PATCH/DELETE operation"


def test_no_write_route_is_hidden_from_the_inventory() -> None:
    documented = {(method, path) for method, path, _ in WRITES}
    # Included routers are nested in FastAPI's routes; this walks them as the OpenAPI does.
    routed = {
        (method, route.path_format)
        for route in iter_route_contexts(app_main.app.routes)
        for method in route.methods or ()
        if method.lower() not in READ_METHODS
    }
    assert ("GET", "/healthz") not in routed and any(
        route.path_format == "/healthz" for route in iter_route_contexts(app_main.app.routes)
    ), "the route walk should see the included routers' routes"
    # The explorer's review form posts to a page route that passes the decision to the API's
    # own write route with the key it carried: the API's checks apply there.
    routed -= FORM_WRITES
    # `/quotes`, the first name of `/statements`, answers every method with a 308 to it and
    # writes nothing itself.
    routed -= {(method, QUOTES_ALIAS.path_format) for method in QUOTES_ALIAS.methods or ()}
    assert routed <= documented, f"write routes missing from OpenAPI: {routed - documented}"
    undocumented_methods = {
        (method, path)
        for path, item in OPENAPI["paths"].items()
        for method in item
        if method not in WRITE_METHODS | READ_METHODS
        and method not in {"parameters", "summary", "description", "servers"}
    }
    assert not undocumented_methods


async def test_the_served_openapi_lists_the_same_writes(auth_client: httpx.AsyncClient) -> None:
    served = (await auth_client.get("/openapi.json")).json()
    assert sorted(
        (method.upper(), path)
        for path, item in served["paths"].items()
        for method in item
        if method in WRITE_METHODS
    ) == [(method, path) for method, path, _ in WRITES]


@pytest.mark.parametrize(("method", "path", "operation"), WRITES, ids=IDS)
def test_write_operation_declares_scope_and_bearer_security(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    assert operation.get("x-required-scope") in {"curator", "admin"}, (
        f"{method} {path} must declare openapi_extra={{'x-required-scope': ...}}"
    )
    assert {"HTTPBearer": []} in operation.get("security", []), operation.get("security")
    if (method, path) == ("POST", "/sources"):
        assert operation["x-required-scope"] == "admin"


# --- without a valid key ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation"), WRITES, ids=IDS)
async def test_write_without_a_valid_key_is_401(
    auth_client: httpx.AsyncClient,
    keys: dict[str, str],
    method: str,
    path: str,
    operation: dict[str, Any],
) -> None:
    assert_unauthorized(await send(auth_client, method, path, operation, key=None))
    assert_unauthorized(await send(auth_client, method, path, operation, key=GARBAGE_KEY))
    assert_unauthorized(await send(auth_client, method, path, operation, key=keys["revoked"]))
    basic = await auth_client.request(
        method,
        request_target(path, operation),
        json={},
        headers={"Authorization": f"Basic {keys['admin']}"},
    )
    assert_unauthorized(basic)


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's database-wide write lock")
async def test_refused_writes_do_not_wait_for_the_write_lock(
    auth_client: httpx.AsyncClient, keyed_url: str
) -> None:
    """Auth (and its rate limit) must run before a write takes SQLite's write lock: list the key
    parameter before the write session, or a flood of keyless requests queues every curator."""
    assert WRITES, "no write operations to check"
    engine = make_engine(keyed_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # as a long write would hold it
            try:
                for method, path, operation in WRITES:
                    for key in (None, GARBAGE_KEY):
                        started = time.monotonic()
                        response = await send(auth_client, method, path, operation, key)
                        assert_unauthorized(response)
                        assert time.monotonic() - started < 2, f"{method} {path} waited"
            finally:
                conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


# --- the scope matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation"), WRITES, ids=IDS)
@pytest.mark.parametrize("holder", ["curator", "admin"])
async def test_scope_matrix(
    auth_client: httpx.AsyncClient,
    keys: dict[str, str],
    holder: str,
    method: str,
    path: str,
    operation: dict[str, Any],
) -> None:
    response = await send(auth_client, method, path, operation, key=keys[holder])
    if holder == "curator" and operation.get("x-required-scope") == "admin":
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/forbidden"
        return
    # Past auth: the request fails later (404, 412, 422, 428...) on the empty body or the
    # made-up id, never on the key, and never as a server error.
    assert response.status_code not in {401, 403, 429}, response.text
    assert response.status_code < 500, response.text


# --- keys never reach the logs ---------------------------------------------------------------


@contextmanager
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every logger at DEBUG and into caplog, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    known = logging.root.manager.loggerDict.values()
    loggers = [logger for logger in known if isinstance(logger, logging.Logger)]
    isolated = [logger for logger in loggers if not logger.propagate]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
    for logger in isolated:
        logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        for logger in isolated:
            logger.removeHandler(caplog.handler)


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter()
    return "\n".join(formatter.format(record) + repr(record.__dict__) for record in caplog.records)


async def test_keys_never_appear_in_logs(
    keyed_url: str, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    app = probe_app(keyed_url)
    try:
        with everything_logged(caplog):
            async with client_for(app, raise_app_exceptions=False) as client:
                responses = [
                    # A write that succeeds, one that fails inside the handler, and refusals.
                    await client.post("/_probe", json={"a": 1}, headers=bearer(keys["curator"])),
                    await client.post("/_probe/crash", headers=bearer(keys["admin"])),
                    await client.post("/_probe", json={"a": 1}, headers=bearer(keys["revoked"])),
                    await client.post("/_probe", json={"a": 1}, headers=bearer(GARBAGE_KEY)),
                    await client.post("/_probe", content=b"{", headers=bearer(keys["curator"])),
                ]
                for method, path, operation in WRITES:
                    for key in (keys["curator"], keys["admin"], GARBAGE_KEY):
                        responses.append(await send(client, method, path, operation, key))
    finally:
        app.state.engine.dispose()

    assert [r.status_code for r in responses[:5]] == [201, 500, 401, 401, 422]
    text = logged_text(caplog)
    assert "probe failure for auth-admin" in text, "the crash should have been logged"
    for key in (*keys.values(), GARBAGE_KEY):
        assert key not in text
        for response in responses:
            assert key not in response.text
            assert key not in str(response.headers)
