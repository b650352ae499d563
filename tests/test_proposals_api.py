"""The review flow over HTTP: a curator runs the proposal engine on a stored source
(POST /sources/{id}/proposals), lists what it proposed, and accepts (the fact is written
through the curation write path) or rejects each proposal; who decided and why is in the audit
log. Each test has its own seeded database (tests/curation_fixtures.py)."""

from pathlib import Path
from typing import Any

import pytest

from app.reads.per_revision import forget_all
from tests.curation import Curation, dump
from tests.test_statement_counts import ELSEWHERE, counting

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

ARTICLE = (Path(__file__).parent / "articles" / "logistics_not_troops.txt").read_text("utf-8")


async def add_source(curation: Curation, text: str = ARTICLE) -> str:
    response = await curation.create(
        "/sources",
        {"title": "Netherlands to run Ukraine supply hub", "published": "2025-10-07", "text": text},
        who="root",
    )
    source_id: str = response.json()["id"]
    return source_id


async def run(curation: Curation, source_id: str, **params: Any) -> dict[str, Any]:
    response = await curation.client.post(
        f"/sources/{source_id}/proposals", params=params, headers=curation.auth()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def find(items: list[dict[str, Any]], kind: str, **fact: Any) -> dict[str, Any]:
    [found] = [
        p for p in items
        if p["kind"] == kind and all(p["fact"].get(k) == v for k, v in fact.items())
    ]  # fmt: skip
    return found


async def accept(curation: Curation, proposal_id: int, body: Any = None, who: str = "alice") -> Any:
    return await curation.client.post(
        f"/proposals/{proposal_id}/accept", json=body, headers=curation.auth(who)
    )


async def test_proposals_are_stored_with_exact_spans_and_listed(curation: Curation) -> None:
    source_id = await add_source(curation)
    run_body = await run(curation, source_id)
    text = (await curation.get(f"/sources/{source_id}")).json()["text"]

    assert run_body["created"] == len(run_body["items"]) > 5
    assert run_body["replaced"] == 0
    assert sum(run_body["relations"].values()) == run_body["created"]
    for p in run_body["items"]:
        assert p["status"] == "pending" and p["created_by"] == "alice"
        for e in p["evidence"]:
            assert text[e["start"] : e["end"]] == e["quote"]
    listed = (await curation.get(f"/sources/{source_id}/proposals", limit=500)).json()
    assert [p["id"] for p in listed["items"]] == [p["id"] for p in run_body["items"]]
    commitments = (
        await curation.get(f"/sources/{source_id}/proposals", kind="commitment", limit=500)
    ).json()["items"]
    assert commitments and {p["kind"] for p in commitments} == {"commitment"}
    one = run_body["items"][0]
    assert (await curation.get(f"/proposals/{one['id']}")).json() == one


async def test_accepting_writes_the_fact_and_logs_who_and_why(curation: Curation) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    logistics = find(items, "commitment", nation="NL", role="logistics")
    membership = find(items, "membership", nation="NL")

    # Its nation has no membership fact yet: refused, naming why, and nothing written.
    before = await curation.state()
    refused = await accept(curation, logistics["id"])
    assert refused.status_code == 422
    assert "'NL' has no membership fact" in refused.json()["detail"]
    assert await curation.state() == before

    assert (await accept(curation, membership["id"])).status_code == 200
    response = await accept(curation, logistics["id"], {"reason": "Checked against the text."})

    assert response.status_code == 200, response.text
    decided = response.json()
    assert (decided["status"], decided["decided_by"], decided["fact_id"]) == (
        "accepted",
        "alice",
        logistics["fact"]["id"],
    )
    written = (await curation.get(f"/commitments/{decided['fact_id']}")).json()
    assert (written["nation"], written["role"], written["status"]) == ("NL", "logistics", "pledged")
    assert [(e["quote"], e["start"], e["end"]) for e in written["evidence"]] == [
        (e["quote"], e["start"], e["end"]) for e in logistics["evidence"]
    ]
    log = await curation.changes(entity="proposal", entity_id=str(logistics["id"]))
    assert [(c["action"], c["actor"], c["reason"]) for c in log][-1] == (
        "accept",
        "alice",
        "Checked against the text.",
    )
    [fact_entry] = await curation.changes(entity="fact", entity_id=decided["fact_id"])
    assert (fact_entry["action"], fact_entry["reason"]) == ("create", "Checked against the text.")
    again = await accept(curation, logistics["id"])
    assert again.status_code == 409


async def test_a_confirming_proposal_adds_its_evidence_to_the_fact_as_it_stands(
    curation: Curation,
) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    confirming = find(items, "commitment", nation="IT", role="troops", status="ruled_out")
    assert confirming["relation"]["kind"] == "confirms"
    fact_id = confirming["relation"]["fact_id"]
    held = (await curation.get(f"/commitments/{fact_id}")).json()

    response = await accept(curation, confirming["id"])

    assert response.status_code == 200, response.text
    now = (await curation.get(f"/commitments/{fact_id}")).json()
    assert now["version"] == held["version"] + 1
    assert now["evidence"][: len(held["evidence"])] == held["evidence"]
    assert [e["quote"] for e in now["evidence"][len(held["evidence"]) :]] == [
        e["quote"] for e in confirming["evidence"]
    ]


async def test_an_edited_fact_is_what_gets_written(curation: Curation) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    membership = find(items, "membership", nation="NL")
    edited = {k: v for k, v in membership["fact"].items() if k != "id"}
    edited["summary"] = "The Netherlands offers a logistics hub (our words)."

    response = await accept(curation, membership["id"], {"fact": edited})

    assert response.status_code == 200, response.text
    written = (await curation.get(f"/memberships/{membership['fact']['id']}")).json()
    assert written["summary"] == "The Netherlands offers a logistics hub (our words)."


async def test_a_bad_edit_is_refused_and_changes_nothing(curation: Curation) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    membership = find(items, "membership", nation="NL")
    bad = dict(membership["fact"])
    bad["evidence"] = [{"source": source_id, "quote": "Words not in it.", "certainty": "stated"}]
    before = dump(curation.url)

    response = await accept(curation, membership["id"], {"fact": bad})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Words not in it." in response.json()["detail"]
    assert dump(curation.url) == before
    assert (await curation.get(f"/proposals/{membership['id']}")).json()["status"] == "pending"


async def test_rejecting_keeps_the_reason_and_logs_it(curation: Curation) -> None:
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    target = items[0]
    facts_before = dump(curation.url)["facts"]

    response = await curation.client.post(
        f"/proposals/{target['id']}/reject",
        json={"reason": "Not what the article says."},
        headers=curation.auth("bob"),
    )

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["decision_reason"]) == (
        "rejected",
        "Not what the article says.",
    )
    assert dump(curation.url)["facts"] == facts_before
    [entry] = [
        c for c in await curation.changes(entity="proposal", entity_id=str(target["id"]))
        if c["action"] == "reject"
    ]  # fmt: skip
    assert (entry["actor"], entry["reason"]) == ("bob", "Not what the article says.")
    assert entry["before"]["status"] == "pending" and entry["after"]["status"] == "rejected"
    rejected = await curation.get(f"/sources/{source_id}/proposals", status="rejected")
    assert [p["id"] for p in rejected.json()["items"]] == [target["id"]]


