"""Abuse limits: request size (413, 414) and the write rate per key and per client address
(429 with Retry-After). The app is the real one plus probe routes (`tests.test_auth`), so the
limits are tested as `create_app` installs them whatever write routes exist; each test gets a
fresh app whose limiter runs on a clock the test moves."""

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.auth import CuratorKey, create_key
from app.api.limits import RateLimiter, RequestSizeLimit
from app.config import Settings
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import Scope
from tests.conftest import scratch_database
from tests.test_auth import GARBAGE_KEY, IDS, WRITES, bearer, client_for, probe_app, send

pytestmark = pytest.mark.anyio

RATE = 3  # writes a minute, for the tests' limiter
INTERVAL = 60 // RATE  # seconds until one more token
CHUNK = 64 * 1024
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def size_limit(app: FastAPI, option: str) -> int:
    """A limit as the app's middleware was given it (from the environment's settings)."""
    found = [options for cls, _, options in app.user_middleware if cls is RequestSizeLimit]
    assert len(found) == 1, app.user_middleware
    value: int = found[0][option]
    return value


def assert_problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == type_
    return body


def assert_throttled(response: httpx.Response, retry_after: int, who: str) -> None:
    body = assert_problem(response, 429, "/problems/too-many-requests")
    assert response.headers["retry-after"] == str(retry_after)
    assert who in body["detail"]


@pytest.fixture(scope="module")
def limits_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(tmp_path_factory.mktemp("limits")) as url:
        migrations.upgrade(url)
        yield url


@pytest.fixture(scope="module")
def keys(limits_url: str) -> dict[str, str]:
    engine = make_engine(limits_url)
    try:
        with make_sessionmaker(engine)() as session:
            made = {name: create_key(session, name, Scope.curator) for name in ("a", "b", "c")}
            session.commit()
    finally:
        engine.dispose()
    return made


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(limits_url: str, clock: Clock) -> Iterator[FastAPI]:
    app = probe_app(limits_url)

    # Probes every write method, and an authenticated read.
    @app.api_route("/_probe/any", methods=[*WRITE_METHODS, "GET"], include_in_schema=False)
    def any_method(key: CuratorKey) -> dict[str, str]:
        return {"key": key.name}

    app.state.write_limiter = RateLimiter(RATE, clock=clock)
    yield app
    app.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


async def write(
    app: FastAPI, key: str | None, host: str = "10.0.0.1", method: str = "POST"
) -> httpx.Response:
    async with client_for(app, host) as client:
        headers = bearer(key) if key is not None else {}
        if method == "POST":
            return await client.post("/_probe", json={"n": 1}, headers=headers)
        return await client.request(method, "/_probe/any", headers=headers)


# --- request size ----------------------------------------------------------------------------


def test_create_app_installs_the_limits() -> None:
    app = create_app(Settings(database_url="sqlite://"))
    app.state.engine.dispose()
    assert isinstance(app.state.write_limiter, RateLimiter)
    assert size_limit(app, "max_body_bytes") > 0
    assert size_limit(app, "max_url_bytes") > 0


