"""Create, correct (PATCH) and retract facts through the API, and register sources.

Each test has its own seeded database and app (tests/curation_fixtures.py). "Nothing was
written" is checked against the audit total and a dump of every table."""

import copy
import time
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from app.config import PROJECT_ROOT, Settings
from app.facts.files import Dataset
from app.facts.reference import nation_ref, read_reference
from app.main import create_app
from app.schemas import commitments, conditions, memberships, statements
from app.store.engine import make_engine
from tests.conftest import PG_URL
from tests.curation import (
    KINDS,
    Curation,
    Kind,
    as_sent,
    commitment_body,
    curation_over,
    expected_as_sent,
    sha256,
    stated,
)
from tests.helpers import problem

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

BAD_QUOTE = "Portugal has pledged two frigates to the Black Sea"
HEDGED_QUOTE = "the group reportedly involves:"  # article A, line 8
READ_ONLY_BOOKKEEPING = {"version", "updated_at", "retracted_at", "retraction_reason"}


def with_evidence(body: dict[str, Any], *items: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(body), "evidence": [*body["evidence"], *items]}


async def create(curation: Curation, kind: Kind, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """Create the kind's fact; its Location and the GET of it."""
    created = await curation.create(kind.path, {**kind.body, **overrides})
    location = created.headers["location"]
    return location, (await curation.get(location)).json()


async def get_with_etag(curation: Curation, location: str) -> tuple[dict[str, Any], str]:
    response = await curation.get(location)
    return response.json(), response.headers["etag"]


def assert_problem(response: httpx.Response, status: int, *words: str) -> str:
    """The response is a problem with this status whose detail says every one of ``words``."""
    detail: str = problem(response, status)["detail"]
    for word in words:
        assert word in detail, (word, detail)
    return detail


# --- create ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_create_answers_201_with_location_and_etag(curation: Curation, kind: Kind) -> None:
    total_before = await curation.changes_total()

    response = await curation.create(kind.path, kind.body)

    location = response.headers["location"]
    assert location.startswith(f"{kind.path}/")
    fact_id = location.removeprefix(f"{kind.path}/")
    body = response.json()
    assert body["id"] == fact_id
    assert body["version"] == 1
    assert body["retracted_at"] is None and body["retraction_reason"] is None
    again = await curation.get(location)
    assert again.headers["etag"] == response.headers["etag"]
    assert again.json() == body
    listed = (await curation.get(kind.path, limit=500)).json()["items"]
    assert [item for item in listed if item["id"] == fact_id] == [body]
    # One audit entry for the fact (and one for the nation a new membership brings).
    new_entries = (await curation.changes())[total_before:]
    assert [c["entity_id"] for c in new_entries if c["entity"] == "fact"] == [fact_id]


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_create_echoes_the_fields_sent(curation: Curation, kind: Kind) -> None:
    response = await curation.create(kind.path, {**kind.body, "reason": "New reporting."})

    expected = expected_as_sent(kind.body)
    assert as_sent(response.json(), expected) == expected


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_the_client_cannot_choose_the_id(curation: Curation, kind: Kind) -> None:
    before = await curation.state()

    response = await curation.client.post(
        kind.path, json={**kind.body, "id": "my-own-id"}, headers=curation.auth()
    )

    assert_problem(response, 422, "id")
    assert await curation.state() == before
    assert (await curation.client.get(f"{kind.path}/my-own-id")).status_code == 404


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_a_quote_not_in_any_source_is_refused_naming_it(
    curation: Curation, kind: Kind
) -> None:
    assert all(BAD_QUOTE not in text for text in curation.sources.values())
    before = await curation.state()
    good_quote = kind.body["evidence"][0]["quote"]

    response = await curation.client.post(
        kind.path,
        json=with_evidence(kind.body, stated("article-a", BAD_QUOTE)),
        headers=curation.auth(),
    )

    detail = assert_problem(response, 422, BAD_QUOTE, "evidence 2")
    assert good_quote not in detail  # only the quote that failed is named
    assert await curation.state() == before


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_a_quote_in_another_source_is_refused(curation: Curation, kind: Kind) -> None:
    item = kind.body["evidence"][0]
    other = next(source for source in curation.sources if source != item["source"])
    assert item["quote"] not in curation.sources[other]
    before = await curation.state()

    response = await curation.client.post(
        kind.path,
        json={**kind.body, "evidence": [{**item, "source": other}]},
        headers=curation.auth(),
    )

    assert_problem(response, 422, item["quote"], other)
    assert await curation.state() == before


@pytest.mark.parametrize("kind", KINDS, ids=str)
@pytest.mark.parametrize(
    ("evidence", "words"),
    [
        (stated("article-a", HEDGED_QUOTE), ["reportedly", "hedged"]),
        (
            {
                "source": "article-a",
                "quote": HEDGED_QUOTE,
                "certainty": "reported",
                "outlet": "reuters",
            },
            ["reportedly", "hedged"],
        ),
        (
            # A hedge that stands neither in the quote nor in the 400 characters before it.
            {
                "source": "article-b",
                "quote": "Conclusion",
                "certainty": "hedged",
                "hedge": "reportedly",
            },
            ["'reportedly'", "Conclusion"],
        ),
    ],
    ids=["stated", "reported", "hedge-far-away"],
)
async def test_hedge_rules_are_enforced(
    curation: Curation, kind: Kind, evidence: dict[str, Any], words: list[str]
) -> None:
    assert curation.sources[evidence["source"]].count(evidence["quote"]) == 1
    before = await curation.state()

    response = await curation.client.post(
        kind.path, json=with_evidence(kind.body, evidence), headers=curation.auth()
    )

    assert_problem(response, 422, *words)
    assert await curation.state() == before


async def test_a_properly_hedged_quote_is_accepted(curation: Curation) -> None:
    hedged = {
        "source": "article-a",
        "quote": HEDGED_QUOTE,
        "certainty": "hedged",
        "hedge": "reportedly",
    }
    response = await curation.create("/commitments", with_evidence(commitment_body(), hedged))
    assert response.json()["evidence"][1]["hedge"] == "reportedly"
    assert response.json()["evidence"][1]["certainty"] == "hedged"


async def test_a_commitment_of_a_nation_without_membership_is_refused(
    curation: Curation,
) -> None:
    before = await curation.state()
    response = await curation.client.post(
        "/commitments", json=commitment_body(nation="NL"), headers=curation.auth()
    )
    assert_problem(response, 422, "'NL'", "membership")
    assert await curation.state() == before


async def test_writes_need_a_curator_key(curation: Curation) -> None:
    before = await curation.state()
    response = await curation.client.post("/commitments", json=commitment_body())
    assert response.status_code == 401, response.text
    assert await curation.state() == before


async def test_a_conditional_get_is_304_until_the_fact_changes(curation: Curation) -> None:
    location, _ = await create(curation, KINDS[1])
    etag = (await curation.get(location)).headers["etag"]

    unchanged = await curation.client.get(location, headers={"If-None-Match": etag})
    patched = await curation.patch(location, {"status": "hesitant"}, etag)
    changed = await curation.client.get(location, headers={"If-None-Match": etag})

    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == etag
    assert patched.status_code == 200, patched.text
    assert changed.status_code == 200
    assert changed.headers["etag"] == patched.headers["etag"] != etag


# --- correct (PATCH) -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_patch_without_if_match_is_428_and_changes_nothing(
    curation: Curation, kind: Kind
) -> None:
    location, _ = await create(curation, kind)
    before = await curation.state()

    response = await curation.patch(location, kind.correction, etag=None)

    assert_problem(response, 428, "If-Match")
    assert await curation.state() == before


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_patch_with_a_stale_etag_is_412_and_changes_nothing(
    curation: Curation, kind: Kind
) -> None:
    location, _ = await create(curation, kind)
    _, stale = await get_with_etag(curation, location)
    first = await curation.patch(location, {"summary": "Corrected once, by Bob."}, stale, "bob")
    assert first.status_code == 200, first.text
    current, etag = await get_with_etag(curation, location)
    before = await curation.state()

    response = await curation.patch(location, kind.correction, stale)

    assert_problem(response, 412)
    assert response.headers["etag"] == etag  # the tag to retry with
    assert await curation.state() == before
    assert (await curation.get(location)).json() == current


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_patch_changes_only_the_given_fields(curation: Curation, kind: Kind) -> None:
    location, _ = await create(curation, kind)
    old, etag = await get_with_etag(curation, location)
    patch = {**kind.correction, "summary": "A corrected summary."}
    reason = "The source was misread."

    response = await curation.patch(location, {**patch, "reason": reason}, etag)

    assert response.status_code == 200, response.text
    new = response.json()
    assert response.headers["etag"] != etag
    got = await curation.get(location)
    assert got.headers["etag"] == response.headers["etag"]
    assert got.json() == new
    assert new["version"] == old["version"] + 1
    assert new["updated_at"] > old["updated_at"]
    assert as_sent(new, patch) == patch
    unchanged = set(old) - set(patch) - READ_ONLY_BOOKKEEPING
    assert {k: new[k] for k in unchanged} == {k: old[k] for k in unchanged}
    last = (await curation.changes(entity_id=new["id"]))[-1]
    assert (last["action"], last["actor"], last["reason"]) == ("update", "alice", reason)


