"""GET /commitments and /commitments/{id}: filters, sorting, paging, CSV and evidence.

Expected values are derived from the fact files (the ``dataset`` fixture)."""

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from app.schemas.commitments import CommitmentIn
from app.vocab import ActorKind, CoalitionScope, Role, Status
from tests.helpers import list_ids, problem, walk_pages

pytestmark = pytest.mark.anyio

SORTS: dict[str, tuple[Callable[[CommitmentIn], Any], bool]] = {
    "id": (lambda c: c.id, False),
    "-id": (lambda c: c.id, True),
    "role": (lambda c: (c.role.value, c.id), False),
    "status": (lambda c: (c.status.value, c.id), False),
    "nation": (lambda c: (c.nation or "", c.id), False),
}


# --- helpers ---------------------------------------------------------------------------------


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return await list_ids(client, "/commitments", **params)


def expected(dataset: Dataset, keep: Callable[[CommitmentIn], bool]) -> list[str]:
    return sorted(c.id for c in dataset.commitments if keep(c))


def assert_evidence(dataset: Dataset, fact_id: str, evidence: list[dict[str, Any]]) -> None:
    located = sorted(
        (e for e in dataset.evidence if e.fact_id == fact_id), key=lambda e: e.position
    )
    outlets = {o.id: o.name for o in dataset.outlets}
    assert [e["id"] for e in evidence] == [f"{fact_id}/{e.position}" for e in located]
    for got, want in zip(evidence, located, strict=True):
        assert got["quote"] == want.quote
        assert (got["source"], got["start"], got["end"], got["line"]) == (
            want.source_id,
            want.start,
            want.end,
            want.line,
        )
        assert (got["certainty"], got["hedge"]) == (want.certainty, want.hedge)
        if want.outlet_id is None:
            assert got["outlet"] is None
        else:
            assert got["outlet"] == {"id": want.outlet_id, "name": outlets[want.outlet_id]}


# --- the list and its filters ----------------------------------------------------------------


