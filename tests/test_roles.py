"""GET /roles: the vocabulary with definitions, and counts that agree with the lists."""

from typing import Any

import httpx
import pytest

from app.vocab import Certainty, Role, Status
from tests.curation import Curation

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]


async def roles(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/roles")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def total(client: httpx.AsyncClient, path: str, **params: Any) -> int:
    response = await client.get(path, params={**params, "limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def test_lists_every_role_with_a_definition(client: httpx.AsyncClient) -> None:
    body = await roles(client)
    assert [i["role"] for i in body["items"]] == [r.value for r in Role]
    assert body["total"] == len(Role)
    for item in body["items"]:
        assert isinstance(item["definition"], str)
        assert len(item["definition"].strip()) > 10, item


async def test_lists_every_status_and_certainty_level_with_a_definition(
    client: httpx.AsyncClient,
) -> None:
    body = await roles(client)
    assert [s["value"] for s in body["statuses"]] == [s.value for s in Status]
    assert [c["value"] for c in body["certainty_levels"]] == [c.value for c in Certainty]
    for entry in body["statuses"] + body["certainty_levels"]:
        assert entry["definition"].strip()


async def test_air_defense_is_not_air_policing(client: httpx.AsyncClient) -> None:
    definitions = {i["role"]: i["definition"].lower() for i in (await roles(client))["items"]}
    assert "policing" in definitions["air"]
    assert "air defen" in definitions["air_defense"]
    assert "naval patrols" in definitions["naval"]


async def test_counts_agree_with_the_lists(client: httpx.AsyncClient) -> None:
    for item in (await roles(client))["items"]:
        role = item["role"]
        assert item["commitments"] == await total(client, "/commitments", role=role), role
        # Nations that pledged the role themselves: /nations?role=…&status=pledged.
        pledged = await total(client, "/nations", role=role, status="pledged")
        assert item["nations"] == pledged, role


async def test_roles_take_no_query_parameters(client: httpx.AsyncClient) -> None:
    response = await client.get("/roles", params={"role": "naval"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "role" in response.json()["detail"]


async def test_a_retracted_commitment_leaves_the_counts(curation: Curation) -> None:
    # The counts read the commitments' own table (not joined to `facts`): the retraction mark
    # must still take the fact out, here and in /summary.
    pledged = (await curation.get("/commitments", status="pledged", actor="nation")).json()
    fact = pledged["items"][0]
    role = fact["role"]
    nations_before = {i["role"]: i["nations"] for i in (await roles(curation.client))["items"]}
    counts_before = (await curation.get("/summary")).json()["by_role"][role]
    location = f"/commitments/{fact['id']}"
    etag = (await curation.get(location)).headers["etag"]
    response = await curation.retract(location, "The source was corrected.", etag)
    assert response.status_code == 200, response.text

    for item in (await roles(curation.client))["items"]:
        assert item["commitments"] == await total(
            curation.client, "/commitments", role=item["role"]
        )
    pledged_now = await total(curation.client, "/nations", role=role, status="pledged")
    after = {i["role"]: i["nations"] for i in (await roles(curation.client))["items"]}
    assert after[role] == pledged_now <= nations_before[role]
    counts = (await curation.get("/summary")).json()["by_role"][role]
    assert counts["commitments"] == counts_before["commitments"] - 1
    assert counts["commitments_by_status"]["pledged"] == (
        counts_before["commitments_by_status"]["pledged"] - 1
    )
    assert sum(counts["commitments_by_certainty"].values()) == counts["commitments"]
    assert counts["nations"] == after[role]