async def test_patch_of_evidence_replaces_it_and_verifies_it(curation: Curation) -> None:
    location, old = await create(curation, KINDS[1])
    etag = (await curation.get(location)).headers["etag"]
    before = await curation.state()

    bad = await curation.patch(location, {"evidence": [stated("article-b", BAD_QUOTE)]}, etag)

    assert_problem(bad, 422, BAD_QUOTE)
    assert await curation.state() == before
    quote = "Germany has vowed to expand Ukraine’s air defense and arm new brigades"
    good = await curation.patch(location, {"evidence": [stated("article-b", quote)]}, etag)
    assert good.status_code == 200, good.text
    [item] = good.json()["evidence"]
    text = curation.sources["article-b"]
    assert (item["quote"], text[item["start"] : item["end"]]) == (quote, quote)
    assert {k: good.json()[k] for k in ("role", "status", "nation")} == {
        k: old[k] for k in ("role", "status", "nation")
    }


@pytest.mark.parametrize(
    "patch",
    [
        {"actor": "coalition"},  # a coalition commitment takes no nation
        {"status": "sort-of"},
        {"id": "renamed"},
        {"evidence": []},
        {"nation": "NL"},  # no membership
    ],
    ids=["actor-without-scope", "unknown-status", "id", "no-evidence", "nation-not-in-data"],
)
async def test_an_invalid_patch_is_422_and_changes_nothing(
    curation: Curation, patch: dict[str, Any]
) -> None:
    location, _ = await create(curation, KINDS[1])
    etag = (await curation.get(location)).headers["etag"]
    before = await curation.state()

    response = await curation.patch(location, patch, etag)

    assert_problem(response, 422, next(iter(patch)))
    assert await curation.state() == before