async def test_declared_body_over_the_limit_is_refused_unread(
    app: FastAPI, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    limit = size_limit(app, "max_body_bytes")
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(limit // CHUNK + 2):
            sent += 1
            yield b"x" * CHUNK

    response = await client.post(
        "/_probe",
        content=body(),
        headers={"Content-Length": str(limit + 1), **bearer(keys["a"])},
    )
    body_ = assert_problem(response, 413, "/problems/payload-too-large")
    assert str(limit) in body_["detail"]
    assert sent == 0, "the body was read although its declared length was over the limit"


async def test_body_over_the_limit_is_refused_before_auth(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    limit = size_limit(app, "max_body_bytes")
    # No key and a path with no route: the size is checked before anything else.
    for path in ("/_probe", "/commitments", "/no-such-route"):
        response = await client.post(path, content=b"x" * (limit + 1))
        assert_problem(response, 413, "/problems/payload-too-large")


async def test_body_of_exactly_the_limit_passes(
    app: FastAPI, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    limit = size_limit(app, "max_body_bytes")
    filler = limit - len(b'{"a":""}')
    payload = b'{"a":"' + b"x" * filler + b'"}'
    assert len(payload) == limit
    response = await client.post(
        "/_probe",
        content=payload,
        headers={"Content-Type": "application/json", **bearer(keys["a"])},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path", ["/_probe", "/commitments"])
async def test_streamed_body_over_the_limit_is_cut_off(
    app: FastAPI, client: httpx.AsyncClient, keys: dict[str, str], path: str
) -> None:
    limit = size_limit(app, "max_body_bytes")
    sent = 0

    async def body() -> AsyncIterator[bytes]:  # chunked: no Content-Length
        nonlocal sent
        for _ in range(8 * (limit // CHUNK + 1)):
            sent += 1
            yield b"x" * CHUNK

    response = await client.post(path, content=body(), headers=bearer(keys["a"]))
    body_ = assert_problem(response, 413, "/problems/payload-too-large")
    assert "request body" in body_["detail"]
    # Reading stopped at the first chunk past the limit, not at the end of the stream.
    assert sent == limit // CHUNK + 1


async def test_streamed_body_within_the_limit_passes(
    client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"a": '
        yield b"1}"

    response = await client.post(
        "/_probe",
        content=body(),
        headers={"Content-Type": "application/json", **bearer(keys["a"])},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"key": "a", "received": 1}


async def test_url_over_the_limit_is_414(app: FastAPI, client: httpx.AsyncClient) -> None:
    limit = size_limit(app, "max_url_bytes")
    response = await client.get("/nations", params={"q": "x" * limit})
    body = assert_problem(response, 414, "/problems/uri-too-long")
    assert str(limit) in body["detail"]
    # Just under: reaches the route (which refuses the unknown parameter by name).
    room = limit - len("/nations?q=")
    assert (await client.get("/nations", params={"q": "x" * room})).status_code != 414


# --- write rate ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", WRITE_METHODS)
async def test_writes_over_the_rate_get_429_with_retry_after(
    app: FastAPI, keys: dict[str, str], method: str
) -> None:
    # From a new address each time: the key's own limit is the one reached.
    for n in range(RATE):
        response = await write(app, keys["a"], host=f"10.0.1.{n}", method=method)
        assert response.status_code in {200, 201}, response.text
    response = await write(app, keys["a"], host="10.0.1.99", method=method)
    assert_throttled(response, INTERVAL, "API key 'a'")


async def test_another_key_is_not_affected(app: FastAPI, keys: dict[str, str]) -> None:
    for _ in range(RATE):
        assert (await write(app, keys["a"], host="10.0.0.1")).status_code == 201
    assert (await write(app, keys["a"], host="10.0.0.1")).status_code == 429
    assert (await write(app, keys["b"], host="10.0.0.2")).status_code == 201


async def test_the_client_limit_applies_across_keys(app: FastAPI, keys: dict[str, str]) -> None:
    assert (await write(app, keys["a"], host="10.0.0.3")).status_code == 201
    assert (await write(app, keys["a"], host="10.0.0.3")).status_code == 201
    assert (await write(app, keys["b"], host="10.0.0.3")).status_code == 201
    assert_throttled(await write(app, keys["c"], host="10.0.0.3"), INTERVAL, "client address")
    # Key c has spent nothing: from elsewhere it may write.
    assert (await write(app, keys["c"], host="10.0.0.4")).status_code == 201


async def test_wrong_keys_spend_the_address_budget(app: FastAPI, keys: dict[str, str]) -> None:
    # Guessing keys costs the same as writing, so it is throttled just as fast.
    for key in (GARBAGE_KEY, None, GARBAGE_KEY[:-1] + "y"):
        assert (await write(app, key, host="10.0.0.5")).status_code == 401
    for key in (GARBAGE_KEY, None, keys["a"]):
        assert_throttled(await write(app, key, host="10.0.0.5"), INTERVAL, "client address")


async def test_after_the_wait_writes_pass_again(
    app: FastAPI, keys: dict[str, str], clock: Clock
) -> None:
    # The key and its address run out together; the answer names the address, checked first.
    for _ in range(RATE):
        assert (await write(app, keys["a"])).status_code == 201
    assert_throttled(await write(app, keys["a"]), INTERVAL, "client address")
    clock.now += INTERVAL - 1
    assert_throttled(await write(app, keys["a"]), 1, "client address")
    clock.now += 1  # exactly the Retry-After first given: one token back
    assert (await write(app, keys["a"])).status_code == 201
    assert (await write(app, keys["a"])).status_code == 429
    clock.now += 60  # a whole minute: the full burst again
    for _ in range(RATE):
        assert (await write(app, keys["a"])).status_code == 201
    assert (await write(app, keys["a"])).status_code == 429


async def test_reads_and_health_are_never_limited(
    app: FastAPI, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    for key in (keys["a"], GARBAGE_KEY, GARBAGE_KEY, GARBAGE_KEY):
        await write(app, key, host="127.0.0.1")
    assert (await write(app, keys["a"], host="127.0.0.1")).status_code == 429
    for _ in range(3 * RATE):
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/nations")).status_code == 200
        assert (await client.head("/nations")).status_code in {200, 405}
        authenticated = await client.get("/_probe/any", headers=bearer(keys["a"]))
        assert authenticated.status_code == 200, authenticated.text


@pytest.mark.parametrize(("method", "path", "operation"), WRITES, ids=IDS)
async def test_every_write_operation_is_limited(
    app: FastAPI, keys: dict[str, str], method: str, path: str, operation: dict[str, Any]
) -> None:
    # The request fails after auth (made-up id, empty body), but it has spent its tokens.
    app.state.write_limiter = RateLimiter(1, clock=Clock())
    async with client_for(app, "10.0.3.1") as client:
        first = await send(client, method, path, operation, keys["a"])
        assert first.status_code not in {401, 429}, first.text
        assert_throttled(await send(client, method, path, operation, keys["a"]), 60, "")


# --- the limiter itself ----------------------------------------------------------------------


def test_limiter_is_thread_safe() -> None:
    clock = Clock()
    limiter = RateLimiter(50, clock=clock)
    granted: list[int] = []
    start = threading.Barrier(8)

    def spend() -> None:
        start.wait(timeout=10)
        granted.extend(1 for _ in range(40) if limiter.take("shared") == 0)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sum(granted) == 50


def test_limiter_forgets_buckets_that_have_refilled() -> None:
    clock = Clock()
    limiter = RateLimiter(RATE, clock=clock)
    for n in range(1000):
        limiter.take(f"client:10.1.{n // 250}.{n % 250}")
    clock.now += 60
    assert limiter.take("client:10.9.9.9") == 0
    assert len(limiter._buckets) == 1  # noqa: SLF001 - memory is the point of this test


def test_limiter_refuses_a_rate_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)
