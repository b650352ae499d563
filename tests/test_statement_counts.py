"""Statements per request: every public GET endpoint issues a small, fixed number of SQL
statements, whatever the page size and however much data there is (no N+1 loads).

Statements are counted with a `before_cursor_execute` listener on the app's engine, attached
only while one request runs. It sees every statement SQLAlchemy sends, including the
read-only/time-limit guard that PostgreSQL gets at the start of each transaction (app.api.sessions);
SQLite's guard and pragmas go to the raw driver connection and are not seen, nor are commits
and rollbacks (driver calls, not statements). The bounds below are for the queries proper,
without the guard; the equality checks (page size, data growth) compare every statement.

The apps here run without the response cache (app.api.response_cache): a cached answer issues no
statement at all, and what is measured is what the endpoint itself costs on a miss."""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from app.config import Settings
from app.curation.past_states import STATE_TABLES
from app.facts.files import Dataset
from app.main import create_app
from app.reads.per_revision import forget_all
from tests.curation import (
    Curation,
    client_for,
    commitment_body,
    curation_over,
    plain_quotes,
    stated,
)

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

MAX_PAGE = Settings().max_page_size
# What app.api.sessions's transaction guard sends on PostgreSQL: not a query of the endpoint.
GUARD_SQL = re.compile(r"^(BEGIN|SET (TRANSACTION READ ONLY|LOCAL statement_timeout))")

# The most statements (without the guard) each endpoint may issue, and why. A list's "count"
# is fetch_page's total and "page" its rows; each `selectinload` is one more statement for the
# whole page (Evidence.outlet is joined into the evidence statement). A filter that names a
# row (nation, source, event, gates) looks it up once, to tell "no such thing" (422) from an
# empty result. A list reads the data revision first: its count is kept per revision
# (app.api.totals.counted_total; emptied before each measured request, so each pays its count).
# "disputes" is the data revision, the stamps of the whole list's parts, then, with every part to
# find (app.reads.disputes.finding), app.reads.disputes.load, 8 statements whatever the data:
# commitments, statements and memberships with the evidence of each, the sources, the nations'
# names (found once per revision, forgotten before each measured request like the counts).
# One nation's disputes (app.reads.disputes.finding.disputes_for_nation): the data revision for
# each kept value (the whole list's, the nation's, the exclusive roles'), the stamps of what the
# nation's and the exclusive roles' disputes read (app.reads.disputes.inputs), the nation's facts
# (speakers, commitments, statements and memberships with the evidence of each, sources,
# names), the holders of exclusive roles (commitments with their evidence, sources, names).
NATION_DISPUTES = 3 + 2 + 9 + 4
BOUNDS: dict[str, int] = {
    # revision, count, page, own and coalition commitments, the memberships' evidence; region:
    # regions; include_coalition: what members inherit (revision, counts, first of each role;
    # per revision) and what keeps them from it (own limits, their evidence)
    "/nations": 6 + 3 + 2,
    # the code or name, nation, revision; what it lists, kept per revision (app.api.nation_page:
    # the totals, the membership's id, the first ids of its three lists); the facts not kept
    # (membership + evidence, commitments + evidence + conditions, conditions + evidence +
    # gates, statements + evidence); members: the limits + their evidence, the coalition's
    # first commitments and their count; its disputes
    "/nations/{code}": 3 + 5 + 10 + 4 + NATION_DISPUTES,
    # Lists of facts: revision, count, page of ids, the facts not kept at this revision
    # (app.reads.fact_items) and what they link to
    "/memberships": 5 + 2,  # ..., evidence; nation, source
    "/memberships/{membership_id}": 2,  # the fact, its evidence
    "/commitments": 6 + 2,  # ..., evidence, conditions; nation, source
    "/commitments/{commitment_id}": 3,  # the fact, evidence, conditions
    "/conditions": 6 + 3,  # ..., evidence, gates; nation, gates, source
    "/conditions/{condition_id}": 3,  # the fact, evidence, gates
    "/statements": 5 + 3,  # ..., evidence; nation, event, source
    "/statements/{statement_id}": 2,  # the fact, its evidence
    "/events": 5,  # ..., evidence
    "/events/{event_id}": 2,  # the fact, its evidence
    # disputes (paged in Python); nation; with `nation`: the nation, one nation's disputes
    "/disputes": 1 + NATION_DISPUTES,
    "/disputes/{dispute_id}": 2 + 8,  # disputes
    "/sources": 5,  # revision, count, page, evidence per source, per source and outlet
    "/sources/{source_id}": 3,  # the source, the same two counts
    # revision; the tally (per revision, app.reads.tallies): commitments, memberships,
    # evidence, regions
    "/roles": 1 + 4,
    "/changes": 3,  # revision, count, page
    "/summary": 1 + 2 + 4,  # revision; the claimed count's event + its evidence; the tally
    # revision, the last audit entry (the package's `as_of` moment), the nations (for their names)
    "/datapackage.json": 3,
    "/datapackage/{table}.csv": 3,  # revision; the event + its evidence, six GROUP BY counts
    "/healthz": 0,
    "/problems": 0,  # the catalogue of error types is in the code
    "/problems/{name}": 0,
    # (SQLite: a PRAGMA that drops the page cache); alembic: is there a version table, its row;
    # the fact count
    "/readyz": 4,
}
# Routes whose rows the shared seeded database does not hold (proposals exist only after a
# curator runs the engine): tests/test_proposals_api.py measures them against these bounds.
ELSEWHERE: dict[str, int] = {
    "/sources/{source_id}/proposals": 4,  # revision, the source, count, page
    "/proposals/{proposal_id}": 1,  # the proposal
}
# Routes a request cannot be counted on: the change feed never ends (its polling is one
# revision read per process and interval, measured in tests/test_changes_stream.py).
STREAMED = {"/changes/stream"}
# Detail routes whose ids a list does not give: where to find them instead (the document, the
# key of its list, the field of each item, the URL of each).
IDS_FROM = {
    "/datapackage/{table}.csv": ("/datapackage.json", "resources", "name", "/datapackage/{}.csv")
}
# Detail routes take their ids from this field of the list's items (default: "id").
ID_FIELD = {"code": "code", "name": "name"}


