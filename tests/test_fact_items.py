"""Facts kept per data revision as the API shows them (app/reads/fact_items.py): a second read
of the same facts loads none of them again, and a write — to the fact or to a fact it links
to, through this process or another — is in the very next answer."""

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.reads.fact_items import FACT_ITEMS
from tests.curation import Curation, commitment_body
from tests.test_response_cache import second_process, statements

pytest_plugins = ["tests.curation_fixtures"]
pytestmark = pytest.mark.anyio

# Pages that embed whole facts: a list of each kind with links, and a nation's page.
PAGES = [
    "/commitments?limit=5",
    "/commitments?role=training&format=csv",
    "/conditions?limit=3",
    "/statements?limit=3",
    "/memberships?limit=3",
    "/events",
    "/nations/FR",
]


def loads_evidence(seen: list[str]) -> bool:
    return any("FROM evidence" in s for s in seen)


async def test_a_second_read_loads_no_fact_again_and_answers_the_same(curation: Curation) -> None:
    async with second_process(curation.url, response_cache_entries=0) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        for path in PAGES:
            with statements(app) as first_seen:
                first = await client.get(path)
            with statements(app) as again_seen:
                again = await client.get(path)
            assert first.status_code == again.status_code == 200, (path, first.text)
            assert again.content == first.content, path
            assert loads_evidence(first_seen), (path, first_seen)
            assert not loads_evidence(again_seen), (path, again_seen)
            assert len(again_seen) < len(first_seen), path


async def gated_commitment(client: httpx.AsyncClient) -> dict[str, object]:
    page = (await client.get("/commitments", params={"limit": 500})).json()
    return next(c for c in page["items"] if c["conditions"] and c["nation"])


async def test_a_write_to_a_linked_fact_is_in_the_next_answer(curation: Curation) -> None:
    async with second_process(curation.url, response_cache_entries=0) as client:
        commitment = await gated_commitment(client)
        nation_page = f"/nations/{commitment['nation']}"
        gate = commitment["conditions"][0]["id"]  # type: ignore[index]
        for path in (f"/commitments?nation={commitment['nation']}", nation_page):
            assert gate in (await client.get(path)).text, path
        # Kept now; the condition is retracted through the other process (the curation app).
        location = f"/conditions/{gate}"
        etag = (await curation.get(location)).headers["etag"]
        retracted = await curation.retract(location, "The source corrected its report.", etag)
        assert retracted.status_code == 200, retracted.text

        listed = (await client.get(f"/commitments?nation={commitment['nation']}")).json()
        shown = next(c for c in listed["items"] if c["id"] == commitment["id"])
        assert gate not in [c["id"] for c in shown["conditions"]]
        page = (await client.get(nation_page)).json()
        assert gate not in [c["id"] for c in page["conditions"]]
        own = next(c for c in page["commitments"] if c["id"] == commitment["id"])
        assert gate not in [c["id"] for c in own["conditions"]]


async def test_a_correction_is_in_the_next_answer(curation: Curation) -> None:
    async with second_process(curation.url, response_cache_entries=0) as client:
        commitment = await gated_commitment(client)
        listing = f"/commitments?nation={commitment['nation']}"
        assert (await client.get(listing)).status_code == 200  # kept
        location = f"/commitments/{commitment['id']}"
        etag = (await curation.get(location)).headers["etag"]
        summary = "A corrected summary, in our words."
        patched = await curation.patch(
            location, {"summary": summary, "reason": "Misread the source."}, etag
        )
        assert patched.status_code == 200, patched.text
        for path in (listing, f"/nations/{commitment['nation']}"):
            body = (await client.get(path)).json()
            found = body["items"] if "items" in body else body["commitments"]
            assert {c["id"]: c["summary"] for c in found}[commitment["id"]] == summary, path


