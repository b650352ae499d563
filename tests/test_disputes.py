"""GET /disputes and /disputes/{id}: where the sources disagree, each side with its evidence.

Expected values are derived from the fact files (the ``dataset`` fixture) where they can be; the
tests on edited copies of the facts show that disputes come from the data, not from a list."""

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.errors import QueryTimeout
from app.facts.files import Dataset, load_dataset
from app.facts.reference import read_reference
from app.main import create_app
from app.reads.disputes import finding
from app.reads.disputes.finding import disputes_for_nation
from app.reads.per_revision import forget_all
from app.schemas.bodies import FactIn
from app.schemas.commitments import CommitmentIn
from app.schemas.common import EMBEDDED_LIMIT
from app.schemas.disputes import DisputeKind, DisputeRule
from app.store import migrations
from app.store.engine import make_engine
from app.store.models import Fact
from app.store.revisions import make_sessionmaker
from app.vocab import ActorKind, Role
from tests.curation import Curation, client_for, commitment_body, evidence_as_sent
from tests.helpers import problem, walk_pages
from tests.test_writes import NEW_SOURCE

# The groups of the reference, as the application reads them once.
GROUPS = read_reference(PROJECT_ROOT / "data").groups

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

# The disputes the rules find in the seed: the two articles disagree on who leads the
# coalition, on Germany, Italy and the United States, on which Asia-Pacific nations take part,
# and on Zelenskyy's words.
# Each with the rule that found it and how its claims stand: none of them contradicts — article B
# names a co-leader, details Germany's and Italy's roles and the US's, and names Asia-Pacific
# members article A leaves unnamed.
SEED_DISPUTES = {
    "leadership": (DisputeRule.leadership, DisputeKind.refinement),
    "nation-de-stance": (DisputeRule.stance, DisputeKind.refinement),
    "nation-it-role": (DisputeRule.role, DisputeKind.refinement),
    "nation-us-role-set": (DisputeRule.role_set, DisputeKind.refinement),
    "participation-asia-pacific": (DisputeRule.participation, DisputeKind.refinement),
    "statement-zelenskyy-reaction-to-pledge": (DisputeRule.wording, DisputeKind.wording),
}


@pytest.fixture(scope="module")
def app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url))
    yield app
    app.state.engine.dispose()


# --- helpers ---------------------------------------------------------------------------------