async def test_a_patch_that_changes_nothing_leaves_no_trace(curation: Curation) -> None:
    location, old = await create(curation, KINDS[1])
    etag = (await curation.get(location)).headers["etag"]
    before = await curation.state()

    response = await curation.patch(location, {"status": old["status"]}, etag)

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == etag
    assert response.json() == old
    assert await curation.state() == before


async def test_patch_and_retract_of_an_unknown_fact_are_404(curation: Curation) -> None:
    before = await curation.state()
    patch = await curation.patch("/commitments/no-such-fact", {"summary": "Nope."}, '"x"')
    retract = await curation.retract("/commitments/no-such-fact", "No reason.", '"x"')
    # A membership's id is not a commitment's.
    membership = (await curation.get("/memberships", limit=1)).json()["items"][0]["id"]
    wrong_kind = await curation.patch(f"/commitments/{membership}", {"summary": "No."}, '"x"')
    for response in (patch, retract, wrong_kind):
        assert_problem(response, 404)
    assert await curation.state() == before


# --- retract ---------------------------------------------------------------------------------


async def nation_page_ids(curation: Curation, kind: Kind) -> set[str]:
    page = await curation.client.get(f"/nations/{kind.nation}")
    if kind.on_nation_page is None:
        return {page.json()["membership"]["id"]} if page.status_code == 200 else set()
    assert page.status_code == 200, page.text
    return {item["id"] for item in page.json()[kind.on_nation_page]}