async def test_kept_facts_are_bounded_across_live_and_past_states(
    curation: Curation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past states (`as_of`) keep facts too, within the same bound as the live database: one
    process never holds more than `max_total`, however many moments are read."""
    monkeypatch.setattr(FACT_ITEMS, "max_total", 40)
    FACT_ITEMS.clear()
    async with second_process(curation.url, response_cache_entries=0) as client:
        moment = (await client.get("/commitments/it-troops-ruled-out")).json()["updated_at"]
        for params in ({}, {"as_of": moment}):
            expected = await client.get("/commitments", params={"limit": 30, **params})
            for path in ("/statements", "/commitments"):
                assert (await client.get(path, params={"limit": 30, **params})).status_code == 200
            assert sum(FACT_ITEMS.held()) <= 40
            again = await client.get("/commitments", params={"limit": 30, **params})
            assert again.content == expected.content
        assert len([n for n in FACT_ITEMS.held() if n]) == 2  # live and the past state


async def test_a_whole_list_streamed_keeps_nothing(curation: Curation) -> None:
    """Downloads (NDJSON, `all=true`) are validated as they stream and not kept: they would push
    out what pages keep and hold memory at the bound."""
    FACT_ITEMS.clear()
    async with second_process(curation.url, response_cache_entries=0) as client:
        for params in ({"format": "ndjson"}, {"all": "true"}, {"all": "true", "format": "csv"}):
            response = await client.get("/commitments", params=params)
            assert response.status_code == 200, response.text
            assert response.content.count(b'"id"' if "format" not in params else b"\n") > 10
        assert sum(FACT_ITEMS.held()) == 0
        assert (await client.get("/commitments", params={"limit": 3})).status_code == 200
        assert sum(FACT_ITEMS.held()) == 3


async def test_a_nation_lists_items_follow_a_write(curation: Curation) -> None:
    """The nations list's items are kept per revision too (by their nations and filters): a
    retraction through another process is in the next answer."""
    async with second_process(curation.url, response_cache_entries=0) as client:
        path = "/nations?role=training&limit=500"
        before = (await client.get(path)).json()["items"]
        nation = next(n for n in before if n["matched_via"] == "nation")
        [own] = [r["commitment"] for r in nation["roles"] if r["via"] == "nation"][:1]
        assert (await client.get(path)).json()["items"] == before  # kept, the same
        location = f"/commitments/{own}"
        etag = (await curation.get(location)).headers["etag"]
        retracted = await curation.retract(location, "The source corrected its report.", etag)
        assert retracted.status_code == 200, retracted.text
        after = {n["code"]: n for n in (await client.get(path)).json()["items"]}
        still = after.get(nation["code"], {"roles": []})
        assert own not in [r["commitment"] for r in still["roles"]]


# Every fact of each kind, on one page each.
WHOLE_LISTS = [
    f"/{kind}?limit=500"
    for kind in ("commitments", "conditions", "statements", "memberships", "events")
]


@contextlib.contextmanager
def evidence_loaded(app: FastAPI) -> Iterator[set[str]]:
    """The facts whose evidence the app's engine loads meanwhile (ids bound to the load)."""
    loaded: set[str] = set()

    def log(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if "FROM evidence" in statement:
            values = parameters.values() if isinstance(parameters, dict) else parameters
            loaded.update(p for p in values if isinstance(p, str) and "-" in p)

    event.listen(app.state.engine, "before_cursor_execute", log)
    try:
        yield loaded
    finally:
        event.remove(app.state.engine, "before_cursor_execute", log)


async def test_after_a_write_only_what_it_touched_is_loaded_again(curation: Curation) -> None:
    """After each write the kept items are carried to the new revision but for those the write
    touched (app.reads.fact_items.touched_items): every list then equals a fresh process's,
    and only the touched facts are loaded again."""
    async with second_process(curation.url, response_cache_entries=0) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        commitment = await gated_commitment(client)
        gate = str(commitment["conditions"][0]["id"])  # type: ignore[index]
        gated = {c["id"] for c in (await client.get(f"/conditions/{gate}")).json()["gates"]}
        for path in WHOLE_LISTS:
            assert (await client.get(path)).status_code == 200  # kept
        commitment_at = f"/commitments/{commitment['id']}"
        writes = [
            # A commitment's summary: the conditions gating it show it (their `gates`).
            (commitment_at, {"summary": "A corrected summary."}, {str(commitment["id"]), gate}),
            # A condition retracted: the commitments it gated no longer list it.
            (f"/conditions/{gate}", None, gated),
            ("/memberships/membership-au", {"summary": "A corrected summary."}, {"membership-au"}),
        ]
        for location, correction, touched in writes:
            etag = (await curation.get(location)).headers["etag"]
            if correction is not None:
                body = {**correction, "reason": "A test."}
                assert (await curation.patch(location, body, etag)).status_code == 200
            else:
                assert (await curation.retract(location, "A test.", etag)).status_code == 200
            async with second_process(curation.url, response_cache_entries=0) as other:
                fresh = {path: (await other.get(path)).json() for path in WHOLE_LISTS}
            with evidence_loaded(app) as loaded:
                for path in WHOLE_LISTS:
                    assert (await client.get(path)).json() == fresh[path], (location, path)
            assert loaded == touched, location


NATION_PAGES = ["/nations/DE", "/nations/FR", "/nations/AU", "/nations/IT", "/nations/US"]
NATION_LISTS = [
    "/nations?limit=500",
    "/nations?limit=500&include_coalition=true",
    "/nations?role=air&limit=500",
    "/nations?role=naval&include_coalition=true&limit=500",
]


@contextlib.contextmanager
def nations_read(app: FastAPI) -> Iterator[set[str]]:
    """The nations whose commitments a nations list's items read meanwhile (the codes bound to
    its read of commitments, told by their bucket column)."""
    codes: set[str] = set()

    def log(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if "bucket" in statement:
            values = parameters.values() if isinstance(parameters, dict) else parameters
            codes.update(v for v in values if isinstance(v, str) and len(v) == 2 and v.isupper())

    event.listen(app.state.engine, "before_cursor_execute", log)
    try:
        yield codes
    finally:
        event.remove(app.state.engine, "before_cursor_execute", log)


async def test_nation_list_items_follow_each_write_and_only_those_it_touches(
    curation: Curation,
) -> None:
    """The nations list's items are carried past a write that does not change them (a
    coalition commitment's summary, where no page lists it) and built again after one that
    does, reading again only what it touched: after each, every list equals a fresh
    process's."""
    async with second_process(curation.url, response_cache_entries=0) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        for path in [*NATION_LISTS, *NATION_PAGES]:
            assert (await client.get(path)).status_code == 200  # kept
        writes = [
            # Summary only: no page but those listing air commitments shows it.
            ("/commitments/coalition-air", {"summary": "The force covers the air."}, {2}),
            # Its status: what members inherit changes on every page, from the force's roles
            # read again; the nations' own commitments are read again only where the page
            # lists air commitments.
            ("/commitments/coalition-air", {"status": "considering"}, {2}),
            # Australia's membership: the pages it is on (no own air commitment; a member
            # inherits naval patrols), reading Australia's part again, and no other nation's.
            ("/memberships/membership-au", {"status": "potential"}, {0, 1, 3}),
            # Germany's own: its page's lists and limits; the lists' pages it is on.
            ("/commitments/de-troops-hesitant", {"status": "ruled_out"}, {0, 1, 3}),
        ]
        # Where the page keeps its nations, only those written are read again (Australia
        # leaves the naval page: a page of other nations, read whole).
        only = {
            "/memberships/membership-au": {0: {"AU"}, 1: {"AU"}},
            "/commitments/de-troops-hesitant": {0: {"DE"}, 1: {"DE"}, 3: {"DE"}},
        }
        for location, correction, read_again in writes:
            etag = (await curation.get(location)).headers["etag"]
            body = {**correction, "reason": "A test."}
            assert (await curation.patch(location, body, etag)).status_code == 200
            async with second_process(curation.url, response_cache_entries=0) as other:
                fresh = [(await other.get(path)).json() for path in NATION_LISTS]
                for page in NATION_PAGES:  # the pages, kept in the first process as well
                    assert (await client.get(page)).json() == (await other.get(page)).json()
            again = set()
            for i, path in enumerate(NATION_LISTS):
                with nations_read(app) as codes:
                    assert (await client.get(path)).json() == fresh[i], (location, path)
                if codes:  # the items' read of commitments
                    again.add(i)
                    if i in only.get(location, {}):
                        assert codes == only[location][i], (location, path)
            assert again == read_again, (location, correction)
        # A new commitment of Italy's: its page lists one more.
        await curation.create("/commitments", commitment_body())
        async with second_process(curation.url, response_cache_entries=0) as other:
            for page in [*NATION_PAGES, *NATION_LISTS]:
                assert (await client.get(page)).json() == (await other.get(page)).json(), page


async def test_a_lists_total_is_counted_again_only_after_a_write_to_what_it_counts(
    curation: Curation,
) -> None:
    """A list's total is kept past writes to tables its count does not read (app.api.pages:
    the audit entries since say which tables changed): a commitment retracted recounts the
    filtered lists of commitments (by certainty too: evidence) and of nations, not those of
    events or conditions; the unfiltered list's total is carried (one fewer). Every total is
    still a fresh process's."""
    paths = {
        "/commitments?limit=2": False,
        "/commitments?role=air&limit=2": True,
        "/commitments?certainty=hedged&limit=2": True,
        "/nations?role=air&limit=2": True,
        "/events?limit=2": False,
        "/conditions?limit=2": False,
    }
    async with second_process(curation.url, response_cache_entries=0) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        for path in paths:
            assert (await client.get(path)).status_code == 200  # kept
        etag = (await curation.get("/commitments/coalition-air")).headers["etag"]
        retracted = await curation.retract("/commitments/coalition-air", "A test.", etag)
        assert retracted.status_code == 200
        async with second_process(curation.url, response_cache_entries=0) as other:
            for path, counted_again in paths.items():
                with statements(app) as seen:
                    total = (await client.get(path)).json()["total"]
                assert total == (await other.get(path)).json()["total"], path
                assert any("count(" in s.lower() for s in seen) == counted_again, (path, seen)


async def test_a_count_of_a_kind_is_carried_by_what_each_write_changed(
    curation: Curation,
) -> None:
    """A count of one kind's standing facts on its own table (app.api.totals.CountedFacts) is
    carried by the audit entries: a correction that changes no column its filters read keeps
    it; a fact created or retracted adds or takes one from the unfiltered count, and makes a
    filtered count count again (whether the fact passes is the database's to say), as does a
    correction of a column a filter reads. Every total is a fresh process's."""
    unfiltered, by_role, by_status = (
        "/commitments?limit=2",
        "/commitments?role=monitoring&limit=2",
        "/commitments?status=pledged&limit=2",
    )
    created = await curation.create("/commitments", commitment_body())
    location = created.headers["location"]

    async def correct(**fields: Any) -> None:
        etag = (await curation.get(location)).headers["etag"]
        response = await curation.patch(location, {**fields, "reason": "A test."}, etag)
        assert response.status_code == 200, response.text

    async def retract() -> None:
        etag = (await curation.get(location)).headers["etag"]
        assert (await curation.retract(location, "A test.", etag)).status_code == 200

    async def create() -> None:
        await curation.create("/commitments", commitment_body(summary="Another one."))

    writes: list[tuple[Callable[[], Awaitable[None]], dict[str, bool]]] = [
        # (the write, {path: counted again})
        (
            lambda: correct(summary="A corrected summary."),
            {unfiltered: False, by_role: False, by_status: False},
        ),
        (lambda: correct(role="training"), {unfiltered: False, by_role: True, by_status: False}),
        (lambda: create(), {unfiltered: False, by_role: True, by_status: True}),
        (lambda: retract(), {unfiltered: False, by_role: True, by_status: True}),
    ]
    async with second_process(curation.url, response_cache_entries=0) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        before = (await client.get(unfiltered)).json()["total"]
        for path in (by_role, by_status):
            assert (await client.get(path)).status_code == 200  # kept
        for write, expected in writes:
            await write()
            async with second_process(curation.url, response_cache_entries=0) as other:
                for path, counted_again in expected.items():
                    with statements(app) as seen:
                        total = (await client.get(path)).json()["total"]
                    assert total == (await other.get(path)).json()["total"], path
                    assert any("count(" in s.lower() for s in seen) == counted_again, (path, seen)
        # One more created, the first retracted: as many as before.
        assert (await client.get(unfiltered)).json()["total"] == before


async def test_the_whole_forces_total_is_counted_again_only_when_a_write_changes_it(
    curation: Curation,
) -> None:
    """A member's page shows how many commitments the coalition's force as a whole has: kept
    past a write to the member's own commitment, which finds its part of the coalition again
    (at 1,000x the seed, 11,000 rows to count), counted again when one of the force's
    commitments is retracted. The page is a fresh process's each time."""
    page = "/nations/FR"

    async def counts_whole_force() -> bool:
        async with second_process(curation.url, response_cache_entries=0) as other:
            with statements(curation.app) as seen:
                shown = (await curation.get(page)).json()
            assert shown == (await other.get(page)).json()
        return any(
            "count(" in s.lower() and "coalition_scope" in s and "nation_code" not in s
            for s in seen
        )

    async def retract(location: str) -> None:
        etag = (await curation.get(location)).headers["etag"]
        assert (await curation.retract(location, "A test.", etag)).status_code == 200

    assert await counts_whole_force()  # the first read counts
    # France's own commitment: its page's part of the coalition is found again (its limits),
    # the force's total is kept.
    await retract("/commitments/fr-leadership-pledged-b")
    assert not await counts_whole_force()
    await retract("/commitments/coalition-air")
    assert await counts_whole_force()
