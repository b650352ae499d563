"""The interactive docs work offline: /docs and /redoc, and everything they load, come from
this server; parameters with a pattern are explained in words with an example, in the docs and
in the 422s, never as a regex."""

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.api.listing import NO_NUL
from app.formats import explain
from tests.helpers import problem

pytestmark = pytest.mark.anyio

PAGES = ("/docs", "/redoc")
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}
# A URL with a scheme and a host: anything a browser would fetch from elsewhere.
ABSOLUTE = re.compile(r"(?:https?:)?//[^\s\"'()<>]+", re.IGNORECASE)
CSS_REFERENCES = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)
# What a regex looks like in prose: anchors, classes, quantifiers, groups of alternatives.
REGEX_TEXT = re.compile(r"\^\[|\]\{|\$'|\{\d+,\d*\}|\\d|\\.|\(\?|\|\^|\[0-9\]|\[A-Za-z\]")


class References(HTMLParser):
    """Every URL a page makes the browser load, and the scripts written into it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and name in ("src", "href", "data-openapi-url"):
                self.urls.append(value)
            if name.startswith("on"):
                self.inline_scripts.append(f"{tag} {name}")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


async def _references(client: httpx.AsyncClient, page: str) -> References:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert ABSOLUTE.findall(response.text) == [], page
    parser = References()
    parser.feed(response.text)
    return parser


@pytest.mark.parametrize("page", PAGES)
async def test_the_docs_and_everything_they_load_come_from_this_server(
    client: httpx.AsyncClient, page: str
) -> None:
    refs = await _references(client, page)
    assert refs.inline_scripts == []  # the CSP allows scripts from this server only
    scripts = [u for u in refs.urls if u.endswith(".js")]
    assert len(scripts) == 2, refs.urls  # the bundle and its initialiser
    assert "/openapi.json" in refs.urls
    for url in refs.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        response = await client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert response.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], url
        assert response.content
        if suffix == ".css":
            for reference in (a or b for a, b in CSS_REFERENCES.findall(response.text)):
                # The stylesheet's images are inline data: URLs, nothing fetched elsewhere.
                assert reference.startswith("data:") or not urlsplit(reference).netloc, reference
        if url.endswith("-init.js"):
            assert ABSOLUTE.findall(response.text) == [], url


async def test_the_docs_assets_revalidate_and_compress(client: httpx.AsyncClient) -> None:
    refs = await _references(client, "/docs")
    bundle = next(u for u in refs.urls if u.endswith("swagger-ui-bundle.js"))
    first = await client.get(bundle, headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = await client.get(
        bundle, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    missing = await client.get("/docs/assets/no-such-file.js")
    problem(missing, 404)


def _pattern_parameters(
    spec: dict[str, Any], pattern: str | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """Parameters with a pattern of their own (any but NO_NUL, which every free-text parameter
    has), or with ``pattern``."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                schemas = [param["schema"], *param["schema"].get("anyOf", [])]
                patterns = {s["pattern"] for s in schemas if "pattern" in s}
                if (pattern in patterns) if pattern else bool(patterns - {NO_NUL}):
                    found.append((f"{method.upper()} {path}", method, param))
    return found


async def test_the_document_says_free_text_holds_no_nul_and_a_nul_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """What the schema allows, the API accepts: a NUL is refused (PostgreSQL text cannot hold
    one), so every free-text parameter's schema excludes it."""
    spec = (await client.get("/openapi.json")).json()
    free_text = {(where, p["name"]) for where, _, p in _pattern_parameters(spec, NO_NUL)}
    assert ("GET /statements", "speaker") in free_text
    assert ("GET /commitments/{commitment_id}", "commitment_id") in free_text
    assert not re.fullmatch(NO_NUL, "a\x00") and re.fullmatch(NO_NUL, "Zelenskyy")
    body = problem(await client.get("/statements", params={"speaker": "a\x00"}), 422)
    assert "NUL" in body["detail"]


async def test_every_pattern_parameter_is_described_in_words_with_an_example(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    params = _pattern_parameters(spec)
    names = {p["name"] for _, _, p in params}
    assert {"as_of", "since"} <= names
    for where, _, param in params:
        description = param.get("description", "")
        examples = param.get("examples") or param["schema"].get("examples")
        assert examples, (where, param["name"])
        assert " such as " in description or " one of " in description, (where, description)
        assert not REGEX_TEXT.search(description), (where, description)


async def test_a_value_that_misses_a_pattern_is_refused_in_words(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    checked = 0
    for where, method, param in _pattern_parameters(spec):
        if method != "get":
            continue
        path = where.split(" ", 1)[1]
        bad = "not valid!"
        if param["in"] == "path":
            url, params = path.replace("{" + param["name"] + "}", bad), {}
        else:
            url = re.sub(r"\{[^}]+\}", "IT", path)  # the only path parameter beside is a code
            params = {param["name"]: bad}
        body = problem(await client.get(url, params=params), 422)
        message = next(
            e["message"] for e in body["errors"] if e["location"].endswith(param["name"])
        )
        assert message.startswith("use "), (where, message)
        assert " such as " in message or " one of " in message, (where, message)
        assert "not valid!" in message  # what was sent, so the reader sees what was wrong
        assert not REGEX_TEXT.search(message) and not REGEX_TEXT.search(body["detail"]), message
        checked += 1
    assert checked >= 8


async def test_a_nation_is_named_by_code_or_name_and_a_timestamp_in_words(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/nations/Italy")).json()["code"] == "IT"
    since = problem(await client.get("/changes", params={"since": "yesterday"}), 422)
    assert "a change id such as 120, or an ISO 8601 timestamp such as" in since["detail"]
    long_value = problem(await client.get("/commitments", params={"nation": "x" * 500}), 422)
    assert "x" * 41 not in long_value["detail"]  # the value is shortened, not echoed whole


def test_a_pattern_nobody_put_into_words_is_still_no_regex() -> None:
    words = explain(r"^[a-f0-9]{32}$")
    assert not REGEX_TEXT.search(words)
    assert "/docs" in words
