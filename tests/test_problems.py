"""Problem `type` URIs resolve: following the type of a real error answer gives a page that
explains it (HTML for a browser, JSON for a client), and every error class has its page."""

from typing import Any

import httpx
import pytest

import app.main  # noqa: F401 - every module that defines an error class is loaded
from app.api.problems import BY_NAME, CATALOGUE
from app.errors import HTTP_PROBLEMS, AppError
from tests.helpers import problem

pytestmark = pytest.mark.anyio

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _error_classes(cls: type[AppError] = AppError) -> list[type[AppError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _error_classes(sub)
    return found


async def _real_errors(client: httpx.AsyncClient) -> list[httpx.Response]:
    return [
        await client.get("/nations/ZZ"),
        await client.get("/nations", params={"role": "navy"}),
        await client.get("/nations", params={"colour": "blue"}),
        await client.delete("/nations"),
        await client.get("/nations", headers={"Accept": "image/png"}),
        await client.post("/commitments", json={}),
        await client.get("/nations", params={"q": "x" * 9000}),
        await client.get("/problems/no-such-problem"),
    ]


async def test_following_the_type_of_real_errors_explains_them(client: httpx.AsyncClient) -> None:
    responses = await _real_errors(client)
    statuses = {r.status_code for r in responses}
    assert statuses == {401, 404, 405, 406, 414, 422}
    for error in responses:
        body = problem(error, error.status_code)
        page = await client.get(body["type"], headers={"Accept": "application/json"})
        assert page.status_code == 200, body["type"]
        explained = page.json()
        assert explained["type"] == body["type"]
        assert explained["title"] == body["title"]
        assert explained["status"] == error.status_code
        assert explained["meaning"] and explained["remedy"]

        html = await client.get(body["type"], headers={"Accept": BROWSER})
        assert html.status_code == 200
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert f"<h1>{body['title']}</h1>" in html.text
        assert body["type"] in html.text


async def test_every_error_class_has_its_page(client: httpx.AsyncClient) -> None:
    kinds: dict[str, tuple[str, int | None]] = {
        cls.type: (cls.title, cls.status) for cls in _error_classes()
    }
    kinds |= {
        f"/problems/{slug}": (title, status) for status, (title, slug) in HTTP_PROBLEMS.items()
    }
    assert len(kinds) >= 16
    for kind, (title, status) in kinds.items():
        page = await client.get(kind)
        assert page.status_code == 200, kind
        assert page.json()["title"] == title, kind
        assert page.json()["status"] == status, kind
    # And nothing in the catalogue that no answer carries, besides the generic ones.
    documented = {p.type for p in CATALOGUE}
    assert documented - set(kinds) == {"/problems/cors-refused", "/problems/http-error"}


async def test_the_index_lists_every_problem(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/problems")).json()["items"]
    assert [p["type"] for p in listed] == [p.type for p in CATALOGUE]
    html = await client.get("/problems", headers={"Accept": BROWSER})
    for slug in BY_NAME:
        assert f'<section id="{slug}">' in html.text


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        (BROWSER, True),
        ("text/html;q=0.5, application/json", False),
        ("application/json;q=0.2, text/html", True),
    ],
)
async def test_html_only_for_a_client_that_prefers_it(
    client: httpx.AsyncClient, accept: str | None, html: bool
) -> None:
    headers: dict[str, Any] = {"Accept": accept} if accept else {}
    page = await client.get("/problems/not-found", headers=headers)
    assert page.status_code == 200
    expected = "text/html; charset=utf-8" if html else "application/json"
    assert page.headers["content-type"] == expected


async def test_the_414_does_not_echo_the_url(client: httpx.AsyncClient) -> None:
    long_query = "x" * 9000
    response = await client.get("/nations", params={"q": long_query})
    body = problem(response, 414)
    assert "instance" not in body
    assert "xxxxxxxx" not in response.text
    assert len(response.content) < 300
