"""Optimistic concurrency under real concurrency: curators who edit the same commitment at the
same time never lose each other's work.

Requests are fired together from an anyio task group through the ASGI transport. The app's
handlers are synchronous, so each runs on its own worker thread; a rendezvous in front of the
app holds every request until all of them have arrived, so that they are all in flight at
once rather than one after the other."""

from collections import Counter
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.curation import (
    Curation,
    commitment_body,
    evidence_as_sent,
    make_keys,
    plain_quotes,
    stated,
)

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

CURATORS = 8
RENDEZVOUS_TIMEOUT = 10.0  # seconds the first request waits for the others


class Rendezvous:
    """ASGI middleware that holds the first ``parties`` write requests until all of them have
    arrived, then lets them through together (reads pass straight through)."""

    def __init__(self, app: ASGIApp, parties: int) -> None:
        self.app = app
        self.parties = parties
        self.arrived = 0
        self.all_in = anyio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "GET" and not self.all_in.is_set():
            self.arrived += 1
            if self.arrived == self.parties:
                self.all_in.set()
            with anyio.fail_after(RENDEZVOUS_TIMEOUT):
                await self.all_in.wait()
        await self.app(scope, receive, send)


def rendezvous_client(curation: Curation, parties: int) -> tuple[httpx.AsyncClient, Rendezvous]:
    gate = Rendezvous(curation.app, parties)
    transport = httpx.ASGITransport(app=gate)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver"), gate


async def updates_of(curation: Curation, fact_id: str) -> list[dict[str, Any]]:
    return [e for e in await curation.changes(entity_id=fact_id) if e["action"] == "update"]


async def test_two_curators_with_the_same_etag_one_wins_one_gets_412(
    curation: Curation,
) -> None:
    created = await curation.create("/commitments", commitment_body())
    location = created.headers["location"]
    original = (await curation.get(location)).json()
    etag = (await curation.get(location)).headers["etag"]
    edits = {"alice": {"status": "considering"}, "bob": {"status": "hesitant"}}
    responses: dict[str, httpx.Response] = {}
    client, gate = rendezvous_client(curation, parties=2)

    async def edit(who: str) -> None:
        responses[who] = await client.patch(
            location, json=edits[who], headers=curation.auth(who, if_match=etag)
        )

    async with client, anyio.create_task_group() as group:
        for who in edits:
            group.start_soon(edit, who)

    assert gate.arrived == 2
    statuses = sorted(r.status_code for r in responses.values())
    assert statuses == [200, 412], {who: r.text for who, r in responses.items()}
    [winner] = [who for who, r in responses.items() if r.status_code == 200]
    [loser] = [who for who in edits if who != winner]
    final = await curation.get(location)
    assert final.json()["status"] == edits[winner]["status"]
    assert final.json()["version"] == original["version"] + 1
    assert final.headers["etag"] == responses[winner].headers["etag"]
    assert responses[loser].json()["type"] == "/problems/precondition-failed"
    [update] = [
        e for e in await curation.changes(entity_id=original["id"]) if e["action"] == "update"
    ]
    assert update["actor"] == winner


async def test_concurrent_retract_and_patch_cannot_both_succeed(curation: Curation) -> None:
    created = await curation.create("/commitments", commitment_body())
    location, etag = created.headers["location"], created.headers["etag"]
    client, _ = rendezvous_client(curation, parties=2)
    responses: dict[str, httpx.Response] = {}

    async def correct() -> None:
        responses["patch"] = await client.patch(
            location, json={"status": "hesitant"}, headers=curation.auth("alice", if_match=etag)
        )

    async def retract() -> None:
        responses["retract"] = await client.post(
            f"{location}/retract",
            json={"reason": "Withdrawn by the source."},
            headers=curation.auth("bob", if_match=etag),
        )

    async with client, anyio.create_task_group() as group:
        group.start_soon(correct)
        group.start_soon(retract)

    assert sorted(r.status_code for r in responses.values()) == [200, 412], {
        k: r.text for k, r in responses.items()
    }
    final = (await curation.get(location)).json()
    if responses["retract"].status_code == 200:
        assert final["retracted_at"] is not None and final["status"] == "pledged"
    else:
        assert final["retracted_at"] is None and final["status"] == "hesitant"
    assert final["version"] == created.json()["version"] + 1


async def test_curators_who_retry_on_412_lose_no_update(curation: Curation) -> None:
    """Each of N curators appends their own evidence item to the same commitment; on 412 they
    GET it again and re-apply their change. In the end every item is there."""
    names = tuple(f"curator-{i}" for i in range(CURATORS))
    curation.keys |= make_keys(curation.url, curators=names, admin="root-2")
    quotes = plain_quotes(curation.sources["article-a"], CURATORS)
    created = await curation.create("/commitments", commitment_body())
    location = created.headers["location"]
    original = created.json()
    attempts: Counter[str] = Counter()
    client, gate = rendezvous_client(curation, parties=CURATORS)

    async def curator(who: str, quote: str) -> None:
        mine = stated("article-a", quote)
        # Each 412 means another curator's write got in first; there are only N - 1 others.
        for _ in range(CURATORS):
            attempts[who] += 1
            current = await client.get(location)
            assert current.status_code == 200, current.text
            evidence = [evidence_as_sent(e) for e in current.json()["evidence"]]
            response = await client.patch(
                location,
                json={"evidence": [*evidence, mine], "reason": f"{who} adds a quote."},
                headers=curation.auth(who, if_match=current.headers["etag"]),
            )
            if response.status_code == 200:
                return
            assert response.status_code == 412, response.text
        raise AssertionError(f"{who} never got their change in")

    async with client, anyio.create_task_group() as group:
        for who, quote in zip(names, quotes, strict=True):
            group.start_soon(curator, who, quote)

    assert gate.arrived == CURATORS
    final = (await curation.get(location)).json()
    got = [e["quote"] for e in final["evidence"]]
    assert sorted(got) == sorted([original["evidence"][0]["quote"], *quotes])
    assert final["version"] == original["version"] + CURATORS
    assert max(attempts.values()) > 1, "the curators never collided: nothing was tested"
    # One audit entry per curator, each building on the one before.
    updates = [
        e for e in await curation.changes(entity_id=original["id"]) if e["action"] == "update"
    ]
    assert sorted(e["actor"] for e in updates) == sorted(names)
    for earlier, later in zip(updates, updates[1:], strict=False):
        assert later["before"] == earlier["after"]
        assert len(later["after"]["evidence"]) == len(earlier["after"]["evidence"]) + 1


async def test_concurrent_creates_all_succeed(curation: Curation) -> None:
    """Writers to different facts queue; none fails because another holds the write lock."""
    quotes = plain_quotes(curation.sources["article-b"], CURATORS)
    client, _ = rendezvous_client(curation, parties=CURATORS)
    responses: list[httpx.Response] = []
    total_before = await curation.changes_total()

    async def create(quote: str, who: str) -> None:
        body: dict[str, Any] = commitment_body(evidence=[stated("article-b", quote)])
        responses.append(await client.post("/commitments", json=body, headers=curation.auth(who)))

    async with client, anyio.create_task_group() as group:
        for i, quote in enumerate(quotes):
            group.start_soon(create, quote, ("alice", "bob")[i % 2])

    assert [r.status_code for r in responses] == [201] * CURATORS, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == CURATORS
    assert await curation.changes_total() == total_before + CURATORS