async def listed_ids(curation: Curation, path: str, **params: Any) -> set[str]:
    return {item["id"] for item in (await curation.get(path, limit=500, **params)).json()["items"]}


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_retract_keeps_the_fact_and_hides_it_from_lists(
    curation: Curation, kind: Kind
) -> None:
    location, fact = await create(curation, kind)
    fact_id = fact["id"]
    etag = (await curation.get(location)).headers["etag"]
    assert fact_id in await listed_ids(curation, kind.path)
    assert fact_id in await nation_page_ids(curation, kind)
    rows_before = curation_rows(await curation.state(), fact_id)
    reason = "The article was corrected."

    unconditional = await curation.retract(location, reason, etag=None)
    assert_problem(unconditional, 428, "If-Match")
    stale = await curation.retract(location, reason, etag='"stale"')
    assert_problem(stale, 412)
    assert curation_rows(await curation.state(), fact_id) == rows_before

    response = await curation.retract(location, reason, etag)

    assert response.status_code == 200, response.text
    retracted = response.json()
    assert retracted["retracted_at"] is not None
    assert retracted["retraction_reason"] == reason
    assert retracted["version"] == fact["version"] + 1
    page = await curation.get(location)  # its own page still shows it
    assert page.json() == retracted
    assert page.headers["etag"] == response.headers["etag"]
    assert page.json()["evidence"] == fact["evidence"]
    # The rows stay: the fact marked retracted, its evidence untouched.
    facts, evidence = curation_rows(await curation.state(), fact_id)
    assert facts[(fact_id,)]["retracted_at"] is not None
    assert facts[(fact_id,)]["retraction_reason"] == reason
    assert evidence == rows_before[1]
    # Lists hide it.
    assert fact_id not in await listed_ids(curation, kind.path)
    assert fact_id not in await listed_ids(curation, kind.path, nation=kind.nation)
    assert fact_id not in await nation_page_ids(curation, kind)
    change = (await curation.changes(entity_id=fact_id))[-1]
    assert (change["action"], change["actor"], change["reason"]) == ("retract", "alice", reason)


def curation_rows(state: tuple[int, Any], fact_id: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The fact's row and its evidence rows in a dump."""
    _, tables = state
    facts = {k: v for k, v in tables["facts"].items() if k == (fact_id,)}
    evidence = {k: v for k, v in tables["evidence"].items() if v["fact_id"] == fact_id}
    assert facts and evidence
    return facts, evidence


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_a_retracted_fact_cannot_be_corrected_or_retracted_again(
    curation: Curation, kind: Kind
) -> None:
    location, _ = await create(curation, kind)
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "Withdrawn.", etag)).status_code == 200
    etag = (await curation.get(location)).headers["etag"]
    before = await curation.state()

    patch = await curation.patch(location, kind.correction, etag)
    again = await curation.retract(location, "Withdrawn twice.", etag)

    assert_problem(patch, 409, "retracted")
    assert_problem(again, 409, "retracted")
    assert await curation.state() == before


async def test_a_membership_retraction_removes_the_nation_from_the_nations_list(
    curation: Curation,
) -> None:
    kind = KINDS[0]
    location, _ = await create(curation, kind)
    assert kind.nation in await nation_codes(curation)
    etag = (await curation.get(location)).headers["etag"]

    assert (await curation.retract(location, "Not a member after all.", etag)).status_code == 200

    assert kind.nation not in await nation_codes(curation)
    assert (await curation.client.get(f"/nations/{kind.nation}")).status_code == 404


async def nation_codes(curation: Curation) -> set[str]:
    return {n["code"] for n in (await curation.get("/nations", limit=500)).json()["items"]}


async def retract_a_gated_commitment(curation: Curation) -> tuple[str, str, list[str]]:
    """A new condition gating a new commitment (and what the kind's body gates), then the
    commitment retracted: the condition's location, the commitment's id, the gates left."""
    location, commitment = await create(curation, KINDS[1])
    condition_kind = KINDS[2]
    still_gated = condition_kind.body["gates"]
    condition_location, _ = await create(
        curation, condition_kind, gates=[commitment["id"], *still_gated]
    )
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "Withdrawn.", etag)).status_code == 200
    return condition_location, commitment["id"], still_gated


