"""The explorer in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium,
never a downloaded browser) against a real uvicorn over the shared seeded database.

Without Chromium these tests are skipped, saying why, unless PLEDGEDB_REQUIRE_BROWSER=1 (CI
sets it): then they fail."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.processes import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
REQUIRED = os.environ.get("PLEDGEDB_REQUIRE_BROWSER") == "1"
PAGES = [
    "/",
    "/?role=troops&include_coalition=true&include_excluded=true",
    "/explore/nations/IT",
    "/explore/nations/DK",
    "/explore/sources",
    "/explore/sources/article-a",
    "/explore/disputes",
    "/explore/disputes/nation-it-role",
    "/explore/summary",
    "/explore/changes",
    "/explore/nations/Atlantis",  # a problem page
]
TARGET_BACKGROUND = "rgb(23, 38, 58)"  # mark:target in explorer.css
IN_VIEW = (
    "m => { const r = m.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
)
# A mark's words without its footnote numbers.
WORDS = """m => {
  const copy = m.cloneNode(true);
  copy.querySelectorAll("sup").forEach(s => s.remove());
  return copy.textContent;
}"""


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"PLEDGEDB_REQUIRE_BROWSER=1, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `pledgedb serve` over the shared seeded database (read only here)."""
    with Server(database_url, tmp_path_factory.mktemp("explorer")) as served:
        yield served.base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def api_codes(server: str, query: list[tuple[str, str]]) -> list[str]:
    """The codes `GET /nations` lists for the query of the explorer's `/`."""
    body = httpx.get(f"{server}/nations", params=[*query, ("limit", "500")]).json()
    return [item["code"] for item in body["items"]]


def table_codes(page: Any) -> list[str]:
    codes: list[str] = page.locator("table.nations tbody th span.code").all_inner_texts()
    return codes


def query_of(page: Any) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(page.url).query)


def test_the_filters_live_in_the_address_and_the_back_button_restores_them(
    page: Any, server: str
) -> None:
    page.goto(f"{server}/")
    assert table_codes(page) == api_codes(server, [])
    page.get_by_role("checkbox", name="troops", exact=True).check()
    page.get_by_role("checkbox", name="also members who inherit the role").check()
    page.get_by_role("button", name="Show nations").click()
    page.wait_for_url("**/?role=*")
    first = query_of(page)
    # Only the filters that apply: the script leaves the blank fields out.
    assert first == [("role", "troops"), ("include_coalition", "true")]
    inheriting = table_codes(page)
    assert inheriting == api_codes(server, first) and inheriting

    page.get_by_role("checkbox", name="hedged", exact=True).check()
    page.get_by_role("button", name="Show nations").click()
    page.wait_for_url("**certainty=hedged*")
    assert table_codes(page) == api_codes(server, query_of(page))
    assert len(table_codes(page)) < len(inheriting)

    page.go_back()
    page.wait_for_url(lambda url: "certainty" not in url)
    assert query_of(page) == first
    assert table_codes(page) == inheriting
    assert page.get_by_role("checkbox", name="troops", exact=True).is_checked()
    assert not page.get_by_role("checkbox", name="hedged", exact=True).is_checked()


def test_without_javascript_the_pages_read_and_the_filters_work(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server}/")
        page.get_by_role("checkbox", name="training", exact=True).check()
        page.get_by_role("button", name="Show nations").click()
        page.wait_for_url("**role=training*")
        applied = [(k, v) for k, v in query_of(page) if v]
        assert applied == [("role", "training")]
        assert table_codes(page) == api_codes(server, applied)
    finally:
        context.close()


def test_an_evidence_link_opens_the_article_at_its_highlighted_quote(
    page: Any, server: str
) -> None:
    page.goto(f"{server}/")
    page.get_by_role("link", name="Italy", exact=True).click()
    page.wait_for_url("**/explore/nations/IT")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Italy")
    link = page.locator("#fact-it-troops-ruled-out ul.evidence a").first
    quote = page.locator("#fact-it-troops-ruled-out blockquote").first.inner_text()
    link.click()
    page.wait_for_url(lambda url: "/explore/sources/" in url and "#ev-" in url)
    anchor = urlsplit(page.url).fragment
    mark = page.locator(f'[id="{anchor}"]')
    assert mark.evaluate("m => m.matches(':target')")
    assert mark.is_visible() and mark.evaluate(IN_VIEW)
    style = mark.evaluate(
        "m => [getComputedStyle(m).backgroundColor, getComputedStyle(m).outlineStyle]"
    )
    assert style == [TARGET_BACKGROUND, "solid"]
    assert mark.evaluate(WORDS) == quote

    # A quote that crosses another is marked in pieces: the script marks every piece.
    cut = page.locator("mark[data-span]").first.get_attribute("data-span")
    page.goto(f"{page.url.split('#')[0]}#{cut}")
    pieces = page.locator(f'mark[data-span="{cut}"]')
    assert pieces.count() >= 1
    for i in range(pieces.count()):
        assert (
            pieces.nth(i).evaluate("m => getComputedStyle(m).backgroundColor") == TARGET_BACKGROUND
        )


def test_every_page_fits_a_phone_and_reports_no_error(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in PAGES:
            errors.clear()
            response = page.goto(f"{server}{path}")
            assert response.status == (404 if "Atlantis" in path else 200), path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
            # A CSP refusal or a broken asset shows as a console error.
            assert [e for e in errors if "404" not in e or "Atlantis" not in path] == [], path
    finally:
        context.close()


# Every page at a desktop width; the table that turns into cards on a phone at that width too.
AXE_VIEWS = [(path, 1280) for path in PAGES] + [(PAGES[0], 375), (PAGES[1], 375)]


@pytest.mark.parametrize(("path", "width"), AXE_VIEWS, ids=lambda v: str(v))
def test_every_page_passes_an_accessibility_check(
    browser: Any, server: str, path: str, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{server}{path}")
        found = Axe().run(page).response["violations"]
        serious = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in found
            if v["impact"] in {"serious", "critical"}
        ]
        assert serious == []
    finally:
        context.close()


def test_the_keyboard_reaches_the_content_first_and_focus_is_visible(
    page: Any, server: str
) -> None:
    page.goto(f"{server}/explore/summary")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.tagName") == "A" and outline == "solid"