async def test_a_second_run_needs_replace_and_rejects_what_was_pending(curation: Curation) -> None:
    source_id = await add_source(curation)
    first = await run(curation, source_id)
    again = await curation.client.post(f"/sources/{source_id}/proposals", headers=curation.auth())
    assert again.status_code == 409
    assert again.json()["pending"] == first["created"]

    second = await run(curation, source_id, replace="true")

    assert second["replaced"] == first["created"]
    old = (await curation.get(f"/proposals/{first['items'][0]['id']}")).json()
    assert (old["status"], old["decision_reason"]) == ("rejected", "replaced by a new run")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/sources/no-such-source/proposals", None, 404),
        ("post", "/proposals/999999/accept", None, 404),
        ("post", "/proposals/999999/reject", {"reason": "gone"}, 404),
        ("post", "/proposals/1/reject", {}, 422),
        ("get", "/proposals/999999", None, 404),
        ("get", "/sources/no-such-source/proposals", None, 404),
    ],
)
async def test_bad_requests_are_problems(
    curation: Curation, method: str, path: str, body: Any, status: int
) -> None:
    headers = curation.auth() if method == "post" else {}
    response = await curation.client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_writes_need_a_curator_key(curation: Curation) -> None:
    source_id = await add_source(curation)
    response = await curation.client.post(f"/sources/{source_id}/proposals")
    assert response.status_code == 401
    assert (await curation.get(f"/sources/{source_id}/proposals")).json()["total"] == 0


async def test_reads_cost_a_fixed_number_of_statements(curation: Curation) -> None:
    """Whatever the page size or the number of proposals (bounds: tests/test_statement_counts)."""
    source_id = await add_source(curation)
    items = (await run(curation, source_id))["items"]
    assert len(items) > 2
    engine = curation.app.state.engine
    counts = {}
    for limit in (1, 500):
        forget_all()
        with counting(engine) as count:
            await curation.get(f"/sources/{source_id}/proposals", limit=limit)
        counts[limit] = len(count.queries)
    assert 0 < counts[1] == counts[500] <= ELSEWHERE["/sources/{source_id}/proposals"]
    with counting(engine) as count:
        await curation.get(f"/proposals/{items[-1]['id']}")
    assert 0 < len(count.queries) <= ELSEWHERE["/proposals/{proposal_id}"]