async def test_a_retracted_commitment_disappears_from_the_gates_of_conditions(
    curation: Curation,
) -> None:
    condition_location, retracted, still_gated = await retract_a_gated_commitment(curation)
    condition_id = condition_location.rsplit("/", 1)[1]

    listed = await curation.get("/conditions", limit=500)
    [in_list] = [c for c in listed.json()["items"] if c["id"] == condition_id]
    own_page = (await curation.get(condition_location)).json()

    assert [g["id"] for g in in_list["gates"]] == still_gated
    assert [g["id"] for g in own_page["gates"]] == still_gated, (
        f"the condition's own page still lists the retracted commitment {retracted!r}"
    )
    gated = (await curation.get("/conditions", gates=still_gated[0], limit=500)).json()
    assert condition_id in {c["id"] for c in gated["items"]}


async def test_a_condition_gating_a_retracted_commitment_can_still_be_corrected(
    curation: Curation,
) -> None:
    """Retracting a commitment must not leave the conditions that gate it uncorrectable."""
    condition_location, _, _ = await retract_a_gated_commitment(curation)
    before = (await curation.get(condition_location)).json()
    etag = (await curation.get(condition_location)).headers["etag"]

    response = await curation.patch(condition_location, {"summary": "Reworded."}, etag)

    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "Reworded."
    assert response.json()["gates"] == before["gates"]


# --- sources ---------------------------------------------------------------------------------

NEW_TEXT = (
    "The Hague, 5 September 2025. The Dutch government said on Friday that the Netherlands "
    "will contribute to the reassurance force for Ukraine, pending approval by parliament.\n"
    "Dutch ministers said the contribution would include air policing and training missions "
    "for Ukrainian forces.\n"
)
NEW_SOURCE = {
    "title": "Dutch government backs reassurance force",
    "publisher": "Example Wire",
    "published": "2025-09-05",
    "url": "https://example.org/dutch-reassurance-force",
    "text": NEW_TEXT,
}


async def test_post_sources_is_admin_only_and_refuses_the_same_text_twice(
    curation: Curation,
) -> None:
    before = await curation.state()
    curator = await curation.client.post("/sources", json=NEW_SOURCE, headers=curation.auth())
    assert_problem(curator, 403)
    assert await curation.state() == before

    response = await curation.client.post(
        "/sources", json=NEW_SOURCE, headers=curation.auth("root")
    )

    assert response.status_code == 201, response.text
    source = response.json()
    assert response.headers["location"] == f"/sources/{source['id']}"
    assert {k: source[k] for k in NEW_SOURCE} == NEW_SOURCE
    assert source["text_sha256"] == sha256(NEW_TEXT)
    assert source["origin"] == "api"
    got = await curation.get(response.headers["location"])
    assert got.json() == source
    assert got.headers["etag"] == response.headers["etag"]
    [change] = await curation.changes(entity="source", entity_id=source["id"])
    assert (change["action"], change["actor"]) == ("create", "root")

    before = await curation.state()
    duplicate = await curation.client.post(
        "/sources",
        json={**NEW_SOURCE, "title": "Same text, other title"},
        headers=curation.auth("root"),
    )
    assert_problem(duplicate, 409, source["id"])
    seeded = await curation.client.post(
        "/sources",
        json={"title": "Article A again", "text": curation.sources["article-a"]},
        headers=curation.auth("root"),
    )
    assert_problem(seeded, 409, "article-a")
    assert await curation.state() == before
    # Stored immutably: there is no way to change a source.
    for method in ("PATCH", "PUT", "DELETE"):
        response = await curation.client.request(
            method,
            f"/sources/{source['id']}",
            json={"text": "x" * 30},
            headers=curation.auth("root"),
        )
        assert response.status_code == 405, (method, response.text)


async def post_source(curation: Curation) -> str:
    response = await curation.client.post(
        "/sources", json=NEW_SOURCE, headers=curation.auth("root")
    )
    assert response.status_code == 201, response.text
    source_id: str = response.json()["id"]
    return source_id


