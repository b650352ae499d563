"""The proposal review page in a real browser (Playwright driving /usr/bin/chromium) against a
real uvicorn over a private seeded database with curator keys: a curator opens a source's
proposals, sees the candidate quotes marked, rejects one with a reason and accepts another
with the key, and the API shows both decisions (the proposal's state, the fact written, the
audit log). Skipped without Chromium unless PLEDGEDB_REQUIRE_BROWSER=1, like the other browser
tests."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from tests.curation import bearer, make_keys, seed_database
from tests.processes import Server
from tests.test_explorer_browser import WORDS, browser

__all__ = ["browser"]  # the fixture, shared with the explorer's other browser tests

SOURCE = "article-a"
REVIEW = f"/explore/sources/{SOURCE}/proposals"


@dataclass
class Served:
    base: str
    keys: dict[str, str]

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.base}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Iterator[Served]:
    """`pledgedb serve` over a private seeded SQLite database with keys, and the engine run once on
    the source (through the API, as a curator would)."""
    folder = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{folder / 'review.sqlite3'}"
    seed_database(url, dataset)
    keys = make_keys(url)
    with Server(url, folder) as server:
        base = server.base
        ran = httpx.post(
            f"{base}/sources/{SOURCE}/proposals", headers=bearer(keys["alice"]), timeout=60
        )
        assert ran.status_code == 201, ran.text
        yield Served(base, keys)


def proposals(served: Served) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = served.api(f"/sources/{SOURCE}/proposals", limit=500)["items"]
    return items


def card(page: Any, proposal_id: int) -> Any:
    return page.locator(f"#proposal-{proposal_id}")


def test_a_curator_reviews_a_source_s_proposals_in_the_browser(
    browser: Any, served: Served
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{served.base}/explore/sources/{SOURCE}")
        page.get_by_role("link", name="Review the facts proposed from this text").click()
        page.wait_for_url(f"**{REVIEW}")
        items = proposals(served)
        assert page.locator("ol.candidates > li").count() == len(items)

        # Every candidate quote is marked, and a footnote leads to its proposal.
        first = items[0]
        mark = page.locator(f'[id="cand-{first["id"]}-0"]')
        assert mark.is_visible() and mark.evaluate(WORDS) == first["evidence"][0]["quote"]
        assert page.locator("mark.candidate.cand-pending").count() >= len(items)
        mark.locator("sup.note-ref a").last.click()
        assert card(page, first["id"]).evaluate("c => c.matches(':target')")

        # A contradicting candidate: rejected, with why.
        wrong = next(p for p in items if p["relation"]["kind"] == "contradicts")
        form = card(page, wrong["id"])
        # Enter in a field decides nothing: the form's default button is a disabled one.
        form.get_by_label("Curator key").fill(served.keys["bob"])
        form.get_by_label("Curator key").press("Enter")
        page.wait_for_timeout(300)
        assert served.api(f"/proposals/{wrong['id']}")["status"] == "pending"
        form.get_by_label("Why").fill("The list is hedged; the fact it contradicts stands.")
        form.get_by_role("button", name=f"Reject proposal {wrong['id']}").click()
        page.wait_for_url(f"**decided={wrong['id']}*")
        assert page.get_by_role("status").inner_text().startswith(f"Proposal {wrong['id']}")
        assert "Rejected by bob" in card(page, wrong["id"]).locator("p.decision").inner_text()

        # A wrong key: refused in plain words, nothing decided, the reason kept to edit.
        confirm = next(
            p for p in items if p["relation"]["kind"] == "confirms" and p["kind"] == "membership"
        )
        form = card(page, confirm["id"])
        form.get_by_label("Why").fill("Confirmed by the meta description.")
        form.get_by_label("Curator key").fill("pdb_wrong")
        form.get_by_role("button", name=f"Accept proposal {confirm['id']}").click()
        alert = page.get_by_role("alert")
        assert "That curator key was not accepted" in alert.inner_text()
        assert served.api(f"/proposals/{confirm['id']}")["status"] == "pending"
        form = card(page, confirm["id"])
        assert form.get_by_label("Why").input_value() == "Confirmed by the meta description."
        assert form.get_by_label("Curator key").input_value() == ""

        # The right key: accepted.
        form.get_by_label("Curator key").fill(served.keys["alice"])
        form.get_by_role("button", name=f"Accept proposal {confirm['id']}").click()
        page.wait_for_url(f"**decided={confirm['id']}*")
        assert "Accepted by alice" in card(page, confirm["id"]).locator("p.decision").inner_text()
        marks = page.locator(f'mark[id^="cand-{confirm["id"]}-"]')
        assert "cand-accepted" in (marks.first.get_attribute("class") or "")
    finally:
        context.close()

    # The API agrees: both decisions, the fact with this source's evidence, the audit log.
    rejected = served.api(f"/proposals/{wrong['id']}")
    assert (rejected["status"], rejected["decided_by"], rejected["decision_reason"]) == (
        "rejected",
        "bob",
        "The list is hedged; the fact it contradicts stands.",
    )
    accepted = served.api(f"/proposals/{confirm['id']}")
    assert (accepted["status"], accepted["decided_by"], accepted["fact_id"]) == (
        "accepted",
        "alice",
        confirm["relation"]["fact_id"],
    )
    fact = served.api(f"/memberships/{accepted['fact_id']}")
    held = {(e["source"], e["start"], e["end"]) for e in fact["evidence"]}
    assert {(e["source"], e["start"], e["end"]) for e in confirm["evidence"]} <= held
    log = served.api("/changes", entity="proposal", limit=500)["items"]
    decided = {(c["entity_id"], c["action"], c["actor"], c["reason"]) for c in log}
    assert (str(wrong["id"]), "reject", "bob", rejected["decision_reason"]) in decided
    assert (str(confirm["id"]), "accept", "alice", "Confirmed by the meta description.") in decided


@pytest.mark.parametrize("width", [1280, 375])
def test_the_review_page_passes_an_accessibility_check_and_fits_a_phone(
    browser: Any, served: Served, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        assert page.goto(f"{served.base}{REVIEW}").status == 200
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        found = Axe().run(page).response["violations"]
        serious = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in found
            if v["impact"] in {"serious", "critical"}
        ]
        assert serious == []
        assert errors == []
        # The keyboard reaches a decision: the form's fields and buttons take focus, visibly.
        page.locator("form.decide textarea").first.focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "key"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent").startswith("Accept")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
    finally:
        context.close()


def test_without_javascript_the_review_page_reads_and_decides(browser: Any, served: Served) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{served.base}{REVIEW}")
        pending = [p for p in proposals(served) if p["status"] == "pending"]
        target = pending[-1]
        form = card(page, target["id"])
        form.get_by_label("Why").fill("Not what the sentence says.")
        form.get_by_label("Curator key").fill(served.keys["alice"])
        form.get_by_role("button", name=f"Reject proposal {target['id']}").click()
        page.wait_for_url(f"**decided={target['id']}*")
        assert served.api(f"/proposals/{target['id']}")["status"] == "rejected"
    finally:
        context.close()


def test_the_page_keeps_no_key(served: Served) -> None:
    """Nothing the key went into is kept: no cookie is set, and the answer is not stored."""
    response = httpx.post(
        f"{served.base}/explore/proposals/1",
        data={"decision": "accept", "key": served.keys["bob"]},
    )
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "private, no-store"
    assert served.keys["bob"] not in response.text
