"""HTTP semantics around the resources: HEAD on every GET route, OPTIONS (CORS preflights
when CORS is on, a problem document when it is off), and compressed answers whose ETags and
304s stay correct per encoding, from the application and from the response cache."""

import gzip
import re
from collections.abc import AsyncIterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from fastapi import FastAPI

from app.api.compression import MIN_BYTES
from app.config import Settings
from app.main import create_app
from tests.curation import Curation, client_for
from tests.helpers import problem
from tests.test_response_cache import statements

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

IDENTITY = {"Accept-Encoding": "identity"}
DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda raw: zstandard.ZstdDecompressor().decompressobj().decompress(raw),
}
LARGE_JSON = "/commitments?limit=500"
LARGE_CSV = "/commitments?limit=500&format=csv"
SMALL_JSON = "/problems/not-found"
ORIGIN = "https://dashboard.example"
# Headers two answers of the same representation may differ in.
VOLATILE = {"date", "server"}


@pytest.fixture(params=["cached", "uncached"])
async def any_client(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Any]:
    """A client of the API with the response cache on, and one with it off: every answer
    here must be the same whichever answers it."""
    app = create_app(
        Settings(
            database_url=database_url, response_cache_entries=1024 * (request.param == "cached")
        )
    )
    try:
        async with client_for(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def _example_path(path: str, operation: dict[str, Any]) -> str:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(param["schema"]["examples"][0]))
    return path


def _streamed(operation: dict[str, Any]) -> bool:
    """An answer that never ends (the change feed): a GET of it cannot be read whole."""
    return "text/event-stream" in operation["responses"].get("200", {}).get("content", {})


async def _get_paths(client: httpx.AsyncClient, *, streamed: bool = False) -> list[str]:
    spec = (await client.get("/openapi.json")).json()
    return [
        _example_path(p, ops["get"])
        for p, ops in spec["paths"].items()
        if "get" in ops and _streamed(ops["get"]) == streamed
    ]


async def _raw(client: httpx.AsyncClient, method: str, path: str, **headers: str) -> Any:
    """The answer with its body as sent (httpx would decode it)."""
    async with client.stream(method, path, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE}


# --- HEAD ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_head_answers_every_get_route_with_the_get_headers_and_no_body(
    any_client: httpx.AsyncClient, encoding: str
) -> None:
    paths = await _get_paths(any_client)
    found = 0
    for path in paths:
        get, _ = await _raw(any_client, "GET", path, **{"Accept-Encoding": encoding})
        head, body = await _raw(any_client, "HEAD", path, **{"Accept-Encoding": encoding})
        # An example id may name nothing in the seed (no proposals yet): a 404 then, for both.
        assert head.status_code == get.status_code, path
        found += get.status_code == 200
        assert body == b"", path
        assert _headers(head) == _headers(get), path
        if "etag" in get.headers:  # a HEAD revalidates like a GET
            again, body = await _raw(
                any_client,
                "HEAD",
                path,
                **{"Accept-Encoding": encoding, "If-None-Match": get.headers["etag"]},
            )
            assert (again.status_code, body) == (304, b""), path
            assert again.headers["etag"] == get.headers["etag"]
    assert found >= 20


async def test_head_of_a_stream_is_its_headers_and_ends(client: httpx.AsyncClient) -> None:
    streams = await _get_paths(client, streamed=True)
    assert streams == ["/changes/stream"]
    for path in streams:
        head, body = await _raw(client, "HEAD", path)
        assert head.status_code == 200, path
        assert head.headers["content-type"].startswith("text/event-stream")
        assert body == b""


async def test_head_of_a_list_and_of_a_missing_thing(any_client: httpx.AsyncClient) -> None:
    params: dict[str, str | int] = {"role": "training", "limit": 2, "format": "csv"}
    head = await any_client.head("/commitments", params=params)
    get = await any_client.get("/commitments", params=params)
    assert head.content == b"" and get.content
    assert head.headers["x-total-count"] == get.headers["x-total-count"]
    assert head.headers["link"] == get.headers["link"]
    missing = await any_client.head("/nations/ZZ")
    assert missing.status_code == 404
    assert missing.content == b""
    assert missing.headers["content-type"] == "application/problem+json"