async def test_a_fact_can_quote_a_new_source_with_exact_offsets(curation: Curation) -> None:
    source_id = await post_source(curation)
    quotes = [
        "Dutch ministers said the contribution would include air policing and training missions",
        "Dutch",  # occurs twice: the second is asked for
    ]
    evidence = [
        stated(source_id, quotes[0]),
        {**stated(source_id, quotes[1]), "occurrence": 2},
        stated("article-b", commitment_body()["evidence"][0]["quote"]),
    ]

    response = await curation.create("/commitments", commitment_body(evidence=evidence))

    fact = response.json()
    text = (await curation.get(f"/sources/{source_id}")).json()["text"]
    assert text == NEW_TEXT
    for item, sent in zip(fact["evidence"], evidence, strict=True):
        source_text = text if item["source"] == source_id else curation.sources[item["source"]]
        assert source_text[item["start"] : item["end"]] == item["quote"] == sent["quote"]
    second = fact["evidence"][1]
    assert second["start"] == NEW_TEXT.index("Dutch", NEW_TEXT.index("Dutch") + 1)
    assert fact["evidence"][0]["line"] == NEW_TEXT.count("\n", 0, fact["evidence"][0]["start"]) + 1
    listed = (await curation.get("/sources", limit=500)).json()["items"]
    assert {s["id"]: s["evidence_count"] for s in listed}[source_id] == 2
    # An ambiguous quote without `occurrence` is refused.
    before = await curation.state()
    ambiguous = await curation.client.post(
        "/commitments",
        json=commitment_body(evidence=[stated(source_id, "Dutch")]),
        headers=curation.auth(),
    )
    assert_problem(ambiguous, 422, "occurrence")
    assert await curation.state() == before


async def test_a_membership_for_a_new_nation_creates_the_nation_with_iso_data(
    curation: Curation,
) -> None:
    assert (await curation.client.get("/nations/NL")).status_code == 404
    source_id = await post_source(curation)
    body = {
        "nation": "NL",
        "status": "member",
        "part": "guarantor",
        "basis": "named",
        "summary": "The Netherlands will contribute to the reassurance force.",
        "evidence": [
            stated(
                source_id, "the Netherlands will contribute to the reassurance force for Ukraine"
            )
        ],
    }
    total_before = await curation.changes_total()

    response = await curation.create("/memberships", body)

    nation = (await curation.get("/nations/NL")).json()
    reference, _ = read_reference(PROJECT_ROOT / "data")
    expected = vars(nation_ref("NL", reference))
    assert {k: nation[k] for k in expected} == expected
    assert nation["membership"] == response.json()
    assert (await curation.get("/nations/NLD")).json() == nation
    new_entries = (await curation.changes())[total_before:]
    assert [(c["entity"], c["entity_id"], c["action"]) for c in new_entries] == [
        ("nation", "NL", "create"),
        ("fact", response.json()["id"], "create"),
    ]
    # A second membership for the same nation is refused.
    before = await curation.state()
    second = await curation.client.post("/memberships", json=body, headers=curation.auth())
    assert_problem(second, 422, "NL")
    assert await curation.state() == before


# --- what the contract fuzz found (tests/test_fuzz_live.py) ----------------------------------


async def test_a_nation_whose_membership_was_retracted_cannot_get_another(
    curation: Curation,
) -> None:
    kind = KINDS[0]
    location, membership = await create(curation, kind)
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "Not a member after all.", etag)).status_code == 200
    before = await curation.state()

    again = await curation.client.post(kind.path, json=kind.body, headers=curation.auth())

    assert_problem(again, 422, kind.nation, membership["id"], "retracted")
    assert await curation.state() == before


async def test_an_id_cut_at_a_hyphen_is_still_a_valid_id(curation: Curation) -> None:
    """The id is a slug of the fields cut to 60 characters: the cut may fall on a hyphen."""
    kind = KINDS[3]
    topic = "a" * 59 + "-" + "b" * 10  # the 60th character of the slug is a hyphen
    created = await curation.create(kind.path, {**kind.body, "topic": topic})
    fact_id = created.json()["id"]
    assert "--" not in fact_id and not fact_id.startswith("-")
    assert (await curation.client.get(created.headers["location"])).status_code == 200


@pytest.mark.parametrize("field", ["summary", "reason"])
async def test_a_nul_character_in_a_text_is_refused_on_every_backend(
    curation: Curation, field: str
) -> None:
    before = await curation.state()
    body = {**KINDS[1].body, field: "Italy will train\x00 Ukrainian forces."}
    response = await curation.client.post("/commitments", json=body, headers=curation.auth())
    assert_problem(response, 422, "NUL")
    location, _ = await create(curation, KINDS[1])
    etag = (await curation.get(location)).headers["etag"]
    before = await curation.state()
    for attempt in (
        curation.patch(location, {field: "Changed\x00."}, etag),
        curation.retract(location, "Withdrawn\x00.", etag),
    ):
        assert_problem(await attempt, 422, "NUL")
    assert await curation.state() == before