@dataclass(frozen=True)
class Case:
    """One request to one endpoint."""

    route: str  # the OpenAPI path template
    url: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def variant(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The request without its page size: what must cost the same at any page size."""
        return self.url, tuple(p for p in self.params if p[0] != "limit")

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{self.url}?{query}" if query else self.url


@dataclass
class Count:
    statements: list[str] = field(default_factory=list)

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if not GUARD_SQL.match(s)]


@contextmanager
def counting(engine: Engine) -> Iterator[Count]:
    """The statements sent to ``engine`` inside the block."""
    count = Count()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        count.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", record)


def uncached_app(url: str) -> FastAPI:
    # Many writes from one address in the growth test: the rate limits have their own tests.
    return create_app(
        Settings(database_url=url, response_cache_entries=0, write_rate_per_minute=1_000_000)
    )


@pytest.fixture(scope="module")
def shared_app(database_url: str) -> Iterator[FastAPI]:
    """An app without the response cache over the shared seeded database (read only)."""
    app = uncached_app(database_url)
    yield app
    app.state.history.close()
    app.state.engine.dispose()


@pytest.fixture
async def shared(shared_app: FastAPI) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with client_for(shared_app) as client:
        yield shared_app, client


@pytest.fixture
async def private(seeded_url: str, dataset: Dataset) -> AsyncIterator[Curation]:
    """A private seeded database with keys, and an app without the response cache over it."""
    async with curation_over(uncached_app(seeded_url), seeded_url, dataset) as curation:
        yield curation


def get_routes(app: FastAPI) -> dict[str, set[str]]:
    """Every public GET path of the OpenAPI document, with the names of its query parameters."""
    return {
        path: {p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"}
        for path, ops in app.openapi()["paths"].items()
        if "get" in ops and path not in ELSEWHERE and path not in STREAMED
    }


async def get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def filters(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """For each list, filters that look rows up (the costliest requests), with values from the
    data that leave rows to show."""
    conditions = (await get_json(client, "/conditions", limit=MAX_PAGE))["items"]
    tied = next(c for c in conditions if c["nation"] and c["gates"])
    quotes = (await get_json(client, "/statements", limit=MAX_PAGE))["items"]
    quoted = next(q for q in quotes if q["event"] and q["speaker_nation"])
    return {
        "/nations": {"role": "training", "include_coalition": "true", "region": "Western Europe"},
        "/memberships": {"nation": "ita", "source": "article-a"},
        "/commitments": {"nation": "ITA", "source": "article-b"},
        "/conditions": {
            "nation": tied["nation"],
            "gates": tied["gates"][0]["id"],
            "source": tied["evidence"][0]["source"],
        },
        "/statements": {
            "nation": quoted["speaker_nation"],
            "event": quoted["event"],
            "source": quoted["evidence"][0]["source"],
        },
        "/disputes": {"nation": "DE"},
    }


async def make_cases(app: FastAPI, client: httpx.AsyncClient) -> list[Case]:
    """Requests covering every GET route: each list at page size 1 and the largest, as JSON and
    as CSV where it offers `format`, unfiltered and with the filters that look rows up; each
    detail route for every id its list gives."""
    routes = get_routes(app)
    filtered = await filters(client)
    cases: list[Case] = []
    for route, query in routes.items():
        if route in IDS_FROM:
            document, key, field_name, url = IDS_FROM[route]
            items = (await get_json(client, document))[key]
            cases += [Case(route, url.format(item[field_name])) for item in items]
        elif "{" in route:
            listing, param = route.rsplit("/", 1)
            key = ID_FIELD.get(param.strip("{}"), "id")
            paged = {"limit": MAX_PAGE} if "limit" in routes[listing] else {}  # not /problems
            items = (await get_json(client, listing, **paged))["items"]
            assert items, f"{listing} lists nothing to take ids for {route} from"
            cases += [Case(route, f"{listing}/{item[key]}") for item in items]
        elif "limit" in query:
            formats = [{}, {"format": "csv"}] if "format" in query else [{}]
            for params in ({}, filtered.get(route)):
                if params is None:
                    continue
                for fmt in formats:
                    for limit in (1, MAX_PAGE):
                        sent = {**params, **fmt, "limit": str(limit)}
                        cases.append(Case(route, route, tuple(sorted(sent.items()))))
        else:
            cases.append(Case(route, route))
    return cases


async def measure(app: FastAPI, client: httpx.AsyncClient, cases: list[Case]) -> dict[Case, Count]:
    # The pool's first connection runs the dialect's own start-up queries: not the endpoint's.
    assert (await client.get("/readyz")).status_code == 200
    counts = {}
    for case in cases:
        forget_all()  # each request counts its total and finds the disputes, as a first does
        with counting(app.state.engine) as count:
            response = await client.get(case.url, params=dict(case.params))
        assert response.status_code == 200, (str(case), response.text)
        counts[case] = count
    return counts


def over_bounds(counts: dict[Case, Count]) -> list[str]:
    return [
        f"{case}: {len(count.queries)} queries, more than {BOUNDS[case.route]}:\n  "
        + "\n  ".join(count.queries)
        for case, count in counts.items()
        if len(count.queries) > BOUNDS[case.route]
    ]


def by_page_size(counts: dict[Case, Count]) -> dict[str, dict[str, int]]:
    """For each list request, its statement count at each page size."""
    sizes: dict[str, dict[str, int]] = defaultdict(dict)
    for case, count in counts.items():
        limit = dict(case.params).get("limit")
        if limit is not None:
            sizes[str(Case(case.route, *case.variant))][limit] = len(count.statements)
    return sizes


async def test_every_get_endpoint_has_a_bound_and_cases(
    shared: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = shared
    routes = set(get_routes(app))
    assert set(BOUNDS) == routes, "a GET endpoint without a bound here, or a bound for none"
    assert {case.route for case in await make_cases(app, client)} == routes
    # CSV is measured where a route takes `format`: that must be where the document offers it.
    paths = app.openapi()["paths"]
    offers_csv = {
        route
        for route in routes
        if not route.endswith(".csv")  # CSV is all it answers
        and "text/csv" in paths[route]["get"]["responses"].get("200", {}).get("content", {})
    }
    assert offers_csv == {route for route, query in get_routes(app).items() if "format" in query}


async def test_statements_per_request_are_few_and_the_same_at_any_page_size(
    shared: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = shared
    cases = await make_cases(app, client)

    counts = await measure(app, client, cases)

    assert over_bounds(counts) == []
    sizes = by_page_size(counts)
    assert {request: s for request, s in sizes.items() if len(set(s.values())) > 1} == {}
    # Every list showed rows (a page of none skips its `selectinload`s), and the two page sizes
    # did differ: unfiltered, each list has more than one row.
    totals = {}
    for case in cases:
        if "limit" in dict(case.params):
            params = {k: v for k, v in case.params if k not in ("limit", "format")}
            page = await get_json(client, case.url, **params, limit=1)
            totals[str(Case(case.route, case.url, tuple(params.items())))] = page["total"]
    assert {query: n for query, n in totals.items() if n < (2 if "?" not in query else 1)} == {}


# --- more data -------------------------------------------------------------------------------

BERLIN = "Berlin, 6 September 2025. "
BERLIN_TEXT = (
    f"{BERLIN}The German government confirmed on Saturday that Germany will train Ukrainian "
    "soldiers at home.\n"
    "German officials said the navy will escort grain ships in the Black Sea once a ceasefire "
    "holds.\n"
    "Germany will also send engineers to clear mines from Ukrainian farmland.\n"
    "President Emmanuel Macron said: “Europe will stand with Ukraine on the first day of peace "
    "and on every day after it.”\n"
    "President Volodymyr Zelenskyy said in Kyiv: “This is the first concrete step towards "
    "security guarantees that hold.”\n"
    "Portugal confirmed that it has joined the coalition and will send a frigate.\n"
)
BERLIN_SOURCE = {
    "title": "Germany details its part in the coalition",
    "publisher": "Example Wire",
    "published": "2025-09-06",
    "url": "https://example.org/germany-coalition-part",
    "text": BERLIN_TEXT,
}


def berlin(line: int) -> str:
    """Line ``line`` (from 1) of the Berlin text, without its place and date."""
    return BERLIN_TEXT.splitlines()[line - 1].removeprefix(BERLIN)


async def add_facts(c: Curation) -> None:
    """More of everything the read endpoints show, in collections that already have rows (a
    page whose collection was empty skips that collection's `selectinload`, so it may gain one
    statement when the first row arrives; it must gain none for more rows): a source; German
    commitments, each with several evidence items; German conditions gating them; statements
    that add a claim to a dispute, and make a new one; a new member nation with a commitment."""
    created = await c.client.post("/sources", json=BERLIN_SOURCE, headers=c.auth("root"))
    assert created.status_code == 201, created.text
    new_source = created.json()["id"]
    article_b = plain_quotes(c.sources["article-b"], 6)
    commitments = []
    for i, role in enumerate(["training", "naval", "logistics"]):
        body = commitment_body(
            nation="DE",
            role=role,
            location="outside_ukraine" if role == "training" else "inside_ukraine",
            summary=f"Germany commits to {role} (the Berlin report).",
            evidence=[
                stated(new_source, berlin(i + 1)),
                stated("article-b", article_b[2 * i]),
                stated("article-b", article_b[2 * i + 1]),
            ],
        )
        commitments.append((await c.create("/commitments", body)).json()["id"])
    for i, gated in enumerate([commitments, commitments[1:]]):
        condition = {
            "kind": "ceasefire",
            "nature": "precondition",
            "nation": "DE",
            "gates": gated,
            "summary": f"Germany's new tasks wait for a ceasefire ({i}).",
            "evidence": [stated(new_source, berlin(2)), stated("article-b", article_b[i])],
        }
        await c.create("/conditions", condition)
    # Macron's words in two sources on one topic: a new dispute (the old statement is given the
    # topic); Zelenskyy's on his reaction to the pledge: one more claim in a dispute there was.
    for speaker, title, nation, line, topic in [
        ("Emmanuel Macron", "President of France", "FR", 4, "first-day-of-peace"),
        ("Volodymyr Zelenskyy", "President of Ukraine", "UA", 5, "reaction-to-pledge"),
    ]:
        words = berlin(line).split(": ", 1)[1]
        statement = {
            "speaker": speaker,
            "speaker_title": title,
            "speaker_nation": nation,
            "mode": "direct",
            "text": words.strip("“”"),
            "topic": topic,
            "event": None,
            "summary": f"{speaker}'s words in the Berlin report.",
            "evidence": [stated(new_source, words)],
        }
        await c.create("/statements", statement)
    old = await c.get("/statements/macron-solidarity-beyond-rhetoric")
    patched = await c.patch(
        "/statements/macron-solidarity-beyond-rhetoric",
        {"topic": "first-day-of-peace"},
        old.headers["etag"],
    )
    assert patched.status_code == 200, patched.text
    membership = {
        "nation": "PT",
        "status": "member",
        "part": "guarantor",
        "basis": "named",
        "summary": "Portugal has joined the coalition.",
        "evidence": [stated(new_source, berlin(6))],
    }
    await c.create("/memberships", membership)
    await c.create(
        "/commitments",
        commitment_body(
            nation="PT",
            role="naval",
            location="outside_ukraine",
            summary="Portugal will send a frigate.",
            evidence=[stated(new_source, berlin(6))],
        ),
    )


async def as_of_counts(c: Curation) -> tuple[Count, Count]:
    """Statements on the main engine for an `as_of` list: the first request rebuilds the state
    at that moment, the second finds it built. The handler's own queries run on the rebuilt
    in-memory database (app.curation.past_states), another engine: not counted here."""
    moment = dt.datetime.now(dt.UTC).isoformat()
    counts = []
    for limit in (1, MAX_PAGE):
        with counting(c.app.state.engine) as count:
            await c.get("/commitments", as_of=moment, limit=limit)
        counts.append(count)
    return counts[0], counts[1]


async def test_statement_counts_do_not_grow_with_the_data(private: Curation) -> None:
    c = private
    cases = await make_cases(c.app, c.client)
    before = await measure(c.app, c.client, cases)
    as_of_before = await as_of_counts(c)
    total_before = (await c.get("/commitments", limit=1)).json()["total"]

    await add_facts(c)

    assert (await c.get("/commitments", limit=1)).json()["total"] == total_before + 4
    after = await measure(c.app, c.client, cases)
    grown = {
        str(case): (len(before[case].statements), len(after[case].statements))
        for case in cases
        if len(after[case].statements) != len(before[case].statements)
    }
    assert grown == {}
    # The new things' own pages (the source, facts, nation, dispute) cost what such pages did.
    seen: dict[str, set[int]] = defaultdict(set)
    for case, count in before.items():
        seen[case.route].add(len(count.statements))
    new_cases = [
        case
        for case in await make_cases(c.app, c.client)
        if "{" in case.route and case not in before
    ]
    new = await measure(c.app, c.client, new_cases)
    assert {case.route for case in new_cases} >= {
        "/sources/{source_id}",
        "/nations/{code}",
        "/commitments/{commitment_id}",
        "/conditions/{condition_id}",
        "/statements/{statement_id}",
        "/memberships/{membership_id}",
        "/disputes/{dispute_id}",
    }
    assert {
        str(case): len(count.statements)
        for case, count in new.items()
        if len(count.statements) not in seen[case.route]
    } == {}
    # as_of reads the audit log in one statement however long it is (the state at hand moved to
    # the moment), and a moment already made costs one (the last change up to it). The first
    # state of all is the live database copied in one snapshot: on PostgreSQL one statement per
    # table it holds and one for its last change (SQLite attaches its file, outside the engine).
    as_of_after = await as_of_counts(c)
    on_server = c.app.state.engine.dialect.name == "postgresql"
    copy = len(STATE_TABLES) + 1 if on_server else 0
    assert [len(as_of_before[0].queries), len(as_of_before[1].queries)] == [2 + copy, 1]
    assert [len(as_of_after[0].queries), len(as_of_after[1].queries)] == [2, 1]
    assert len(as_of_after[1].statements) == len(as_of_before[1].statements)
