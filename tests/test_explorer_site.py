"""The explorer as a site: the audit timeline after a write, reads at `as_of`, errors as HTML
pages with the API's problem and status, its headers, and nothing loaded from elsewhere."""

import re
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI

from app.api.headers import PAGE_CSP
from app.facts.files import Dataset
from app.vocab import ActorKind
from tests.curation import Curation
from tests.soup import attr, one, present

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]
EXTERNAL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*:)?//[a-z0-9]", re.I)  # any scheme, or //host
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'
PAGES = [
    "/",
    "/?role=training&include_coalition=true&include_excluded=true",
    "/explore/nations/IT",
    "/explore/sources",
    "/explore/sources/article-a",
    "/explore/disputes",
    "/explore/disputes/nation-it-role",
    "/explore/summary",
    "/explore/changes",
]


def parse(response: httpx.Response) -> BeautifulSoup:
    assert response.headers["content-type"] == "text/html; charset=utf-8", response.text
    return BeautifulSoup(response.text, "html.parser")


# --- the changes timeline --------------------------------------------------------------------


async def test_the_timeline_shows_who_changed_what_when_and_why_before_and_after(
    curation: Curation,
) -> None:
    commitment = next(c for c in curation.data.commitments if c.actor is ActorKind.nation)
    url = f"/commitments/{commitment.id}"
    etag = (await curation.get(url)).headers["etag"]
    summary = commitment.summary + " (Corrected.)"
    body = {"summary": summary, "reason": "the desk tightened the wording"}
    assert (await curation.patch(url, body, etag, who="bob")).status_code == 200

    response = await curation.client.get("/explore/changes", params={"entity_id": commitment.id})
    assert response.status_code == 200
    html = parse(response)
    entries = html.select("ol.timeline > li")
    changes = await curation.changes(entity_id=commitment.id)
    assert [e["id"] for e in entries] == [f"change-{c['id']}" for c in changes]
    update = entries[-1]
    heading = present(update.h3).get_text()
    assert "update" in heading and commitment.id in heading
    assert "by bob" in update.get_text(" ", strip=True)
    assert "Why: the desk tightened the wording" in update.get_text()
    rows = {present(row.th).get_text(): [td.get_text() for td in row.select("td")] for row in
            update.select("table.diff tbody tr")}  # fmt: skip
    assert rows == {"summary": [commitment.summary, summary]}
    # The fact's page and its JSON are linked.
    links = {a["href"] for a in update.select("p a")}
    assert f"/explore/nations/{commitment.nation}#fact-{commitment.id}" in links
    assert url in links


# --- as_of -----------------------------------------------------------------------------------


async def test_a_page_at_a_past_moment_reads_the_data_then_and_keeps_the_moment(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    before_any_data = "2000-01-01T00:00:00Z"
    html = parse(await client.get("/", params={"as_of": before_any_data, "role": "training"}))
    assert html.select("table.nations tbody tr") == []
    assert one(html, "#results").get_text() == "0 nations"
    json_url = next(attr(a, "href") for a in html.select("p.api-call a") if a.get_text() == "JSON")
    assert ("as_of", before_any_data) in httpx.QueryParams(urlsplit(json_url).query).multi_items()
    assert one(html, ".as-of time").get_text() == before_any_data
    nav = [a["href"] for a in html.select("header nav a")]
    assert f"/explore/disputes?as_of={before_any_data.replace(':', '%3A')}" in nav
    now = parse(await client.get("/", params={"role": "training"}))
    assert len(now.select("table.nations tbody tr")) > 0


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/?colour=red", 422, "Unknown query parameter(s): colour"),
        ("/?role=navy", 422, "query.role"),
        ("/?as_of=yesterday", 422, "2025-09-04T12:00:00Z"),
        ("/explore/nations/Atlantis", 404, "No nation 'Atlantis'"),
        ("/explore/nations/Itlay", 404, "Did you mean IT"),
        ("/explore/sources/article-z", 404, "article-z"),
        ("/explore/no-such-page", 404, "/explore/no-such-page"),
        ("/explore/disputes?kind=quarrel", 422, "query.kind"),
        ("/explore/changes?since=last-week", 422, "ISO 8601"),
    ],
)
async def test_errors_are_html_pages_with_the_problem_and_its_status(
    client: httpx.AsyncClient, url: str, status: int, words: str
) -> None:
    response = await client.get(url)
    assert response.status_code == status
    html = parse(response)
    assert words in one(html, "main").get_text()
    assert present(html.h1).get_text() and present(html.title).get_text().endswith(
        f"({status}) · pledgedb"
    )
    assert response.headers["content-security-policy"] == PAGE_CSP


async def test_the_api_keeps_answering_problems_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/nations", params={"role": "navy"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


# --- headers, links, assets ------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
async def test_pages_load_only_their_own_assets_and_link_nowhere_else(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == PAGE_CSP
    html = parse(response)
    # No address outside this server in any attribute (links, scripts, styles, forms, images).
    for tag in html.find_all(True):
        for name, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            assert not any(EXTERNAL.search(v) for v in values), (tag.name, name, value)
    assert present(html.html)["lang"] == "en" and present(html.title).get_text()
    assert one(html, "a.skip-link")["href"] == "#main" and html.find(id="main")
    levels = [int(h.name[1]) for h in html.find_all(re.compile("^h[1-6]$"))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    for field in html.select("input:not([type=hidden]), select"):
        assert field.find_parent("label") or html.find("label", attrs={"for": attr(field, "id")})
    assets = [
        attr(t, "src" if t.has_attr("src") else "href")
        for t in html.select("script[src], link[href]")
    ]
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200, asset
        # An SVG names its namespace with a URL; it is an identifier, never fetched.
        assert not EXTERNAL.search(served.text.replace(SVG_NAMESPACE, "")), asset


async def test_pages_have_etags_and_answer_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/explore/summary")
    again = await client.get("/explore/summary", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_pages_stay_out_of_the_api_description(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert "/" not in paths and not any(p.startswith("/explore") for p in paths)