async def test_a_correction_is_held_to_the_limits_of_a_new_fact(curation: Curation) -> None:
    """The PATCH bodies in OpenAPI keep each field's limits, and are nullable only where a new
    fact's field is."""
    schemas = curation.app.openapi()["components"]["schemas"]
    for kind in ("Commitment", "Statement", "Membership", "Condition"):
        new, update = schemas[f"{kind}Create"], schemas[f"{kind}Update"]
        assert not update.get("required")
        for name, prop in new["properties"].items():
            # Absent means "unchanged" in a correction, so only the default differs.
            without_default = {k: v for k, v in prop.items() if k != "default"}
            assert update["properties"][name] == without_default, (kind, name)


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's database-wide write lock")
async def test_a_write_waits_its_turn_for_the_configured_time_then_answers_503(
    seeded_url: str, dataset: Dataset
) -> None:
    """PLEDGEDB_SQLITE_WRITE_WAIT_MS reaches the engine: with another process holding the
    file's write lock, a write waits that long, then answers 503 with Retry-After."""
    app = create_app(
        Settings(database_url=seeded_url, write_rate_per_minute=1_000, sqlite_write_wait_ms=300)
    )
    async with curation_over(app, seeded_url, dataset) as curation:
        before = await curation.state()
        holder = make_engine(seeded_url)
        try:
            with holder.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # another process's long write
                started = time.monotonic()
                response = await curation.client.post(
                    "/commitments", json=commitment_body(), headers=curation.auth()
                )
                waited = time.monotonic() - started
                conn.exec_driver_sql("ROLLBACK")
        finally:
            holder.dispose()
        assert_problem(response, 503)
        assert "retry-after" in response.headers
        assert 0.3 <= waited < 5, waited
        assert await curation.state() == before


# --- the write bodies --------------------------------------------------------------------------

BODIES = [
    (commitments.CommitmentCreate, commitments.CommitmentUpdate, commitments.CommitmentIn),
    (memberships.MembershipCreate, memberships.MembershipUpdate, memberships.MembershipIn),
    (conditions.ConditionCreate, conditions.ConditionUpdate, conditions.ConditionIn),
    (statements.StatementCreate, statements.StatementUpdate, statements.StatementIn),
]


def _properties(model: type[BaseModel]) -> dict[str, Any]:
    """Each field's schema as a client reads it, its default aside."""
    schema = model.model_json_schema()
    return {
        name: {k: v for k, v in field.items() if k != "default"}
        for name, field in schema["properties"].items()
    }


@pytest.mark.parametrize("create, update, file_model", BODIES, ids=lambda m: m.__name__)
def test_a_correction_offers_every_field_of_a_new_fact_with_the_same_words_and_limits(
    create: type[BaseModel], update: type[BaseModel], file_model: type[BaseModel]
) -> None:
    assert _properties(update) == _properties(create)
    assert "required" not in update.model_json_schema()  # every field may be left out
    # A new fact through the API states what a data file states, but its id (and says why).
    assert set(create.model_fields) - {"reason"} == set(file_model.model_fields) - {"id"}


def test_every_write_route_is_a_named_handler_with_its_explicit_body() -> None:
    """In the OpenAPI document: each write's operation is named after its handler
    (`create_commitment`, …) and its body is the resource's own class."""
    from app.main import create_app

    spec = create_app().openapi()
    bodies = {}
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method in ("post", "patch") and "requestBody" in operation:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                ref = schema.get("$ref", "inline")
                bodies[operation["operationId"]] = ref.rsplit("/", 1)[-1]
    for create, update, _ in BODIES:
        name = create.__name__.removesuffix("Create").lower()
        handlers = {op.split("_")[0]: body for op, body in bodies.items() if f"_{name}_" in op}
        assert handlers == {
            "create": create.__name__,
            "update": update.__name__,
            "retract": "Retraction",
        }, (name, bodies)
