"""The explorer's review page over HTTP (/explore/sources/{id}/proposals): a source's text with
every candidate quote marked, each proposal with its claim and state, and the accept / reject
form, which decides through the API's own endpoints (checked through the API: the proposal's
state, the written fact, the audit log). Each test has its own seeded database."""

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.curation import Curation
from tests.soup import attr, one
from tests.test_explorer import text_of
from tests.test_proposals_api import add_source, find, run

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]


def review_url(source_id: str) -> str:
    return f"/explore/sources/{source_id}/proposals"


async def review(curation: Curation, source_id: str, **params: Any) -> BeautifulSoup:
    response = await curation.client.get(review_url(source_id), params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    return BeautifulSoup(response.text, "html.parser")


async def decide(
    curation: Curation, proposal_id: int, decision: str | None, reason: str = "", key: str = ""
) -> httpx.Response:
    form = {"reason": reason, "key": key, **({"decision": decision} if decision else {})}
    return await curation.client.post(f"/explore/proposals/{proposal_id}", data=form)


async def proposal(curation: Curation, proposal_id: int) -> dict[str, Any]:
    body: dict[str, Any] = (await curation.get(f"/proposals/{proposal_id}")).json()
    return body


async def test_the_source_page_links_to_its_review_and_an_unreviewed_source_says_how(
    curation: Curation,
) -> None:
    response = await curation.client.get("/explore/sources/article-a")
    html = BeautifulSoup(response.text, "html.parser")
    link = html.find("a", string="Review the facts proposed from this text")
    assert link is not None and link["href"] == review_url("article-a")

    html = await review(curation, "article-a")
    assert "No proposals from this source yet" in one(html, "p.empty").get_text()
    assert html.select("mark") == [] and html.select("form.decide") == []
    text = (await curation.get("/sources/article-a")).json()["text"]
    assert one(html, "div.source-text").get_text() == text


async def test_every_candidate_quote_is_marked_and_every_proposal_described(
    curation: Curation,
) -> None:
    items = (await run(curation, "article-a"))["items"]
    html = await review(curation, "article-a")
    text = (await curation.get("/sources/article-a")).json()["text"]

    cards = html.select("ol.candidates > li")
    assert sorted(int(attr(c, "id").removeprefix("proposal-")) for c in cards) == [
        p["id"] for p in items
    ]
    # The cards follow the text: numbered as their footnotes are, in order.
    assert [one(c, "span.number").get_text() for c in cards] == [
        f"{n}." for n in range(1, len(cards) + 1)
    ]
    # The marks hold the text unchanged (footnote numbers aside).
    copy = BeautifulSoup(str(one(html, "div.source-text")), "html.parser")
    for sup in copy.select("sup.note-ref"):
        sup.decompose()
    assert copy.get_text() == text
    for p in items:
        card = html.select_one(f"#proposal-{p['id']}")
        assert card is not None
        assert "pending" in one(card, "span.state").get_text()
        assert f"{round(p['confidence'] * 100)}%" in card.get_text()
        for i, e in enumerate(p["evidence"]):
            mark = html.find("mark", id=f"cand-{p['id']}-{i}")
            assert mark is not None and "cand-pending" in mark["class"]
            assert text_of(mark) == e["quote"] == text[e["start"] : e["end"]]
            assert card.find("a", href=f"#cand-{p['id']}-{i}") is not None
            if e["hedge"]:
                assert ", ".join(e["hedge"]) in card.select("p.ev-meta")[i].get_text()
        assert [li.get_text() for li in card.select("details.reasons li")] == p["reasons"]
        relation = one(card, "p.relation")
        assert p["relation"]["kind"] in one(relation, "span.rel").get_text()
        if p["relation"]["fact_id"]:
            hrefs = [attr(a, "href") for a in relation.find_all("a")]
            assert any(h.endswith(f"/{p['relation']['fact_id']}") for h in hrefs)
        assert one(card, "form.decide")["action"] == f"/explore/proposals/{p['id']}"
    # Every footnote number leads to its card.
    for ref in html.select("sup.note-ref a"):
        assert one(html, attr(ref, "href")) in cards
    # An existing fact a proposal confirms is linked on its nation's page.
    confirms = next(
        p for p in items if p["relation"]["kind"] == "confirms" and "nation" in p["fact"]
    )
    link = one(html, f"#proposal-{confirms['id']} p.relation a")
    fact_id = confirms["relation"]["fact_id"]
    assert link["href"] == f"/explore/nations/{confirms['fact']['nation']}#fact-{fact_id}"
    assert (await curation.client.get(attr(link, "href").split("#")[0])).status_code == 200


async def test_rejecting_and_accepting_through_the_page_go_through_the_api(
    curation: Curation,
) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    membership = find(items, "membership", nation="NL")
    logistics = find(items, "commitment", nation="NL", role="logistics")
    other = next(p for p in items if p["id"] not in (membership["id"], logistics["id"]))
    key = curation.keys["bob"]

    rejected = await decide(curation, other["id"], "reject", "Misreads the sentence.", key)
    assert rejected.status_code == 303
    target = f"{review_url(source_id)}?decided={other['id']}#proposal-{other['id']}"
    assert rejected.headers["location"] == target
    assert key not in rejected.text
    now = await proposal(curation, other["id"])
    assert (now["status"], now["decided_by"], now["decision_reason"]) == (
        "rejected",
        "bob",
        "Misreads the sentence.",
    )
    [entry] = [
        c
        for c in await curation.changes(entity="proposal", entity_id=str(other["id"]))
        if c["action"] == "reject"
    ]
    assert (entry["actor"], entry["reason"]) == ("bob", "Misreads the sentence.")

    html = await review(curation, source_id, decided=other["id"])
    assert f"Proposal {other['id']}" in one(html, "div.notice-done").get_text()
    card = one(html, f"#proposal-{other['id']}")
    assert card.select_one("form") is None
    assert "Rejected by bob" in one(card, "p.decision").get_text()
    assert "Misreads the sentence." in one(card, "p.decision").get_text()
    assert all("cand-rejected" in m["class"] for m in html.select(f"mark[id^=cand-{other['id']}-]"))

    for p in (membership, logistics):
        accepted = await decide(curation, p["id"], "accept", "", key)
        assert accepted.status_code == 303, accepted.text
    now = await proposal(curation, logistics["id"])
    assert (now["status"], now["decided_by"], now["fact_id"]) == (
        "accepted",
        "bob",
        logistics["fact"]["id"],
    )
    written = (await curation.get(f"/commitments/{now['fact_id']}")).json()
    assert (written["nation"], written["role"], written["status"]) == ("NL", "logistics", "pledged")
    log = await curation.changes(entity="proposal", entity_id=str(logistics["id"]))
    assert (log[-1]["action"], log[-1]["actor"]) == ("accept", "bob")
    html = await review(curation, source_id, decided=logistics["id"])
    card = one(html, f"#proposal-{logistics['id']}")
    assert "Accepted by bob" in one(card, "p.decision").get_text()
    assert one(card, "p.decision").find("a", href=f"/commitments/{now['fact_id']}")


@pytest.mark.parametrize(
    ("decision", "reason", "key", "status", "words"),
    [
        ("accept", "", "pdb_not-a-key", 401, "That curator key was not accepted"),
        ("reject", "Wrong.", "", 401, "Enter your curator key to reject"),
        ("reject", "", "alice", 422, "Say why you reject it"),
        (None, "Why not.", "alice", 422, "Choose Accept or Reject"),
        ("delete", "Why not.", "alice", 422, "Choose Accept or Reject"),
    ],
)
async def test_a_refused_decision_changes_nothing_and_says_why_in_plain_words(
    curation: Curation, decision: str | None, reason: str, key: str, status: int, words: str
) -> None:
    items = (await run(curation, "article-b"))["items"]
    target = items[0]
    before = await curation.state()
    response = await decide(curation, target["id"], decision, reason, curation.keys.get(key, key))
    assert response.status_code == status
    assert await curation.state() == before
    html = BeautifulSoup(response.text, "html.parser")
    notice = one(html, "div.notice-error[role=alert]").get_text(" ", strip=True)
    assert words in notice and "Nothing was changed." in notice
    card = one(html, f"#proposal-{target['id']}")
    assert words in one(card, "p.field-error").get_text()
    # What the curator wrote comes back to edit; the key never does.
    assert one(card, "textarea").get_text() == reason
    assert one(card, "input[name=key]").get("value") is None
    if key:
        assert curation.keys.get(key, key) not in response.text


async def test_a_decided_proposal_or_an_unknown_one_is_refused(curation: Curation) -> None:
    items = (await run(curation, "article-b"))["items"]
    key = curation.keys["alice"]
    assert (await decide(curation, items[0]["id"], "reject", "Not so.", key)).status_code == 303
    again = await decide(curation, items[0]["id"], "accept", "", key)
    assert again.status_code == 409
    notice = one(BeautifulSoup(again.text, "html.parser"), "div.notice-error").get_text()
    assert f"Proposal {items[0]['id']} is already rejected." in notice
    missing = await decide(curation, 10**9, "accept", "", key)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "text/html; charset=utf-8"
    assert (await curation.client.get(review_url("no-such-source"))).status_code == 404