async def test_a_405_lists_head_beside_get(client: httpx.AsyncClient) -> None:
    refused = await client.delete("/nations")
    problem(refused, 405)
    assert refused.headers["allow"] == "GET, HEAD"
    assert (await client.put("/docs")).headers["allow"] == "GET, HEAD"


# --- OPTIONS ---------------------------------------------------------------------------------


async def test_options_without_cors_is_a_405_naming_the_methods(client: httpx.AsyncClient) -> None:
    plain = await client.options("/nations")
    body = problem(plain, 405)
    assert body["type"] == "/problems/method-not-allowed"
    assert plain.headers["allow"] == "GET, HEAD"
    assert "GET, HEAD" in body["detail"]

    item = await client.options("/commitments/it-troops-ruled-out")
    assert item.headers["allow"] == "GET, HEAD, PATCH"

    preflight = await client.options(
        "/nations", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    body = problem(preflight, 405)
    assert "cross-origin" in body["detail"]
    assert "access-control-allow-origin" not in preflight.headers

    problem(await client.options("/no-such-thing"), 404)


@pytest.fixture
async def cors_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(database_url=database_url, cors_origins=[ORIGIN]))
    try:
        async with client_for(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


async def test_cors_preflight_is_answered_for_an_allowed_origin(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.options(
        "/commitments/it-troops-ruled-out",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "if-match"} <= {h.strip() for h in allowed.split(",")}
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers

    # The answer itself then carries the origin and the headers a dashboard reads.
    get = await cors_client.get("/commitments", headers={"Origin": ORIGIN})
    assert get.headers["access-control-allow-origin"] == ORIGIN
    assert "ETag" in get.headers["access-control-expose-headers"]
    assert "Origin" in get.headers["vary"]


async def test_cors_preflight_refused_as_a_problem(cors_client: httpx.AsyncClient) -> None:
    other = await cors_client.options(
        "/nations",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    body = problem(other, 400)
    assert body["type"] == "/problems/cors-refused"
    assert "origin" in body["detail"]
    assert "access-control-allow-origin" not in other.headers

    method = await cors_client.options(
        "/nations", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "TRACE"}
    )
    assert "method" in problem(method, 400)["detail"]

    # Not a preflight: the same 405 as without CORS.
    assert (await cors_client.options("/nations")).headers["allow"] == "GET, HEAD"


# --- compression -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LARGE_JSON, LARGE_CSV])
@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
async def test_each_encoding_decodes_to_the_identity_body_with_its_own_etag(
    any_client: httpx.AsyncClient, path: str, encoding: str
) -> None:
    identity, plain = await _raw(any_client, "GET", path, **IDENTITY)
    encoded, raw = await _raw(any_client, "GET", path, **{"Accept-Encoding": encoding})
    assert identity.status_code == encoded.status_code == 200
    assert "content-encoding" not in identity.headers
    assert encoded.headers["content-encoding"] == encoding
    assert len(raw) < len(plain) / 3
    assert int(encoded.headers["content-length"]) == len(raw)
    assert DECODE[encoding](raw) == plain
    assert encoded.headers["content-type"] == identity.headers["content-type"]
    # Another representation, another strong validator: the identity one, marked.
    assert encoded.headers["etag"] == identity.headers["etag"][:-1] + f'-{encoding}"'
    for response in (identity, encoded):
        assert response.headers["vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
async def test_if_none_match_is_judged_per_encoding(
    any_client: httpx.AsyncClient, encoding: str
) -> None:
    asked = {"Accept-Encoding": encoding}
    first, _ = await _raw(any_client, "GET", LARGE_JSON, **asked)
    tag = first.headers["etag"]

    again, body = await _raw(any_client, "GET", LARGE_JSON, **asked, **{"If-None-Match": tag})
    assert (again.status_code, body) == (304, b"")
    assert again.headers["etag"] == tag
    assert "content-encoding" not in again.headers and "content-length" not in again.headers
    assert again.headers["vary"] == "Accept, Accept-Encoding"

    listed, _ = await _raw(
        any_client, "GET", LARGE_JSON, **asked, **{"If-None-Match": f'"other", {tag}'}
    )
    assert listed.status_code == 304

    # The tag of another representation does not match: the client holds other bytes.
    identity_tag = re.sub(rf'-{encoding}"$', '"', tag)
    held_identity, raw = await _raw(
        any_client, "GET", LARGE_JSON, **asked, **{"If-None-Match": identity_tag}
    )
    assert held_identity.status_code == 200
    assert held_identity.headers["etag"] == tag
    assert raw
    now_identity, _ = await _raw(
        any_client, "GET", LARGE_JSON, **IDENTITY, **{"If-None-Match": tag}
    )
    assert now_identity.status_code == 200
    assert now_identity.headers["etag"] == identity_tag


async def test_small_bodies_are_not_compressed(any_client: httpx.AsyncClient) -> None:
    small, raw = await _raw(any_client, "GET", SMALL_JSON, **{"Accept-Encoding": "gzip, br, zstd"})
    assert small.status_code == 200
    assert len(raw) < MIN_BYTES
    assert "content-encoding" not in small.headers
    assert not small.headers["etag"].endswith('-gzip"')
    assert small.headers["vary"] == "Accept, Accept-Encoding"  # a larger one would be
    again, _ = await _raw(
        any_client,
        "GET",
        SMALL_JSON,
        **{"Accept-Encoding": "gzip", "If-None-Match": small.headers["etag"]},
    )
    assert again.status_code == 304


async def test_html_pages_are_compressed_too(any_client: httpx.AsyncClient) -> None:
    page, raw = await _raw(
        any_client, "GET", "/problems", **{"Accept": "text/html", "Accept-Encoding": "br"}
    )
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-encoding"] == "br"
    assert b"<h1>" in brotli.decompress(raw)


async def test_the_client_s_preference_is_honoured(any_client: httpx.AsyncClient) -> None:
    refused_zstd, _ = await _raw(
        any_client, "GET", LARGE_JSON, **{"Accept-Encoding": "zstd;q=0, gzip"}
    )
    assert refused_zstd.headers["content-encoding"] == "gzip"
    nothing, _ = await _raw(any_client, "GET", LARGE_JSON, **{"Accept-Encoding": "compress"})
    assert "content-encoding" not in nothing.headers


async def test_cached_answers_are_served_per_encoding_without_a_query(
    curation: Curation,
) -> None:
    client = curation.client
    gzipped, raw = await _raw(client, "GET", LARGE_JSON, **{"Accept-Encoding": "gzip"})
    with statements(curation.app) as seen:
        hit, hit_raw = await _raw(client, "GET", LARGE_JSON, **{"Accept-Encoding": "gzip"})
        revalidated, _ = await _raw(
            client,
            "GET",
            LARGE_JSON,
            **{"Accept-Encoding": "gzip", "If-None-Match": gzipped.headers["etag"]},
        )
        head, _ = await _raw(client, "HEAD", LARGE_JSON, **{"Accept-Encoding": "gzip"})
    assert seen == []
    assert (hit_raw, _headers(hit)) == (raw, _headers(gzipped))
    assert revalidated.status_code == 304
    assert "content-encoding" not in revalidated.headers
    assert _headers(head) == _headers(gzipped)

    # Another encoding, or none, is another entry: never the gzip bytes.
    brotli_answer, brotli_raw = await _raw(client, "GET", LARGE_JSON, **{"Accept-Encoding": "br"})
    identity, plain = await _raw(client, "GET", LARGE_JSON, **IDENTITY)
    assert brotli_answer.headers["content-encoding"] == "br"
    assert "content-encoding" not in identity.headers
    assert gzip.decompress(raw) == brotli.decompress(brotli_raw) == plain


async def test_a_write_may_name_the_etag_of_a_compressed_read(curation: Curation) -> None:
    location = "/commitments/coalition-troops"  # large enough to be compressed
    read, _ = await _raw(curation.client, "GET", location, **{"Accept-Encoding": "gzip"})
    tag = read.headers["etag"]
    assert tag.endswith('-gzip"')
    response = await curation.patch(
        location, {"summary": "The coalition's troops.", "reason": "t"}, tag
    )
    assert response.status_code == 200, response.text
    stale = await curation.patch(location, {"summary": "Again.", "reason": "t"}, tag)
    problem(stale, 412)
