"""GET /nations and /nations/{code}: every filter, sorting, paging, CSV and the nation record.

Expected values are derived from the fact files (the ``dataset`` fixture), never copied from
the API's own output."""

import csv
import dataclasses
import io
import re
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.curation.seed import seed
from app.facts.files import Dataset
from app.facts.reference import NationRef
from app.main import create_app
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import ActorKind, CoalitionScope, MembershipStatus, Role, Status
from tests.helpers import inherits, problem, walk_link, walk_pages

pytestmark = pytest.mark.anyio

ALL = {"limit": 500}
SORT_KEYS = {
    "name": (lambda n: (n.name, n.code), False),
    "-name": (lambda n: (n.name, n.code), True),
    "code": (lambda n: n.code, False),
    "-code": (lambda n: n.code, True),
    "region": (lambda n: (n.region, n.name, n.code), False),
    "-region": (lambda n: (n.region, n.name, n.code), True),
}


# --- helpers ---------------------------------------------------------------------------------


async def get_page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/nations", params={**ALL, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["total"] == len(body["items"]), "a 500-row page should hold every match"
    return body


async def codes(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return [item["code"] for item in (await get_page(client, **params))["items"]]


def by_name(nations: list[NationRef]) -> list[str]:
    return [n.code for n in sorted(nations, key=lambda n: (n.name, n.code))]


def membership(dataset: Dataset, code: str) -> MembershipStatus:
    return next(m.status for m in dataset.memberships if m.nation == code)


def members(dataset: Dataset) -> list[NationRef]:
    return [n for n in dataset.nations if membership(dataset, n.code) is MembershipStatus.member]


def with_own_commitment(
    dataset: Dataset, roles: set[Role] | None, statuses: set[Status]
) -> list[NationRef]:
    found = {
        c.nation
        for c in dataset.commitments
        if c.actor is ActorKind.nation
        and (roles is None or c.role in roles)
        and c.status in statuses
    }
    return [n for n in dataset.nations if n.code in found]


def coalition_wide(dataset: Dataset, roles: set[Role], statuses: set[Status]) -> list[str]:
    return sorted(
        c.id
        for c in dataset.commitments
        if c.actor is ActorKind.coalition
        and c.coalition_scope is CoalitionScope.whole
        and c.role in roles
        and c.status in statuses
    )


def will_or_may() -> set[Status]:
    """The statuses a role filter takes by default: the nation will or may do it."""
    return {Status.pledged, Status.open_to, Status.considering, Status.pending}


def inheriting(dataset: Dataset, role: Role) -> list[NationRef]:
    return [n for n in members(dataset) if inherits(dataset, n.code, role)]


# --- the list --------------------------------------------------------------------------------


async def test_lists_every_nation_in_the_data_with_its_reference_facts(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await get_page(client)
    assert body["total"] == len(dataset.nations)
    assert [i["code"] for i in body["items"]] == by_name(dataset.nations)
    assert body["coalition_commitments"] == []
    reference = {n.code: n for n in dataset.nations}
    memberships = {m.nation: m for m in dataset.memberships}
    for item in body["items"]:
        nation, fact = reference[item["code"]], memberships[item["code"]]
        assert (item["alpha3"], item["name"], item["official_name"]) == (
            nation.alpha3,
            nation.name,
            nation.official_name,
        )
        assert (item["nato"], item["eu"], item["region"]) == (nation.nato, nation.eu, nation.region)
        assert (item["membership"], item["part"], item["basis"]) == (
            fact.status,
            fact.part,
            fact.basis,
        )
        assert item["group"] == (dataset.groups[fact.group].name if fact.group else None)
        own = sorted(c.id for c in dataset.commitments if c.nation == item["code"])
        assert sorted(r["commitment"] for r in item["roles"]) == own
        assert all(r["via"] == "nation" for r in item["roles"])
        assert item["roles_total"] == len(own)
        assert item["matched_via"] is None
        assert item["inherited"] is False
    assert body["coalition_commitments_total"] == 0
    assert body["coalition_commitments_all"] is None


@pytest.mark.parametrize("sort", list(SORT_KEYS))
async def test_sort_orders_by_the_key_ascending_or_descending(
    client: httpx.AsyncClient, dataset: Dataset, sort: str
) -> None:
    key, descending = SORT_KEYS[sort]
    expected = [n.code for n in sorted(dataset.nations, key=key, reverse=descending)]
    assert await codes(client, sort=sort) == expected


@pytest.mark.parametrize("role", list(Role))
async def test_role_lists_nations_with_their_own_commitment_they_will_or_may_carry_out(
    client: httpx.AsyncClient, dataset: Dataset, role: Role
) -> None:
    body = await get_page(client, role=role.value)
    expected = by_name(with_own_commitment(dataset, {role}, will_or_may()))
    assert [i["code"] for i in body["items"]] == expected
    for item in body["items"]:
        assert item["matched_via"] == "nation"
        assert item["inherited"] is False
        assert any(r["role"] == role and r["status"] in will_or_may() for r in item["roles"])
    expected_coalition = sorted(
        c.id
        for c in dataset.commitments
        if c.actor is ActorKind.coalition and c.role is role and c.status is not Status.ruled_out
    )
    assert sorted(c["id"] for c in body["coalition_commitments"]) == expected_coalition
    assert all(c["nation"] is None for c in body["coalition_commitments"])


async def test_role_is_repeatable_and_matches_any(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    roles = {Role.air, Role.training, Role.leadership}
    expected = by_name(with_own_commitment(dataset, roles, will_or_may()))
    assert await codes(client, role=[r.value for r in roles]) == expected
    assert len(expected) > max(len(with_own_commitment(dataset, {r}, will_or_may())) for r in roles)


async def test_role_default_status_excludes_ruled_out_but_status_can_ask_for_it(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    ruled_out = [c for c in dataset.commitments if c.status is Status.ruled_out and c.nation]
    assert ruled_out, "the data has a ruled-out commitment (Italy: ground troops)"
    for commitment in ruled_out:
        role = commitment.role.value
        default = await codes(client, role=role)
        own_other = with_own_commitment(dataset, {commitment.role}, will_or_may())
        assert default == by_name(own_other)
        if commitment.nation not in {n.code for n in own_other}:
            assert commitment.nation not in default
        asked = await codes(client, role=role, status="ruled_out")
        assert commitment.nation in asked
        assert asked == by_name(with_own_commitment(dataset, {commitment.role}, {Status.ruled_out}))


async def test_default_status_hides_a_nation_that_only_ruled_the_role_out(
    scratch_url: str, dataset: Dataset
) -> None:
    """Seed a copy of the facts in which one nation's only commitment in a role is ruled_out."""
    ruled = next(c for c in dataset.commitments if c.status is Status.ruled_out and c.nation)
    dropped = {
        c.id
        for c in dataset.commitments
        if c.nation == ruled.nation and c.role is ruled.role and c.id != ruled.id
    }
    data = dataclasses.replace(
        dataset,
        commitments=[c for c in dataset.commitments if c.id not in dropped],
        conditions=[
            c.model_copy(update={"gates": [g for g in c.gates if g not in dropped]})
            for c in dataset.conditions
        ],
        evidence=[e for e in dataset.evidence if e.fact_id not in dropped],
    )
    migrations.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    with make_sessionmaker(engine)() as session:
        seed(session, data)
    engine.dispose()
    app = create_app(Settings(database_url=scratch_url))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            role = ruled.role.value
            assert ruled.nation not in await codes(client, role=role)
            assert ruled.nation in await codes(client, role=role, status="ruled_out")
            every = [s.value for s in Status]
            assert ruled.nation in await codes(client, role=role, status=every)
            # Nor does it inherit the coalition's commitment in that role: its own word stands.
            body = await get_page(client, role=role, include_coalition="true")
            assert ruled.nation not in [i["code"] for i in body["items"]]
            if membership(data, ruled.nation) is MembershipStatus.member:
                body = await get_page(
                    client, role=role, include_coalition="true", include_excluded="true"
                )
                [item] = [i for i in body["items"] if i["code"] == ruled.nation]
                assert (item["matched_via"], item["inherited"]) == (None, False)
                assert [e["commitment"] for e in item["excluded_by"] if e["reason"] == "ruled_out"]
    finally:
        app.state.engine.dispose()


async def test_italy_ruled_out_ground_troops(client: httpx.AsyncClient) -> None:
    # A fixed truth of article A: "Italy has already clarified that it will not commit ground
    # troops".
    body = await get_page(client, role="troops", status="ruled_out")
    italy = next(i for i in body["items"] if i["code"] == "IT")
    assert {"role": "troops", "status": "ruled_out"} in [
        {"role": r["role"], "status": r["status"]} for r in italy["roles"]
    ]


@pytest.mark.parametrize("status", list(Status))
async def test_status_without_role_lists_nations_with_any_commitment_of_it(
    client: httpx.AsyncClient, dataset: Dataset, status: Status
) -> None:
    expected = by_name(with_own_commitment(dataset, None, {status}))
    assert await codes(client, status=status.value) == expected


async def test_status_is_repeatable(client: httpx.AsyncClient, dataset: Dataset) -> None:
    statuses = {Status.pending, Status.hesitant}
    expected = by_name(with_own_commitment(dataset, None, statuses))
    assert await codes(client, status=[s.value for s in statuses]) == expected


async def test_naval_patrols_belong_to_no_nation_only_to_the_coalition(
    client: httpx.AsyncClient,
) -> None:
    # Article A gives naval patrols in the Black Sea to the coalition's force as a whole; no
    # article names a nation that will patrol.
    body = await get_page(client, role="naval")
    assert body["items"] == []
    assert body["total"] == 0
    naval = [
        c
        for c in body["coalition_commitments"]
        if c["role"] == "naval" and c["actor"] == "coalition" and c["coalition_scope"] == "whole"
    ]
    assert naval, body["coalition_commitments"]
    for ref in naval:
        detail = await client.get(f"/commitments/{ref['id']}")
        assert detail.status_code == 200
        quotes = [e["quote"].lower() for e in detail.json()["evidence"]]
        assert any("naval patrols" in q for q in quotes), quotes


async def test_include_coalition_lists_members_who_inherit_naval_patrols(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = await get_page(client, role="naval", include_coalition="true")
    assert [i["code"] for i in body["items"]] == by_name(inheriting(dataset, Role.naval))
    assert "IT" not in [i["code"] for i in body["items"]]  # "limited its role to training…"
    naval_ids = coalition_wide(dataset, {Role.naval}, will_or_may())
    assert naval_ids
    for item in body["items"]:
        assert item["membership"] == "member"
        assert item["inherited"] is True
        assert item["matched_via"] == "coalition"
        inherited = [r for r in item["roles"] if r["via"] == "coalition"]
        assert sorted(r["commitment"] for r in inherited) == naval_ids
        assert all(r["role"] == "naval" for r in inherited)
    assert sorted(c["id"] for c in body["coalition_commitments"]) == naval_ids


async def test_nothing_of_the_seed_is_cut_from_the_embedded_lists(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    # Members inherit the commitments of the force as a whole: the longest lists.
    body = await get_page(client, include_coalition="true")
    for item in body["items"]:
        own = [c.id for c in dataset.commitments if c.nation == item["code"]]
        roles = {r for r in Role if inherits(dataset, item["code"], r)}
        inherited = (
            coalition_wide(dataset, roles, set(Status)) if item["membership"] == "member" else []
        )
        assert sorted(r["commitment"] for r in item["roles"]) == sorted(own + inherited)
        assert item["roles_total"] == len(own) + len(inherited)


@pytest.mark.parametrize("role", [[Role.troops], [Role.naval, Role.training]])
async def test_coalition_commitments_all_lists_what_the_page_embeds(
    client: httpx.AsyncClient, dataset: Dataset, role: list[Role]
) -> None:
    body = await get_page(client, role=[r.value for r in role])
    expected = sorted(
        c.id
        for c in dataset.commitments
        if c.actor is ActorKind.coalition and c.role in role and c.status in will_or_may()
    )
    assert expected, "the seed has coalition commitments of these roles"
    assert [c["id"] for c in body["coalition_commitments"]] == expected
    assert body["coalition_commitments_total"] == len(expected)
    assert httpx.URL(body["coalition_commitments_all"]).path == "/commitments"
    listed = await walk_link(client, body["coalition_commitments_all"], 2)
    assert sorted(c["id"] for c in listed) == expected
    # A past state's page links to the same past state.
    as_of = "2030-01-01T00:00:00Z"
    past = await get_page(client, role=[r.value for r in role], as_of=as_of)
    assert httpx.URL(past["coalition_commitments_all"]).params["as_of"] == as_of


async def test_include_coalition_keeps_own_matches_as_not_inherited(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    role = Role.training
    own = {n.code for n in with_own_commitment(dataset, {role}, will_or_may())}
    assert own, "a nation has its own training commitment (Italy)"
    assert coalition_wide(dataset, {role}, will_or_may())
    body = await get_page(client, role=role.value, include_coalition="true")
    expected = by_name([n for n in dataset.nations if n.code in own or n in members(dataset)])
    assert [i["code"] for i in body["items"]] == expected
    for item in body["items"]:
        if item["code"] in own:
            assert (item["matched_via"], item["inherited"]) == ("nation", False)
        else:
            assert (item["matched_via"], item["inherited"]) == ("coalition", True)


async def test_include_coalition_without_a_coalition_commitment_adds_nobody(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    roles = [
        r for r in Role if not coalition_wide(dataset, {r}, set(Status))
        and with_own_commitment(dataset, {r}, will_or_may())
    ]  # fmt: skip
    assert roles, "e.g. air_defense: Germany's own, no coalition-wide commitment"
    for role in roles:
        plain = await codes(client, role=role.value)
        assert plain
        assert await codes(client, role=role.value, include_coalition="true") == plain


@pytest.mark.parametrize("status", list(MembershipStatus))
async def test_membership_filter(
    client: httpx.AsyncClient, dataset: Dataset, status: MembershipStatus
) -> None:
    expected = by_name([n for n in dataset.nations if membership(dataset, n.code) is status])
    assert expected
    assert await codes(client, membership=status.value) == expected


async def test_membership_is_repeatable(client: httpx.AsyncClient, dataset: Dataset) -> None:
    wanted = {MembershipStatus.potential, MembershipStatus.non_member}
    expected = by_name([n for n in dataset.nations if membership(dataset, n.code) in wanted])
    assert await codes(client, membership=[s.value for s in wanted]) == expected


@pytest.mark.parametrize("field", ["nato", "eu"])
@pytest.mark.parametrize("value", [True, False])
async def test_nato_and_eu_filters(
    client: httpx.AsyncClient, dataset: Dataset, field: str, value: bool
) -> None:
    expected = by_name([n for n in dataset.nations if getattr(n, field) is value])
    assert expected
    assert await codes(client, **{field: str(value).lower()}) == expected


async def test_filters_combine(client: httpx.AsyncClient, dataset: Dataset) -> None:
    expected = by_name([n for n in members(dataset) if not n.nato])
    assert expected, "members outside NATO (e.g. Australia, Japan)"
    assert await codes(client, membership="member", nato="false") == expected


@pytest.mark.parametrize("case", [str, str.upper, str.lower, str.swapcase])
async def test_region_matches_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset, case: Any
) -> None:
    for region in sorted({n.region for n in dataset.nations}):
        expected = by_name([n for n in dataset.nations if n.region == region])
        assert await codes(client, region=case(region)) == expected


async def test_unknown_region_is_refused_with_the_allowed_regions(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/nations", params={"region": "Middle Earth"})
    body = problem(response, 422)
    assert "Middle Earth" in body["detail"]
    # Every UN M49 sub-region of the reference data is allowed, those with no nation too.
    assert sorted(body["allowed"]) == sorted(dataset.reference.regions.members)
    assert {n.region for n in dataset.nations} <= set(body["allowed"])


async def test_a_region_with_no_nation_is_an_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/nations", params={"region": "Central Asia"})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize("q", ["czech", "CZECH", "Republic", "kingdom", "us", "gbr", "Fr"])
async def test_q_searches_names_official_names_and_codes_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset, q: str
) -> None:
    def hit(n: NationRef) -> bool:
        fields = [n.name, n.official_name or "", n.code, n.alpha3]
        return any(q.lower() in f.lower() for f in fields)

    expected = by_name([n for n in dataset.nations if hit(n)])
    assert expected
    assert await codes(client, q=q) == expected


async def test_q_czech_finds_czechia_also_through_its_official_name(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    czechia = next(n for n in dataset.nations if n.code == "CZ")
    assert czechia.official_name == "Czech Republic"
    assert "czech republic" not in czechia.name.lower()  # pycountry's short name is Czechia
    assert await codes(client, q="czech") == ["CZ"]
    assert await codes(client, q="CZECH REPUBLIC") == ["CZ"]


@pytest.mark.parametrize("q", ["%", "_", "\\"])
async def test_q_treats_like_wildcards_literally(client: httpx.AsyncClient, q: str) -> None:
    assert await codes(client, q=q) == []


# --- paging and CSV --------------------------------------------------------------------------


async def walk(client: httpx.AsyncClient, limit: int, **params: Any) -> list[dict[str, Any]]:
    return await walk_pages(client, "/nations", limit, **params)


@pytest.mark.parametrize("sort", list(SORT_KEYS))
async def test_cursor_walk_visits_every_nation_once_in_order(
    client: httpx.AsyncClient, dataset: Dataset, sort: str
) -> None:
    key, descending = SORT_KEYS[sort]
    expected = [n.code for n in sorted(dataset.nations, key=key, reverse=descending)]
    for limit in (1, 4, 7):
        assert [i["code"] for i in await walk(client, limit, sort=sort)] == expected


async def test_cursor_walk_keeps_the_filters(client: httpx.AsyncClient, dataset: Dataset) -> None:
    walked = await walk(client, 3, role="naval", include_coalition="true", sort="-region")
    key, _ = SORT_KEYS["region"]
    assert [i["code"] for i in walked] == [
        n.code for n in sorted(inheriting(dataset, Role.naval), key=key, reverse=True)
    ]
    assert all(i["inherited"] for i in walked)


async def test_offset_paging(client: httpx.AsyncClient, dataset: Dataset) -> None:
    expected = by_name(dataset.nations)
    response = await client.get("/nations", params={"limit": 5, "offset": 5})
    assert response.status_code == 200
    body = response.json()
    assert [i["code"] for i in body["items"]] == expected[5:10]
    assert (body["total"], body["limit"], body["offset"]) == (len(expected), 5, 5)
    beyond = await client.get("/nations", params={"offset": len(expected) + 10})
    assert beyond.status_code == 200
    assert beyond.json()["items"] == []
    assert beyond.json()["total"] == len(expected)
    assert beyond.json()["next_cursor"] is None


async def test_link_header_points_at_the_next_page(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    expected = by_name(dataset.nations)
    first = await client.get("/nations", params={"limit": 3, "offset": 2, "eu": "true"})
    assert first.status_code == 200
    body = first.json()
    match = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["link"])
    assert match, first.headers["link"]
    assert match.group(1) == body["next"]
    assert "offset" not in httpx.URL(body["next"]).params
    assert httpx.URL(body["next"]).params["cursor"] == body["next_cursor"]
    second = await client.get(match.group(1))
    assert second.status_code == 200
    eu = [c for c in expected if next(n for n in dataset.nations if n.code == c).eu]
    assert [i["code"] for i in body["items"]] == eu[2:5]
    assert [i["code"] for i in second.json()["items"]] == eu[5:8]


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_csv_holds_the_same_page_as_json(client: httpx.AsyncClient, how: str) -> None:
    params: dict[str, str | int] = {
        "membership": "member",
        "sort": "-code",
        "limit": 6,
        "offset": 1,
    }
    as_json = await client.get("/nations", params=params)
    assert as_json.status_code == 200
    if how == "format":
        response = await client.get("/nations", params={**params, "format": "csv"})
    else:
        response = await client.get("/nations", params=params, headers={"Accept": "text/csv"})
    rows = csv_rows(response)
    page = as_json.json()
    assert [r["code"] for r in rows] == [i["code"] for i in page["items"]]
    assert [r["name"] for r in rows] == [i["name"] for i in page["items"]]
    assert response.headers["x-total-count"] == str(page["total"])
    link = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["link"])
    assert link is not None, response.headers["link"]
    next_url = httpx.URL(link[1])
    assert next_url.params["cursor"] == page["next_cursor"]
    assert next_url.params.get("format") == ("csv" if how == "format" else None)


async def test_json_is_the_default_and_wins_over_csv_when_listed_first(
    client: httpx.AsyncClient,
) -> None:
    for accept in ("application/json", "*/*", "application/json, text/csv"):
        response = await client.get("/nations", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["items"]


async def test_csv_of_an_empty_page_has_only_the_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/nations", params={"role": "naval", "format": "csv"})
    assert csv_rows(response) == []
    header = response.text.splitlines()[0].split(",")
    assert "code" in header
    assert response.headers["x-total-count"] == "0"


# --- the nation record -----------------------------------------------------------------------


def spellings(nation: NationRef) -> list[str]:
    return [nation.code, nation.code.lower(), nation.alpha3, nation.alpha3.lower(),
            nation.alpha3.capitalize()]  # fmt: skip


async def test_nation_record_by_alpha2_or_alpha3_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for nation in dataset.nations:
        bodies = []
        for code in spellings(nation):
            response = await client.get(f"/nations/{code}")
            assert response.status_code == 200, (code, response.text)
            assert response.headers["content-type"] == "application/json"
            bodies.append(response.json())
        assert all(b == bodies[0] for b in bodies)
        assert (bodies[0]["code"], bodies[0]["alpha3"]) == (nation.code, nation.alpha3)


async def test_nation_records_match_the_fact_files(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for nation in dataset.nations:
        await check_record(client, dataset, nation)


async def check_record(client: httpx.AsyncClient, dataset: Dataset, nation: NationRef) -> None:
    response = await client.get(f"/nations/{nation.code}")
    assert response.status_code == 200
    record = response.json()
    assert (record["name"], record["official_name"], record["region"]) == (
        nation.name,
        nation.official_name,
        nation.region,
    )
    assert (record["nato"], record["eu"]) == (nation.nato, nation.eu)

    fact = next(m for m in dataset.memberships if m.nation == nation.code)
    assert record["membership"]["id"] == fact.id
    assert record["membership"]["status"] == fact.status
    assert [e["quote"] for e in record["membership"]["evidence"]] == [
        e.quote for e in fact.evidence
    ]

    own = sorted((c for c in dataset.commitments if c.nation == nation.code), key=lambda c: c.id)
    assert [c["id"] for c in record["commitments"]] == [c.id for c in own]
    for got, want in zip(record["commitments"], own, strict=True):
        assert (got["role"], got["status"], got["nation"]) == (want.role, want.status, nation.code)
        assert got["evidence"], got["id"]
        assert all(isinstance(e["quote"], str) and e["quote"].strip() for e in got["evidence"])
        assert [e["quote"] for e in got["evidence"]] == [e.quote for e in want.evidence]

    expected_coalition = (
        coalition_wide(dataset, set(Role), set(Status)) if fact.status == "member" else []
    )
    assert [c["id"] for c in record["coalition_commitments"]] == expected_coalition

    own_ids = {c.id for c in own}
    conditions = sorted(
        c.id for c in dataset.conditions if c.nation == nation.code or own_ids & set(c.gates)
    )
    assert [c["id"] for c in record["conditions"]] == conditions

    statements = sorted(s.id for s in dataset.statements if s.speaker_nation == nation.code)
    assert [s["id"] for s in record["statements"]] == statements


async def test_every_commitment_in_a_nation_record_carries_role_status_and_quotes(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    seen = 0
    for nation in dataset.nations:
        response = await client.get(f"/nations/{nation.alpha3.lower()}")
        assert response.status_code == 200
        for commitment in response.json()["commitments"]:
            seen += 1
            assert commitment["role"] in set(Role)
            assert commitment["status"] in set(Status)
            assert commitment["evidence"]
            for evidence in commitment["evidence"]:
                assert evidence["quote"].strip()
    assert seen == sum(1 for c in dataset.commitments if c.nation)


@pytest.mark.parametrize("code", ["ZZ", "zz", "ZZZ", "xkx"])
async def test_unknown_nation_is_404_problem(client: httpx.AsyncClient, code: str) -> None:
    body = problem(await client.get(f"/nations/{code}"), 404)
    assert body["type"] == "/problems/not-found"
    assert body["title"]
    assert code in body["detail"]


@pytest.mark.parametrize("code", ["DE", "FR", "GB", "JP", "UA"])
async def test_a_nation_page_embeds_its_disputes_with_counts_and_a_link_to_each(
    client: httpx.AsyncClient, code: str
) -> None:
    page = (await client.get(f"/nations/{code}")).json()
    assert page["disputes"], f"{code} has disputes in the seed"
    for embedded in page["disputes"]:
        whole = (await client.get(embedded["dispute"])).json()
        assert code in whole["nations"]
        assert embedded["claims_total"] == len(whole["claims"])
        naming = [c for c in whole["claims"] if code in c["nations"]]
        assert naming, "a claim of the dispute names the nation"
        assert embedded["claims_naming_total"] == len(naming)
        assert embedded["differences_total"] == len(whole["differences"])
        # The seed's disputes have fewer claims than a page: every one, in the dispute's order.
        assert embedded["claims"] == whole["claims"]
        # Differences only where the dispute is about this nation alone (the leadership
        # dispute's name every source); the rest is the dispute as it is.
        alone = whole["nations"] == [code]
        assert embedded["differences"] == (whole["differences"] if alone else [])
        rest = {"claims", "differences"}
        assert {k: v for k, v in embedded.items() if k in whole and k not in rest} == {
            k: v for k, v in whole.items() if k not in rest
        }


async def test_each_claim_of_a_dispute_names_the_nations_of_its_facts(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    named = {c.id: c.nation for c in dataset.commitments if c.nation}
    named |= {m.id: m.nation for m in dataset.memberships}
    named |= {s.id: s.speaker_nation for s in dataset.statements if s.speaker_nation}
    disputes = (await client.get("/disputes", params={"limit": 100})).json()["items"]
    for dispute in disputes:
        for claim in dispute["claims"]:
            expected = sorted({named[f] for f in claim["facts"] if f in named})
            assert claim["nations"] == expected, (dispute["id"], claim["source"])
    participation = next(d for d in disputes if d["rule"] == "participation")
    # Members left unnamed name no nation: the claim does not say which.
    assert any(c["nations"] == [] for c in participation["claims"])


async def test_a_members_page_counts_the_coalitions_commitments_and_links_to_them_all(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/nations/IT")).json()
    listed = await walk_link(client, page["coalition_commitments_all"], 100)
    assert page["coalition_commitments_total"] == len(listed)
    # The seed holds fewer than a page: every one is embedded, in the link's order.
    assert [c["id"] for c in page["coalition_commitments"]] == [c["id"] for c in listed]
    non_member = next(
        n
        for n in (await client.get("/nations", params={"limit": 500})).json()["items"]
        if n["membership"] != "member"
    )
    other = (await client.get(f"/nations/{non_member['code']}")).json()
    assert other["coalition_commitments"] == [] and other["coalition_commitments_all"] is None


@pytest.mark.parametrize("name", ["commitments", "conditions", "statements"])
async def test_a_nations_page_counts_its_own_facts_and_links_to_them_all(
    client: httpx.AsyncClient, name: str
) -> None:
    """Each list a nation's page embeds is its first page (the seed's nations have fewer than a
    page of each): the same items as the list its link gives, with their number."""
    codes = [
        n["code"] for n in (await client.get("/nations", params={"limit": 500})).json()["items"]
    ]
    seen_some = False
    for code in codes:
        page = (await client.get(f"/nations/{code}")).json()
        if not page[f"{name}_total"]:
            assert page[name] == [] and page[f"{name}_all"] is None, code
            continue
        seen_some = True
        listed = await walk_link(client, page[f"{name}_all"], 100)
        assert page[f"{name}_total"] == len(listed), code
        assert page[name] == listed[: len(page[name])] == listed, code
    assert seen_some, f"no nation has {name}: the test shows nothing"
