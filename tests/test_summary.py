"""GET /summary: every count must agree with the fact files and with the list endpoints."""

from collections import Counter
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from app.vocab import Basis, Certainty, MembershipStatus, Role, Status
from tests.curation import Curation

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]


async def summary(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/summary")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(path, params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


async def test_claims_26_nations_with_quoted_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await summary(client)
    # Both articles: Macron "announced that 26 nations have formally committed".
    assert body["claimed_nation_count"] == 26
    claims = [e.pledging_nation_count for e in dataset.events if e.pledging_nation_count]
    assert body["claimed_nation_count"] == claims[0]
    assert body["claimed_by"]
    assert any("26" in e["quote"] for e in body["claimed_by"])
    sources = {e["source"] for e in body["claimed_by"] if "26" in e["quote"]}
    assert sources == {s.spec.id for s in dataset.sources}, "both articles claim 26"


async def test_claimed_by_is_only_evidence_for_the_count(client: httpx.AsyncClient) -> None:
    # claimed_by is documented as "Evidence for the claimed count": each quote should state it.
    body = await summary(client)
    count = str(body["claimed_nation_count"])
    assert [e["quote"] for e in body["claimed_by"] if count not in e["quote"]] == []


async def test_identified_members_agree_with_the_nation_list(
    client: httpx.AsyncClient,
) -> None:
    body = await summary(client)
    members = await items(client, "/nations", membership="member")
    by_basis = Counter(m["basis"] for m in members)
    identified = body["identified"]
    assert identified["total"] == len(members)
    for basis in Basis:
        assert identified[basis.value] == by_basis[basis.value], basis
    assert identified["unidentified"] == max(body["claimed_nation_count"] - len(members), 0)
    assert identified["total"] <= body["claimed_nation_count"]


async def test_inferred_members_come_from_named_groups(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    inferred = await items(client, "/nations", membership="member")
    inferred = [m for m in inferred if m["basis"] == "inferred_from_group"]
    group_names = {g.name for g in dataset.groups.values()}
    assert inferred, "the Nordic states and the Baltic countries"
    assert all(m["group"] in group_names for m in inferred)
    assert (await summary(client))["identified"]["inferred_from_group"] == len(inferred)


async def test_membership_counts_agree_with_the_nation_list(client: httpx.AsyncClient) -> None:
    body = await summary(client)
    for status in MembershipStatus:
        listed = await items(client, "/nations", membership=status.value)
        assert body["by_membership"][status.value] == len(listed), status
    assert body["potential_members"] == body["by_membership"]["potential"]
    assert sum(body["by_membership"].values()) == len(await items(client, "/nations"))


async def test_role_counts_agree_with_the_lists(client: httpx.AsyncClient) -> None:
    body = await summary(client)
    assert set(body["by_role"]) == {r.value for r in Role}
    for role in Role:
        counts = body["by_role"][role.value]
        commitments = await items(client, "/commitments", role=role.value)
        assert counts["commitments"] == len(commitments), role
        assert counts["coalition_commitments"] == len(
            [c for c in commitments if c["actor"] == "coalition"]
        ), role
        pledged = await items(client, "/nations", role=role.value, status="pledged")
        assert counts["nations"] == len(pledged), role
        for status in Status:
            nations = await items(client, "/nations", role=role.value, status=status.value)
            assert counts["nations_by_status"][status.value] == len(nations), (role, status)


async def test_naval_has_a_coalition_commitment_and_no_nation(client: httpx.AsyncClient) -> None:
    naval = (await summary(client))["by_role"]["naval"]
    assert naval["nations"] == 0
    assert naval["coalition_commitments"] >= 1


async def test_status_counts_agree_with_the_commitment_list(client: httpx.AsyncClient) -> None:
    body = await summary(client)
    assert set(body["by_status"]) == {s.value for s in Status}
    for status in Status:
        listed = await items(client, "/commitments", status=status.value)
        assert body["by_status"][status.value] == len(listed), status
    assert sum(body["by_status"].values()) == len(await items(client, "/commitments"))


async def test_region_counts_are_members_per_region(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await summary(client)
    members = await items(client, "/nations", membership="member")
    assert body["by_region"] == dict(Counter(m["region"] for m in members))
    for region, count in body["by_region"].items():
        listed = await items(client, "/nations", membership="member", region=region.upper())
        assert len(listed) == count, region


async def test_certainty_counts_agree_with_the_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await summary(client)
    counts = Counter(e.certainty.value for e in dataset.evidence)
    assert body["by_certainty"] == {c.value: counts[c.value] for c in Certainty}


FACT_LISTS = ["/commitments", "/conditions", "/statements", "/events", "/memberships"]


async def test_evidence_counts_leave_a_retracted_fact_out(curation: Curation) -> None:
    """The lists leave a retracted fact out, evidence and all: so do the summary's counts of
    evidence per certainty, which agree with the evidence the lists show."""
    location = "/commitments/gb-leadership-pledged-b"  # article B: the UK as co-leader
    before = (await curation.get("/summary")).json()["by_certainty"]
    page = await curation.get(location)
    withdrawn = Counter(e["certainty"] for e in page.json()["evidence"])
    retracted = await curation.retract(location, "Article B was corrected.", page.headers["etag"])
    assert retracted.status_code == 200, retracted.text
    after = (await curation.get("/summary")).json()["by_certainty"]
    assert after == {c: before[c] - withdrawn[c] for c in before}
    shown: Counter[str] = Counter()
    for path in FACT_LISTS:
        for item in await items(curation.client, path):
            shown.update(e["certainty"] for e in item["evidence"])
    assert after == {c.value: shown[c.value] for c in Certainty}
