"""GET /conditions and /conditions/{id}: kind, nature, nation, gates, source; paging and CSV.

Expected values are derived from the fact files (the ``dataset`` fixture)."""

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from app.schemas.conditions import ConditionIn
from app.vocab import ConditionKind, ConditionNature
from tests.helpers import list_ids, problem, walk_pages

pytestmark = pytest.mark.anyio


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return await list_ids(client, "/conditions", **params)


def expected(dataset: Dataset, keep: Callable[[ConditionIn], bool]) -> list[str]:
    return sorted(c.id for c in dataset.conditions if keep(c))


async def test_lists_every_condition_with_what_it_gates(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/conditions", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(dataset.conditions)
    assert [i["id"] for i in body["items"]] == sorted(c.id for c in dataset.conditions)
    facts = {c.id: c for c in dataset.conditions}
    commitments = {c.id: c for c in dataset.commitments}
    for item in body["items"]:
        fact = facts[item["id"]]
        assert (item["kind"], item["nature"], item["nation"]) == (
            fact.kind,
            fact.nature,
            fact.nation,
        )
        assert sorted(g["id"] for g in item["gates"]) == sorted(fact.gates)
        for gate in item["gates"]:
            assert (gate["role"], gate["status"]) == (
                commitments[gate["id"]].role,
                commitments[gate["id"]].status,
            )
        assert [e["quote"] for e in item["evidence"]] == [e.quote for e in fact.evidence]


@pytest.mark.parametrize("kind", list(ConditionKind))
async def test_kind_filter(
    client: httpx.AsyncClient, dataset: Dataset, kind: ConditionKind
) -> None:
    assert await ids(client, kind=kind.value) == expected(dataset, lambda c: c.kind is kind)


async def test_kind_is_repeatable(client: httpx.AsyncClient, dataset: Dataset) -> None:
    kinds = {ConditionKind.ceasefire, ConditionKind.russian_opposition}
    got = await ids(client, kind=[k.value for k in kinds])
    assert got == expected(dataset, lambda c: c.kind in kinds)
    assert len(got) > len(expected(dataset, lambda c: c.kind is ConditionKind.ceasefire))


@pytest.mark.parametrize("nature", list(ConditionNature))
async def test_nature_filter(
    client: httpx.AsyncClient, dataset: Dataset, nature: ConditionNature
) -> None:
    got = await ids(client, nature=nature.value)
    assert got == expected(dataset, lambda c: c.nature is nature)
    assert got


async def test_nation_filter_covers_own_conditions_and_those_gating_its_commitments(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    nation_of = {c.id: c.nation for c in dataset.commitments}
    for nation in dataset.nations:
        code = nation.code

        def concerns(c: ConditionIn, code: str = code) -> bool:
            return c.nation == code or any(nation_of[g] == code for g in c.gates)

        want = expected(dataset, concerns)
        for spelling in (code, code.lower(), nation.alpha3, nation.alpha3.lower()):
            assert await ids(client, nation=spelling) == want, spelling


async def test_germany_waits_for_us_engagement(client: httpx.AsyncClient) -> None:
    # Article A: Germany is "awaiting clearer U.S. engagement before deploying forces".
    response = await client.get("/conditions", params={"nation": "deu", "kind": "us_engagement"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert items
    assert all(i["nature"] == "precondition" for i in items)
    assert any("awaiting clearer U.S. engagement" in e["quote"] for e in items[0]["evidence"])


async def test_unknown_nation_is_refused(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/conditions", params={"nation": "QQ"}), 422)
    assert "QQ" in body["detail"]


async def test_gates_filter(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for commitment in dataset.commitments:

        def gates(c: ConditionIn, cid: str = commitment.id) -> bool:
            return cid in c.gates

        want = expected(dataset, gates)
        assert await ids(client, gates=commitment.id) == want, commitment.id


async def test_a_ceasefire_must_come_before_troops_deploy(client: httpx.AsyncClient) -> None:
    # README example: /conditions?gates=coalition-troops. Article A: deployment depends on "A
    # negotiated ceasefire or armistice".
    response = await client.get("/conditions", params={"gates": "coalition-troops"})
    assert response.status_code == 200
    ceasefire = [i for i in response.json()["items"] if i["kind"] == "ceasefire"]
    assert ceasefire
    assert all(i["nature"] == "precondition" for i in ceasefire)
    assert all("coalition-troops" in [g["id"] for g in i["gates"]] for i in ceasefire)


async def test_source_filter(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for source in dataset.sources:
        sid = source.spec.id

        def from_source(c: ConditionIn, sid: str = sid) -> bool:
            return any(e.source == sid for e in c.evidence)

        want = expected(dataset, from_source)
        assert await ids(client, source=sid) == want
    body = problem(await client.get("/conditions", params={"source": "article-z"}), 422)
    assert sorted(body["allowed"]) == sorted(s.spec.id for s in dataset.sources)


async def test_filters_combine(client: httpx.AsyncClient, dataset: Dataset) -> None:
    got = await ids(client, nature="precondition", source="article-a", kind="ceasefire")
    assert got == expected(
        dataset,
        lambda c: (
            c.nature is ConditionNature.precondition
            and c.kind is ConditionKind.ceasefire
            and any(e.source == "article-a" for e in c.evidence)
        ),
    )


async def test_cursor_walk_visits_every_condition_once_in_order(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    want = sorted(c.id for c in dataset.conditions)
    seen = [item["id"] for item in await walk_pages(client, "/conditions", 2)]
    assert seen == want


async def test_offset_paging(client: httpx.AsyncClient, dataset: Dataset) -> None:
    want = sorted(c.id for c in dataset.conditions)
    response = await client.get("/conditions", params={"limit": 3, "offset": 2})
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == want[2:5]
    assert response.json()["offset"] == 2


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_csv(client: httpx.AsyncClient, how: str) -> None:
    params: dict[str, str | int] = {"nature": "precondition", "limit": 4}
    as_json = await client.get("/conditions", params=params)
    headers = {"Accept": "text/csv"} if how == "accept" else {}
    extra = {"format": "csv"} if how == "format" else {}
    response = await client.get("/conditions", params={**params, **extra}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == [i["id"] for i in as_json.json()["items"]]
    assert [r["kind"] for r in rows] == [i["kind"] for i in as_json.json()["items"]]


async def test_each_condition_by_id(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for fact in dataset.conditions:
        response = await client.get(f"/conditions/{fact.id}")
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["kind"], body["nature"]) == (fact.id, fact.kind, fact.nature)
        assert sorted(g["id"] for g in body["gates"]) == sorted(fact.gates)
        assert all(e["quote"] for e in body["evidence"])


async def test_unknown_condition_is_404_problem(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/conditions/no-such-condition"), 404)
    assert body["type"] == "/problems/not-found"
    assert "no-such-condition" in body["detail"]


async def test_gates_naming_no_commitment_is_refused_not_empty(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/conditions", params={"gates": "no-such-commitment"}), 422)
    assert "gates" in body["detail"]
