"""Answers that cannot mislead: every view says no more than its text. Each expectation is
derived from the fact files, not written down by hand, so the tests hold whatever the curated
data says; the named nations pin the findings of the audit of both articles."""

from collections import defaultdict
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from app.schemas.commitments import CommitmentIn
from app.vocab import ActorKind, Certainty, CoalitionScope, MembershipStatus, Role, Status
from tests.helpers import BLOCKING, inherits, problem

pytestmark = pytest.mark.anyio

WILL_OR_MAY = [Status.pledged, Status.open_to, Status.considering, Status.pending]


async def page(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def own(dataset: Dataset) -> list[CommitmentIn]:
    return [c for c in dataset.commitments if c.actor is ActorKind.nation]


def members(dataset: Dataset) -> set[str]:
    return {m.nation for m in dataset.memberships if m.status is MembershipStatus.member}


def force_roles(dataset: Dataset, statuses: list[Status]) -> set[Role]:
    return {
        c.role
        for c in dataset.commitments
        if c.coalition_scope is CoalitionScope.whole and c.status in statuses
    }


# --- 1. a role filter answers "who will or may do it" ----------------------------------------


@pytest.mark.parametrize("role", list(Role))
async def test_a_role_filter_lists_the_nations_that_will_or_may_do_it(
    client: httpx.AsyncClient, dataset: Dataset, role: Role
) -> None:
    body = await page(client, "/nations", role=role.value)
    expected = {c.nation for c in own(dataset) if c.role is role and c.status in WILL_OR_MAY}
    assert {i["code"] for i in body["items"]} == expected
    assert body["applied"]["status"] == [s.value for s in WILL_OR_MAY]
    assert body["applied"]["role"] == [role.value]


async def test_nobody_is_listed_as_sending_troops_that_only_hesitates_or_refuses(
    client: httpx.AsyncClient,
) -> None:
    troops = await page(client, "/nations", role="troops")
    assert not {"DE", "IT", "US"} & {i["code"] for i in troops["items"]}
    asked = await page(client, "/nations", role="troops", status=["hesitant", "ruled_out"])
    assert {i["code"] for i in asked["items"]} == {"DE", "IT", "US"}
    assert asked["applied"]["status"] == ["hesitant", "ruled_out"]


async def test_every_list_answer_says_what_it_applied(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    lists = []
    for path, operations in spec["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        content = operations["get"]["responses"]["200"].get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        if "applied" in schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}):
            lists.append(path)
    assert {
        "/nations", "/commitments", "/memberships", "/conditions", "/statements", "/events",
        "/sources", "/disputes", "/changes",
    } <= set(lists)  # fmt: skip
    for path in lists:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["applied"]["sort"], path


# --- 2. inheritance never overrides a nation's own word --------------------------------------


async def test_members_inherit_the_forces_tasks_except_against_their_own_word(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for role in force_roles(dataset, WILL_OR_MAY):
        body = await page(client, "/nations", role=role.value, include_coalition="true")
        via_coalition = {i["code"] for i in body["items"] if i["matched_via"] == "coalition"}
        expected = {
            m
            for m in members(dataset)
            if inherits(dataset, m, role)
            and not any(
                c.nation == m and c.role is role and c.status in WILL_OR_MAY for c in own(dataset)
            )
        }
        assert via_coalition == expected, role
    # The audit's findings: Italy ruled troops out and limited its role to training and
    # monitoring; Germany is hesitant about troops but not about the sea.
    naval = await page(client, "/nations", role="naval", include_coalition="true")
    assert "IT" not in {i["code"] for i in naval["items"]}
    assert "DE" in {i["code"] for i in naval["items"]}
    troops = await page(client, "/nations", role="troops", include_coalition="true")
    assert not {"IT", "DE"} & {i["code"] for i in troops["items"]}


async def test_excluded_members_are_shown_when_asked_with_their_reasons_and_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await page(
        client, "/nations", role="troops", include_coalition="true", include_excluded="true"
    )
    items = {i["code"]: i for i in body["items"]}
    texts = {s.spec.id: s.text for s in dataset.sources}
    for code, reasons in {
        "IT": {"ruled_out", "hesitant", "limited_to"},
        "DE": {"hesitant"},
    }.items():
        item = items[code]
        assert item["inherited"] is False
        assert item["matched_via"] is None
        assert {e["reason"] for e in item["excluded_by"]} == reasons
        for excluded in item["excluded_by"]:
            fact = next(c for c in dataset.commitments if c.id == excluded["commitment"])
            assert fact.nation == code
            assert excluded["evidence"], excluded
            for ev in excluded["evidence"]:
                assert texts[ev["source"]][ev["start"] : ev["end"]] == ev["quote"]
    # Those who do inherit carry no reasons.
    assert all(not i["excluded_by"] for i in items.values() if i["inherited"])


async def test_a_members_page_says_which_coalition_commitments_it_inherits(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for code in sorted(members(dataset)):
        response = await client.get(f"/nations/{code}")
        assert response.status_code == 200, response.text
        for c in response.json()["coalition_commitments"]:
            assert c["inherited"] is inherits(dataset, code, Role(c["role"])), (code, c["id"])
            assert bool(c["excluded_by"]) is not c["inherited"]
    italy = (await client.get("/nations/IT")).json()["coalition_commitments"]
    naval = next(c for c in italy if c["role"] == "naval")
    assert [e["reason"] for e in naval["excluded_by"]] == ["limited_to", "limited_to"]


# --- 3. certainty on every view --------------------------------------------------------------


def certainty_of(evidence: list[Any]) -> str:
    levels = {e.certainty for e in evidence}
    return next(
        c.value
        for c in (Certainty.stated, Certainty.reported, Certainty.hedged)
        if c in levels or c is Certainty.hedged
    )


async def test_memberships_drawn_only_from_a_hedged_list_say_so_in_every_view(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    expected = {m.nation: certainty_of(m.evidence) for m in dataset.memberships}
    hedged = {code for code, c in expected.items() if c == "hedged"}
    assert {"ES", "SK", "RO", "BG", "DK", "FI", "IS", "NO", "SE"} <= hedged
    nations = await page(client, "/nations")
    for item in nations["items"]:
        assert item["certainty"] == expected[item["code"]], item["code"]
        assert (item["hedge"] is not None) is (item["code"] in hedged)
        if item["code"] in {"ES", "DK"}:
            assert item["hedge"] == "reportedly"
    memberships = await page(client, "/memberships", certainty="hedged")
    assert {m["nation"] for m in memberships["items"]} == hedged
    assert all(m["certainty"] == "hedged" for m in memberships["items"])
    filtered = await page(client, "/nations", certainty="hedged")
    assert {i["code"] for i in filtered["items"]} == hedged
    summary = (await client.get("/summary")).json()
    member_hedged = {
        m.nation for m in dataset.memberships if m.status is MembershipStatus.member
    } & hedged
    assert summary["identified"]["by_certainty"]["hedged"] == len(member_hedged)
    assert summary["by_membership_certainty"]["member"]["hedged"] == len(member_hedged)


@pytest.mark.parametrize("path", ["/commitments", "/conditions", "/memberships", "/statements"])
async def test_every_fact_carries_the_strongest_certainty_of_its_evidence(
    client: httpx.AsyncClient, dataset: Dataset, path: str
) -> None:
    facts = {f.id: f for f in dataset.facts()}
    body = await page(client, path)
    assert body["items"]
    for item in body["items"]:
        assert item["certainty"] == certainty_of(facts[item["id"]].evidence), item["id"]
    for level in Certainty:
        filtered = await page(client, path, certainty=level.value)
        assert {i["id"] for i in filtered["items"]} == {
            i["id"] for i in body["items"] if i["certainty"] == level.value
        }


# --- 4. the summary counts nations that pledged ---------------------------------------------


async def test_the_summary_counts_nations_that_pledged_a_role_and_splits_the_rest(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    by_role = (await client.get("/summary")).json()["by_role"]
    for role in Role:
        for status in Status:
            nations = {c.nation for c in own(dataset) if c.role is role and c.status is status}
            assert by_role[role.value]["nations_by_status"][status.value] == len(nations)
        pledged = {c.nation for c in own(dataset) if c.role is role and c.status is Status.pledged}
        assert by_role[role.value]["nations"] == len(pledged), role
    # No nation pledged troops or air support: the hesitant and the pending are no pledges.
    assert by_role["troops"]["nations"] == 0
    assert by_role["air"]["nations"] == 0
    roles = (await client.get("/roles")).json()["items"]
    assert {r["role"]: r["nations"] for r in roles} == {r: by_role[r]["nations"] for r in by_role}


# --- 5. status never says more than the wording ----------------------------------------------


def test_no_commitment_is_pledged_on_hedged_words_alone(dataset: Dataset) -> None:
    for c in dataset.commitments:
        if c.status is Status.pledged:
            assert any(e.certainty is not Certainty.hedged for e in c.evidence), c.id
    some = next(c for c in dataset.commitments if c.id == "coalition-training-some-members")
    assert some.status is Status.considering


# --- 6. disputes distinguish contradictions from refinements ---------------------------------


async def test_a_narrower_later_claim_is_a_refinement_not_a_contradiction(
    client: httpx.AsyncClient,
) -> None:
    italy = (await client.get("/disputes/nation-it-role")).json()
    assert italy["kind"] == "refinement"
    assert italy["rule"] == "role"
    disputes = await page(client, "/disputes")
    for d in disputes["items"]:
        assert "reluctance" not in " ".join(d["differences"] + [c["claim"] for c in d["claims"]])
    for kind in ("contradiction", "refinement", "wording"):
        filtered = await page(client, "/disputes", kind=kind)
        assert {d["id"] for d in filtered["items"]} == {
            d["id"] for d in disputes["items"] if d["kind"] == kind
        }
        assert filtered["applied"]["kind"] == [kind]


# --- 7. attribution carried through a sentence -----------------------------------------------


async def test_a_sentence_that_goes_on_with_an_attributed_one_keeps_its_outlet(
    client: httpx.AsyncClient,
) -> None:
    russia = (await client.get("/memberships/membership-ru")).json()
    rather = next(e for e in russia["evidence"] if e["quote"].startswith("Rather, it is meant"))
    assert rather["certainty"] == "reported"
    assert rather["outlet"]["id"] == "ap-news"


# --- errors in plain words -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/commitments", "/memberships", "/conditions", "/statements", "/disputes"]
)
@pytest.mark.parametrize("name", ["Italy", "italy", "ITA", "Italian Republic"])
async def test_a_nation_filter_takes_names_as_well_as_codes(
    client: httpx.AsyncClient, path: str, name: str
) -> None:
    by_code = await page(client, path, nation="IT")
    by_name = await page(client, path, nation=name)
    assert by_name["items"] == by_code["items"]


async def test_a_misspelt_nation_is_answered_with_the_closest_ones(
    client: httpx.AsyncClient,
) -> None:
    body = problem(await client.get("/commitments", params={"nation": "Itlay"}), 422)
    assert "IT (Italy)" in body["detail"]
    body = problem(await client.get("/commitments", params={"nation": "UK"}), 422)
    assert "GB (United Kingdom)" in body["detail"]
    assert (await client.get("/nations/Italy")).json()["code"] == "IT"
    body = problem(await client.get("/nations/Germny"), 404)
    assert "DE (Germany)" in body["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/nations", {"as_of": "yesterday"}),
        ("/nations", {"as_of": "2025-02-30T00:00:00Z"}),
        ("/changes", {"since": "last week"}),
    ],
)
async def test_a_bad_timestamp_is_explained_in_words_with_an_example(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    body = problem(await client.get(path, params=params), 422)
    assert "ISO 8601" in body["detail"]
    assert "2025-09-04T12:00:00Z" in body["detail"]
    assert not {"^", "$", "[", "{", "\\"} & set(body["detail"]), body["detail"]


async def test_changes_filter_by_kind_of_fact_or_list_the_kinds(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    commitments = await page(client, "/changes", entity="commitment")
    ids = {c.id for c in dataset.commitments}
    assert commitments["items"]
    assert {c["entity_id"] for c in commitments["items"]} <= ids
    assert {c["entity_id"] for c in commitments["items"]} == ids
    body = problem(await client.get("/changes", params={"entity": "commitmnet"}), 422)
    assert "commitment" in body["errors"][0]["allowed"]


@pytest.mark.parametrize("value", ["nordic", "Nordic states", "nordic-states", "NORDIC"])
async def test_a_group_filter_and_search_find_a_groups_nations(
    client: httpx.AsyncClient, dataset: Dataset, value: str
) -> None:
    nordic = set(dataset.groups["nordic-states"].members)
    in_data = {n.code for n in dataset.nations}
    body = await page(client, "/nations", group=value)
    assert {i["code"] for i in body["items"]} == nordic & in_data
    assert body["applied"]["group"] == "nordic-states"
    found = await page(client, "/nations", q=value.split()[0].split("-")[0])
    assert nordic & in_data <= {i["code"] for i in found["items"]}


async def test_a_group_that_names_none_lists_the_groups(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/nations", params={"group": "benelux"}), 422)
    assert "nordic-states" in body["allowed"]


def test_the_seed_has_a_nation_of_each_kind_of_exclusion(dataset: Dataset) -> None:
    """The inheritance tests above mean something only while the data holds both cases."""
    reasons: dict[str, set[str]] = defaultdict(set)
    for c in own(dataset):
        if c.exclusive:
            reasons[c.nation or ""].add("limited_to")
        if c.status in BLOCKING:
            reasons[c.nation or ""].add(c.status.value)
    assert "limited_to" in reasons["IT"]
    assert reasons["DE"] == {"hesitant"}