async def test_lists_every_commitment_with_its_facts(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/commitments", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(dataset.commitments)
    assert [i["id"] for i in body["items"]] == sorted(c.id for c in dataset.commitments)
    facts = {c.id: c for c in dataset.commitments}
    for item in body["items"]:
        fact = facts[item["id"]]
        assert (item["actor"], item["nation"], item["coalition_scope"]) == (
            fact.actor,
            fact.nation,
            fact.coalition_scope,
        )
        assert (item["role"], item["status"]) == (fact.role, fact.status)
        assert (item["location"], item["combat"]) == (fact.location, fact.combat)
        assert item["summary"] == fact.summary
        gating = sorted(c.id for c in dataset.conditions if fact.id in c.gates)
        assert sorted(c["id"] for c in item["conditions"]) == gating
        assert_evidence(dataset, fact.id, item["evidence"])


@pytest.mark.parametrize("role", list(Role))
async def test_role_filter(client: httpx.AsyncClient, dataset: Dataset, role: Role) -> None:
    assert await ids(client, role=role.value) == expected(dataset, lambda c: c.role is role)


async def test_role_and_status_are_repeatable(client: httpx.AsyncClient, dataset: Dataset) -> None:
    roles, statuses = {Role.air, Role.troops}, {Status.pending, Status.hesitant}
    got = await ids(client, role=[r.value for r in roles], status=[s.value for s in statuses])
    assert got == expected(dataset, lambda c: c.role in roles and c.status in statuses)
    assert got


@pytest.mark.parametrize("status", list(Status))
async def test_status_filter(client: httpx.AsyncClient, dataset: Dataset, status: Status) -> None:
    assert await ids(client, status=status.value) == expected(dataset, lambda c: c.status is status)


@pytest.mark.parametrize("actor", list(ActorKind))
async def test_actor_filter(client: httpx.AsyncClient, dataset: Dataset, actor: ActorKind) -> None:
    got = await ids(client, actor=actor.value)
    assert got == expected(dataset, lambda c: c.actor is actor)
    assert got


@pytest.mark.parametrize("scope", list(CoalitionScope))
async def test_coalition_scope_filter(
    client: httpx.AsyncClient, dataset: Dataset, scope: CoalitionScope
) -> None:
    got = await ids(client, coalition_scope=scope.value)
    assert got == expected(dataset, lambda c: c.coalition_scope is scope)
    assert got


async def test_nation_filter_takes_alpha2_or_alpha3_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for nation in dataset.nations:

        def of_nation(c: CommitmentIn, code: str = nation.code) -> bool:
            return c.nation == code

        want = expected(dataset, of_nation)
        for code in {nation.code, nation.code.lower(), nation.alpha3, nation.alpha3.lower()}:
            assert await ids(client, nation=code) == want, code


async def test_what_italy_ruled_out(client: httpx.AsyncClient) -> None:
    # README example: /commitments?nation=IT&status=ruled_out gives Italy's ground troops,
    # attributed to Reuters in article A.
    response = await client.get("/commitments", params={"nation": "ita", "status": "ruled_out"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["role"] for i in items] == ["troops"]
    evidence = items[0]["evidence"]
    assert any("will not commit ground troops" in e["quote"] for e in evidence)
    assert any((e["outlet"] or {}).get("name") == "Reuters" for e in evidence)


@pytest.mark.parametrize("code", ["ZZ", "zzz"])
async def test_unknown_nation_is_refused(client: httpx.AsyncClient, code: str) -> None:
    body = problem(await client.get("/commitments", params={"nation": code}), 422)
    assert code in body["detail"]


async def test_source_filter(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for source in dataset.sources:
        sid = source.spec.id

        def from_source(c: CommitmentIn, sid: str = sid) -> bool:
            return any(e.source == sid for e in c.evidence)

        want = expected(dataset, from_source)
        assert want
        assert await ids(client, source=sid) == want
    body = problem(await client.get("/commitments", params={"source": "article-z"}), 422)
    assert sorted(body["allowed"]) == sorted(s.spec.id for s in dataset.sources)


async def test_filters_combine(client: httpx.AsyncClient, dataset: Dataset) -> None:
    got = await ids(client, actor="coalition", coalition_scope="whole", role="naval")
    assert got == expected(
        dataset,
        lambda c: (
            c.actor is ActorKind.coalition
            and c.coalition_scope is CoalitionScope.whole
            and c.role is Role.naval
        ),
    )
    assert got, "article A gives naval patrols to the coalition's force as a whole"


# --- sorting and paging ----------------------------------------------------------------------


def in_order(dataset: Dataset, sort: str) -> list[str]:
    key, descending = SORTS[sort]
    return [c.id for c in sorted(dataset.commitments, key=key, reverse=descending)]


@pytest.mark.parametrize("sort", list(SORTS))
async def test_sort(client: httpx.AsyncClient, dataset: Dataset, sort: str) -> None:
    assert await ids(client, sort=sort) == in_order(dataset, sort)


async def walk(client: httpx.AsyncClient, limit: int, **params: Any) -> list[str]:
    return [item["id"] for item in await walk_pages(client, "/commitments", limit, **params)]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("limit", [1, 5])
async def test_cursor_walk_visits_every_row_once_in_order(
    client: httpx.AsyncClient, dataset: Dataset, sort: str, limit: int
) -> None:
    assert await walk(client, limit, sort=sort) == in_order(dataset, sort)


async def test_cursor_walk_keeps_the_filters(client: httpx.AsyncClient, dataset: Dataset) -> None:
    got = await walk(client, 2, actor="coalition", sort="-id")
    assert got == expected(dataset, lambda c: c.actor is ActorKind.coalition)[::-1]


async def test_following_next_links_keeps_repeated_filters(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    roles = {Role.training, Role.troops}
    response = await client.get(
        "/commitments", params={"role": [r.value for r in roles], "limit": 2, "sort": "-id"}
    )
    seen: list[str] = []
    for _ in range(100):
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [i["id"] for i in page["items"]]
        if page["next"] is None:
            break
        assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
        assert sorted(httpx.URL(page["next"]).params.get_list("role")) == sorted(roles)
        response = await client.get(page["next"])
    assert seen == expected(dataset, lambda c: c.role in roles)[::-1]


async def test_offset_paging_and_link_header(client: httpx.AsyncClient, dataset: Dataset) -> None:
    everything = in_order(dataset, "status")
    response = await client.get("/commitments", params={"sort": "status", "limit": 4, "offset": 3})
    assert response.status_code == 200
    page = response.json()
    assert [i["id"] for i in page["items"]] == everything[3:7]
    assert (page["offset"], page["limit"], page["total"]) == (3, 4, len(everything))
    link = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["link"])
    assert link and link[1] == page["next"]
    following = await client.get(link[1])
    assert following.status_code == 200
    assert [i["id"] for i in following.json()["items"]] == everything[7:11]
    assert following.json()["offset"] is None


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_csv_rows_are_the_json_page(client: httpx.AsyncClient, how: str) -> None:
    params: dict[str, str | int | list[str]] = {
        "role": ["training", "troops"],
        "sort": "nation",
        "limit": 3,
        "offset": 1,
    }
    as_json = await client.get("/commitments", params=params)
    assert as_json.status_code == 200
    if how == "format":
        response = await client.get("/commitments", params={**params, "format": "csv"})
    else:
        response = await client.get("/commitments", params=params, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    items = as_json.json()["items"]
    assert [r["id"] for r in rows] == [i["id"] for i in items]
    assert [r["role"] for r in rows] == [i["role"] for i in items]
    assert [r["nation"] for r in rows] == [i["nation"] or "" for i in items]
    assert response.headers["x-total-count"] == str(as_json.json()["total"])


# --- one commitment --------------------------------------------------------------------------


async def test_each_commitment_by_id(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for fact in dataset.commitments:
        response = await client.get(f"/commitments/{fact.id}")
        assert response.status_code == 200, fact.id
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert (body["id"], body["role"], body["status"], body["nation"]) == (
            fact.id,
            fact.role,
            fact.status,
            fact.nation,
        )
        assert_evidence(dataset, fact.id, body["evidence"])


@pytest.mark.parametrize("commitment_id", ["no-such-commitment", "IT", "membership-it"])
async def test_unknown_commitment_is_404_problem(
    client: httpx.AsyncClient, commitment_id: str
) -> None:
    body = problem(await client.get(f"/commitments/{commitment_id}"), 404)
    assert body["type"] == "/problems/not-found"
    assert commitment_id in body["detail"]