async def listed(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/disputes", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def sources_of(fact: FactIn) -> set[str]:
    return {e.source for e in fact.evidence}


def by_source(facts: Iterable[FactIn]) -> dict[str, list[str]]:
    """Fact ids per source that quotes them: what each side of a dispute should hold."""
    found: dict[str, list[str]] = {}
    for fact in facts:
        for source in sources_of(fact):
            found.setdefault(source, []).append(fact.id)
    return {s: sorted(ids) for s, ids in sorted(found.items())}


def claimed(dispute: dict[str, Any]) -> dict[str, list[str]]:
    return {c["source"]: sorted(c["facts"]) for c in dispute["claims"]}


def nation_commitments(dataset: Dataset, code: str) -> list[CommitmentIn]:
    return [
        c
        for c in dataset.commitments
        if c.actor is ActorKind.nation and c.nation == code and c.role is not Role.leadership
    ]


@asynccontextmanager
async def serve(url: str, *datasets: Dataset) -> AsyncIterator[httpx.AsyncClient]:
    """An API over a fresh database seeded from each dataset in turn."""
    migrations.upgrade(url)
    engine = make_engine(url)
    for data in datasets:
        with make_sessionmaker(engine)() as session:
            seed(session, data)
    engine.dispose()
    app = create_app(Settings(database_url=url))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        app.state.engine.dispose()


def edit(path: Path, item_id: str, old: str | None, new: str = "", prefix: str = "- id: ") -> None:
    """In the YAML list ``path``, replace ``old`` by ``new`` in item ``item_id``; drop the item
    when ``old`` is None. Text-level, so the rest of the file stays byte for byte."""
    blocks = re.split(rf"(?m)^(?={re.escape(prefix)})", path.read_text(encoding="utf-8"))
    at = [i for i, block in enumerate(blocks) if block.startswith(f"{prefix}{item_id}\n")]
    assert len(at) == 1, item_id
    if old is None:
        del blocks[at[0]]
    else:
        assert old in blocks[at[0]], (item_id, old)
        blocks[at[0]] = blocks[at[0]].replace(old, new, 1)
    path.write_text("".join(blocks), encoding="utf-8")


# --- the seed's disputes ---------------------------------------------------------------------


async def test_finds_the_seed_disputes(client: httpx.AsyncClient) -> None:
    items = await listed(client)
    assert {d["id"]: (d["rule"], d["kind"]) for d in items} == SEED_DISPUTES
    assert [d["id"] for d in items] == sorted(SEED_DISPUTES)


async def test_leadership_sides_come_from_the_leadership_facts(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    leaders = [c for c in dataset.commitments if c.role is Role.leadership]
    body = (await client.get("/disputes/leadership")).json()
    assert body["nations"] == sorted({c.nation for c in leaders if c.nation})
    assert claimed(body) == by_source(leaders)
    leading = {
        source: {c.nation for c in leaders if c.id in ids}
        for source, ids in by_source(leaders).items()
    }
    assert leading == {"article-a": {"FR"}, "article-b": {"FR", "GB"}}


@pytest.mark.parametrize(
    ("code", "dispute_id"),
    [("DE", "nation-de-stance"), ("IT", "nation-it-role"), ("US", "nation-us-role-set")],
)
async def test_nation_sides_are_the_nations_commitments_per_source(
    client: httpx.AsyncClient, dataset: Dataset, code: str, dispute_id: str
) -> None:
    body = (await client.get(f"/disputes/{dispute_id}")).json()
    assert body["nations"] == [code]
    assert claimed(body) == by_source(nation_commitments(dataset, code))
    assert body["differences"]


async def test_germany_is_reluctant_in_one_source_and_pledges_in_the_other(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    body = (await client.get("/disputes/nation-de-stance")).json()
    facts = {c.id: c for c in nation_commitments(dataset, "DE")}
    statuses = {c["source"]: {facts[f].status.value for f in c["facts"]} for c in body["claims"]}
    assert statuses == {"article-a": {"hesitant"}, "article-b": {"pledged"}}


async def test_asia_pacific_players_unnamed_in_one_source_named_in_the_other(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    group = dataset.groups["asia-pacific"]
    unnamed = [c for c in dataset.commitments if c.group == group.id]
    unnamed_in = set().union(*map(sources_of, unnamed))
    named = [
        m
        for m in dataset.memberships
        if m.nation in group.members and not sources_of(m) & unnamed_in
    ]
    body = (await client.get(f"/disputes/participation-{group.id}")).json()
    assert body["nations"] == sorted(m.nation for m in named) == ["AU", "JP"]
    assert claimed(body) == {**by_source(unnamed), **by_source(named)}


async def test_zelenskyy_is_quoted_in_different_words(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    topical = [s for s in dataset.statements if s.topic == "reaction-to-pledge"]
    body = (await client.get("/disputes/statement-zelenskyy-reaction-to-pledge")).json()
    assert body["nations"] == sorted({s.speaker_nation for s in topical if s.speaker_nation})
    assert claimed(body) == by_source(topical)
    texts = {s.text for s in topical}
    assert len(texts) == 2
    assert all(any(t in c["claim"] for t in texts) for c in body["claims"])


async def test_every_claim_is_one_source_with_its_own_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    texts = {s.spec.id: s.text for s in dataset.sources}
    facts = {f.id: f for f in dataset.facts()}
    published = {s.spec.id: s.spec.published for s in dataset.sources}
    for dispute in await listed(client):
        claims = dispute["claims"]
        assert len(claims) >= 2, dispute["id"]
        assert len({c["source"] for c in claims}) == len(claims), dispute["id"]
        assert dispute["subject"] and dispute["differences"]
        # Neither seed article gives its date, so neither can be said to change the other.
        assert dispute["later_source_changes_earlier"] is None
        for c in claims:
            assert c["claim"] and c["facts"] and c["evidence"], (dispute["id"], c["source"])
            assert c["source_published"] == published[c["source"]]
            for fact_id in c["facts"]:
                assert c["source"] in sources_of(facts[fact_id]), (dispute["id"], fact_id)
            for e in c["evidence"]:
                assert e["source"] == c["source"]
                assert e["quote"].strip()
                assert texts[e["source"]][e["start"] : e["end"]] == e["quote"]
                assert e["id"].split("/")[0] in c["facts"]


EMBEDDING = {"claims_total", "claims_naming_total", "differences_total", "dispute"}


def unembedded(dispute: dict[str, Any]) -> dict[str, Any]:
    """A dispute as a list embeds it, without the embedding's fields."""
    return {k: v for k, v in dispute.items() if k not in EMBEDDING}


async def test_each_dispute_by_id_is_the_listed_one(client: httpx.AsyncClient) -> None:
    """The list embeds a page of each dispute (nothing of the seed's is cut), with how many
    claims and differences it has and its link; the link gives it whole."""
    for dispute in await listed(client):
        response = await client.get(dispute["dispute"])
        assert response.status_code == 200
        whole = response.json()
        assert dispute["claims_total"] == len(whole["claims"]) <= EMBEDDED_LIMIT
        assert dispute["differences_total"] == len(whole["differences"]) <= EMBEDDED_LIMIT
        assert dispute["claims_naming_total"] is None
        assert dispute["dispute"].endswith(f"/disputes/{whole['id']}")
        assert {k: v for k, v in dispute.items() if k not in EMBEDDING} == whole


# --- filters and errors ----------------------------------------------------------------------


async def test_nation_filter_takes_alpha2_or_alpha3_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset, engine: Engine
) -> None:
    every = [unembedded(d) for d in await listed(client)]
    for nation in dataset.nations:
        want = [d for d in every if nation.code in d["nations"]]
        for code in (nation.code, nation.code.lower(), nation.alpha3, nation.alpha3.lower()):
            found = await listed(client, nation=code)
            assert [unembedded(d) for d in found] == want, code
            for d in found:
                naming = [nation.code in c["nations"] for c in d["claims"]]
                assert d["claims_naming_total"] == sum(naming) > 0, d["id"]
        with Session(engine) as session:
            got = disputes_for_nation(session, GROUPS, nation.code)
        assert [unembedded(d.model_dump(mode="json")) for d in got] == want
    assert [d["id"] for d in await listed(client, nation="deu")] == ["nation-de-stance"]
    assert [d["id"] for d in await listed(client, nation="GB")] == ["leadership"]
    body = problem(await client.get("/disputes", params={"nation": "XYZ"}), 422)
    assert "XYZ" in body["detail"]


@pytest.mark.parametrize("rule", list(DisputeRule))
async def test_rule_filter(client: httpx.AsyncClient, rule: DisputeRule) -> None:
    got = [d["id"] for d in await listed(client, rule=rule.value)]
    assert got == sorted(i for i, (r, _) in SEED_DISPUTES.items() if r is rule)


@pytest.mark.parametrize("kind", list(DisputeKind))
async def test_kind_filter(client: httpx.AsyncClient, kind: DisputeKind) -> None:
    got = [d["id"] for d in await listed(client, kind=kind.value)]
    assert got == sorted(i for i, (_, k) in SEED_DISPUTES.items() if k is kind)


async def test_limit_and_offset(client: httpx.AsyncClient) -> None:
    every = [d["id"] for d in await listed(client)]
    response = await client.get("/disputes", params={"limit": 2, "offset": 1})
    body = response.json()
    assert [d["id"] for d in body["items"]] == every[1:3]
    assert (body["total"], body["limit"], body["offset"]) == (len(every), 2, 1)
    assert "cursor=" in body["next"]
    last = (await client.get("/disputes", params={"offset": len(every) - 1})).json()
    assert [d["id"] for d in last["items"]] == every[-1:] and last["next"] is None


async def test_the_list_pages_by_cursor_like_every_list(client: httpx.AsyncClient) -> None:
    every = [d["id"] for d in await listed(client)]
    walked = await walk_pages(client, "/disputes", 2)
    assert [d["id"] for d in walked] == every
    problem(await client.get("/disputes", params={"cursor": "bm90IGEgY3Vyc29y"}), 422)


async def test_unknown_dispute_is_404_problem(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/disputes/nation-xx-stance"), 404)
    assert body["type"] == "/problems/not-found"
    assert "nation-xx-stance" in body["detail"]


@pytest.mark.parametrize("params", [{"nations": "DE"}, {"kind": "rumour"}])
async def test_unknown_parameter_or_kind_is_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    problem(await client.get("/disputes", params=params), 422)


async def test_found_in_a_fixed_number_of_statements(engine: Engine) -> None:
    count = 0

    def counter(*_: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        with Session(engine) as session:
            disputes_for_nation(session, GROUPS, "DE")
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    # The nation's own facts (8 statements), and the holders of exclusive roles (commitments +
    # evidence, sources, names), found once for every nation's page.
    assert 0 < count <= 8 + 4


# --- disputes come from the data -------------------------------------------------------------


async def test_removing_one_side_removes_the_dispute(
    client: httpx.AsyncClient, dataset: Dataset, data_copy: Path, scratch_url: str
) -> None:
    before = {d["id"] for d in await listed(client)}
    # Article B's words for Zelenskyy, and its naming of the United Kingdom as co-leader.
    removed = ["zelenskyy-serious-concrete-step", "gb-leadership-pledged-b"]
    edit(data_copy / "facts" / "statements.yaml", removed[0], None)
    edit(data_copy / "facts" / "commitments.yaml", removed[1], None)
    # Seeded over the full data, as a redeploy would: the removed facts stay, retracted.
    async with serve(scratch_url, dataset, load_dataset(data_copy)) as edited:
        after = {d["id"] for d in await listed(edited)}
        assert after == before - {"statement-zelenskyy-reaction-to-pledge", "leadership"}
        problem(await edited.get("/disputes/leadership"), 404)
        engine = make_engine(scratch_url)
        with Session(engine) as session:
            retracted = session.scalars(
                select(Fact.id).where(Fact.id.in_(removed), Fact.retracted_at.is_not(None))
            ).all()
        engine.dispose()
        assert sorted(retracted) == sorted(removed)


async def test_dates_order_the_claims_and_new_disagreements_are_found(
    client: httpx.AsyncClient, data_copy: Path, scratch_url: str
) -> None:
    before = {d["id"] for d in await listed(client)}
    sources = data_copy / "sources.yaml"
    edit(sources, "article-a", "published: null", "published: 2025-09-05", prefix="  - id: ")
    edit(sources, "article-b", "published: null", "published: 2025-09-04", prefix="  - id: ")
    # Article B now puts the coalition's troops outside Ukraine; article A puts them inside.
    edit(
        data_copy / "facts" / "commitments.yaml",
        "coalition-troops-b",
        "location: unspecified",
        "location: outside_ukraine",
    )
    async with serve(scratch_url, load_dataset(data_copy)) as edited:
        items = await listed(edited)
        assert {d["id"] for d in items} == before | {"coalition-troops"}
        for dispute in items:
            assert dispute["later_source_changes_earlier"] is True, dispute["id"]
            assert [c["source"] for c in dispute["claims"]] == ["article-b", "article-a"]
            assert [c["source_published"] for c in dispute["claims"]] == [
                "2025-09-04",
                "2025-09-05",
            ]
        troops = (await edited.get("/disputes/coalition-troops")).json()
        assert troops["rule"] == "role"
        assert troops["kind"] == "contradiction"  # inside Ukraine against outside
        assert claimed(troops) == {
            "article-a": ["coalition-troops"],
            "article-b": ["coalition-troops-b"],
        }


# --- kept while what they read is unchanged --------------------------------------------------


async def nation_disputes_now(curation: Curation, code: str) -> list[dict[str, Any]]:
    """`/disputes?nation=` (one nation's, kept per nation) and the same taken from the whole
    list, found afresh after it: they must agree after every write."""
    own = await walk_pages(curation.client, "/disputes", 100, nation=code)
    whole = await walk_pages(curation.client, "/disputes", 100)
    assert [unembedded(d) for d in own] == [unembedded(d) for d in whole if code in d["nations"]], (
        code
    )
    return own


async def correct(curation: Curation, fact_id: str, **fields: Any) -> None:
    location = f"/commitments/{fact_id}"
    etag = (await curation.get(location)).headers["etag"]
    response = await curation.patch(location, {**fields, "reason": "A test."}, etag)
    assert response.status_code == 200, response.text


@asynccontextmanager
async def a_fresh_process(curation: Curation) -> AsyncIterator[httpx.AsyncClient]:
    """A client of another app on the same database, which has kept nothing yet."""
    fresh = create_app(Settings(database_url=curation.url, response_cache_entries=0))
    try:
        transport = httpx.ASGITransport(app=fresh)
        base = str(curation.client.base_url)
        async with httpx.AsyncClient(transport=transport, base_url=base) as other:
            yield other
    finally:
        fresh.state.engine.dispose()


async def agrees_with_a_fresh_process(curation: Curation) -> list[dict[str, Any]]:
    """The whole list, as kept (and carried past writes), and the same as another process
    finds afresh."""
    kept = await walk_pages(curation.client, "/disputes", 100)
    async with a_fresh_process(curation) as other:
        assert await walk_pages(other, "/disputes", 100) == kept
    return kept


async def test_after_a_write_the_whole_list_reads_again_only_the_part_it_touched(
    curation: Curation,
) -> None:
    """The whole list is kept in parts (app.reads.disputes.finding): after each write it is the
    list another process finds afresh, and a write about one nation reads that nation's
    commitments again, not every fact."""
    engine = curation.app.state.engine
    loads: list[tuple[str, Any]] = []

    def log(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT commitments.id, commitments.actor"):
            loads.append((statement, parameters))  # the rules' load of commitments
        if "sum(facts.version)" in statement:
            loads.append((statement, "stamps"))  # the audit entries since tell it: no stamps

    async def whole_list_agrees() -> list[dict[str, Any]]:
        return await agrees_with_a_fresh_process(curation)

    before = await whole_list_agrees()
    event.listen(engine, "before_cursor_execute", log)
    try:
        # A summary is not what the rules read: nothing is found again.
        await correct(curation, "de-troops-hesitant", summary="Germany hesitates.")
        loads.clear()
        assert await whole_list_agrees() == before
        assert loads == []
        await correct(curation, "de-troops-hesitant", status="ruled_out")
        loads.clear()
        after = await whole_list_agrees()
        [(_, parameters)] = loads  # one load of commitments: Germany's own
        assert "DE" in str(parameters) and "FR" not in str(parameters)
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert after != before
    # A role of the coalition's force moved to another role, a statement's topic, a
    # membership retracted, a new source: the list agrees after each.
    await correct(curation, "coalition-air", role="naval")
    await whole_list_agrees()
    location = "/statements/zelenskyy-serious-very-specific-substance"
    etag = (await curation.get(location)).headers["etag"]
    body = {"topic": "substance", "reason": "A test."}
    assert (await curation.patch(location, body, etag)).status_code == 200
    assert "statement-zelenskyy-reaction-to-pledge" not in {
        d["id"] for d in await whole_list_agrees()
    }
    location = "/memberships/membership-au"
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "A test.", etag)).status_code == 200
    await whole_list_agrees()
    # A new source: what every part tells (sources, names) may have changed, all are found again.
    text = "Italy will send ground troops to Ukraine once a ceasefire holds, Rome said."
    await curation.create("/sources", {"title": "Italy changes course", "text": text}, who="root")
    await whole_list_agrees()


async def test_a_nations_disputes_are_kept_until_a_write_changes_what_they_read(
    curation: Curation,
) -> None:
    engine = curation.app.state.engine
    loads: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT commitments.id, commitments.actor"):
            loads.append(statement)  # the rules' load of commitments (app.reads.disputes)
        if "sum(facts.version)" in statement:
            loads.append(statement)  # a stamp: the audit entries since tell it, not a stamp

    before = {code: await nation_disputes_now(curation, code) for code in ("DE", "FR", "GB")}
    force = await curation.get("/commitments", actor="coalition", coalition_scope="whole")
    event.listen(engine, "before_cursor_execute", log)
    try:
        # The coalition's force as a whole is in no nation's disputes: nothing is read again.
        await correct(curation, force.json()["items"][0]["id"], summary="A new summary.")
        for code in ("DE", "FR"):
            loads.clear()
            assert (await curation.get("/disputes", nation=code)).json()["items"] == before[code]
            assert loads == [], code
    finally:
        event.remove(engine, "before_cursor_execute", log)

    # Germany's own commitment: Germany's disputes change, France's stay.
    await correct(curation, "de-troops-hesitant", status="ruled_out")
    germany = await nation_disputes_now(curation, "DE")
    assert germany != before["DE"]
    assert await nation_disputes_now(curation, "FR") == before["FR"]
    # Article B no longer names the United Kingdom as co-leader: no dispute over who leads.
    location = "/commitments/gb-leadership-pledged-b"
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "A test.", etag)).status_code == 200
    for code in ("FR", "GB"):
        assert "leadership" not in {d["id"] for d in await nation_disputes_now(curation, code)}
    assert await nation_disputes_now(curation, "DE") == germany


async def disputes_asked_together(
    database_url: str, monkeypatch: pytest.MonkeyPatch, first_fails: bool = False
) -> tuple[list[httpx.Response], list[int]]:
    """Four requests for the whole list at once, on a fresh app whose finding takes long enough
    for all of them to come meanwhile (and, with ``first_fails``, fails the first time): the
    answers, and the threads that found the list."""
    app = create_app(Settings(database_url=database_url, response_cache_entries=0))
    found_by: list[int] = []
    assemble = finding._assemble

    def slow(session: Session, groups: Any) -> Any:
        found_by.append(threading.get_ident())
        time.sleep(0.3)
        if first_fails and len(found_by) == 1:
            raise QueryTimeout("The first request ran out of time.")
        return assemble(session, groups)

    monkeypatch.setattr(finding, "_assemble", slow)
    forget_all()
    try:
        async with client_for(app) as client:
            answers = await asyncio.gather(*(client.get("/disputes") for _ in range(4)))
    finally:
        app.state.engine.dispose()
    return list(answers), found_by


async def test_requests_that_come_together_find_the_disputes_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Single flight (app.reads.per_revision): while one request finds the whole list (seconds
    at 1,000x the seed), the others wait for it instead of finding it alongside."""
    answers, found_by = await disputes_asked_together(database_url, monkeypatch)
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert len(found_by) == 1


async def test_when_the_request_finding_the_disputes_fails_one_that_waited_finds_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers, found_by = await disputes_asked_together(database_url, monkeypatch, True)
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 503]
    assert len(found_by) == 2  # the failed one, then one for the three that waited


async def test_the_sources_and_names_claims_tell_are_read_again_only_after_such_a_write(
    curation: Curation,
) -> None:
    """The sources' titles and dates and the nations' names, told in every claim, are kept past
    writes to facts (at 1,000x the seed, 2,000 sources read for each nation's disputes found
    again), and read again after a write to the sources."""
    engine = curation.app.state.engine
    reads: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "sources.published" in statement and "FROM sources" in statement:
            reads.append(statement)

    await nation_disputes_now(curation, "DE")
    event.listen(engine, "before_cursor_execute", log)
    try:
        await correct(curation, "de-troops-hesitant", status="ruled_out")
        reads.clear()
        await nation_disputes_now(curation, "DE")
        assert reads == []
        await curation.create("/sources", NEW_SOURCE, who="root")
        reads.clear()
        await nation_disputes_now(curation, "DE")
        assert len(reads) == 1
    finally:
        event.remove(engine, "before_cursor_execute", log)


async def test_a_role_of_the_coalitions_force_reads_again_only_its_written_facts(
    curation: Curation,
) -> None:
    """A role of the coalition's force as a whole is found again after a write to one of its
    commitments in what it was found in, with only the written facts read again (at 1,000x the
    seed a role holds 2,000): the list another process finds afresh, after a change of status,
    of place, a creation, a retraction and a move to another role."""
    engine = curation.app.state.engine
    loads: list[Any] = []

    def log(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT commitments.id, commitments.actor"):
            loads.append(parameters)  # the rules' load of commitments

    async def written(fact_id: str) -> None:
        """The list agrees, and the role the write touched read that fact alone (the fresh
        process's loads are its own engine's: not seen here)."""
        loads.clear()
        await agrees_with_a_fresh_process(curation)
        assert loads and all(fact_id in str(p) for p in loads), loads

    air = (await curation.get("/commitments/coalition-air")).json()
    await agrees_with_a_fresh_process(curation)
    event.listen(engine, "before_cursor_execute", log)
    try:
        await correct(curation, "coalition-air", status="considering")
        await written("coalition-air")
        await correct(curation, "coalition-air", location="outside_ukraine")
        await written("coalition-air")
        evidence = [evidence_as_sent(e) for e in air["evidence"]]
        body = commitment_body(actor="coalition", role="air", evidence=evidence)
        body.pop("nation")
        body["coalition_scope"] = "whole"
        created = await curation.create("/commitments", body)
        location = created.headers["location"]
        await written(location.rsplit("/", 1)[1])
        etag = (await curation.get(location)).headers["etag"]
        assert (await curation.retract(location, "A test.", etag)).status_code == 200
        await written(location.rsplit("/", 1)[1])
        await correct(curation, "coalition-air", role="naval")  # out of one role, into another
        await written("coalition-air")
    finally:
        event.remove(engine, "before_cursor_execute", log)


async def test_a_nations_disputes_after_a_write_are_the_whole_list_carried_when_it_is_kept(
    curation: Curation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the whole list has been found, a nation's disputes after a write that touches few of
    its parts (a nation's commitment created: that nation's part) are the whole list carried
    past the write, not found again in the nation's facts (at 1,000x the seed: about 5 ms
    against 34); the same as another process finds in the nation's facts, on `/disputes` and on
    the nation's page."""
    found_in_facts: list[str | None] = []
    real = finding._find_disputes

    def counted(session: Session, groups: Any, nation: str | None = None) -> Any:
        found_in_facts.append(nation)
        return real(session, groups, nation)

    monkeypatch.setattr(finding, "_find_disputes", counted)
    await agrees_with_a_fresh_process(curation)  # the whole list, found and kept
    await curation.create("/commitments", commitment_body())  # Italy's
    found_in_facts.clear()
    urls = [("/disputes", {"nation": "IT", "limit": "100"}), ("/nations/IT", {})]
    kept = [(await curation.client.get(url, params=params)).json() for url, params in urls]
    assert found_in_facts == []
    assert kept[0]["items"], "Italy is in disputes of the seed"
    async with a_fresh_process(curation) as other:
        found = [(await other.get(url, params=params)).json() for url, params in urls]
    assert found_in_facts == ["IT"]  # the other process had no whole list: Italy's facts
    assert found == kept
