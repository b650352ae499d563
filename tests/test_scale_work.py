"""At 1,000x the seed, what does not grow with the data does the same work as at 1x (issue 13):
slow, run with `-m slow`.

Time is the benchmark's to measure (`bench.scale --endpoints`, bench/RESULTS.md); a test that
timed requests would fail on a busy machine. What this pins instead is the work a request asks
of the database: SQLite's virtual machine instructions per request (its progress handler,
counted in steps of 100), and the bytes of the answer, at 1x and at 1,000x of the same synthetic
data (`pledgedb synth`, so both hold the same ids and shapes). Where both stay within 2x, the
request's time does too, but for the Python work on what the database returns (the same bytes).

Pinned: every kind's detail page, and what is kept per data revision once found (`/summary`,
`/roles`, a list's total), read again; nation pages read again, for their database work (their
bytes grow up to a page of each list they embed: at 1x the seed's nations have a few facts
each); the disputes read again, for their database work (a dispute names every source that
makes its claims: more at 1,000x); the first `/summary`, `/roles`, nations list, disputes and
list of another kind after a write (carried past it by its audit entries). Not pinned, because
it grows (bench/RESULTS.md says by how much and why): the part of the disputes a write touches
(found again in what it reads), the data package's CSVs (a whole table).

Pinned too: what is kept per revision holds few objects the garbage collector tracks (each
full collection walks them all, pausing the process: bench.gc_pause)."""

import gc
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from app.api.auth import create_key
from app.config import PROJECT_ROOT, Settings
from app.curation.synth import synthesize
from app.facts.files import load_dataset
from app.main import create_app
from app.reads.per_revision import forget_all
from app.schemas.common import EMBEDDED_LIMIT
from app.vocab import Scope
from tests.curation import client_for

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

FACTOR = 1000
STEP = 10  # the progress handler is called every STEP instructions
# The first item of each list gives a detail page to read at both scales.
DETAIL_LISTS = ["/commitments", "/conditions", "/statements", "/events", "/memberships", "/sources"]
# Read twice: the second answer comes from what the first kept (per data revision).
# (A list's page is kept too: its total is counted once per revision, its rows by keyset.)
KEPT = ["/summary", "/roles", "/commitments?limit=20", "/commitments?role=training&limit=4"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    folder = tmp_path_factory.mktemp("scale-work")
    data = load_dataset(PROJECT_ROOT / "data")
    urls = {}
    for factor in (1, FACTOR):
        urls[factor] = f"sqlite:///{folder / f'synth-{factor}.sqlite3'}"
        synthesize(urls[factor], data, factor)
    return urls


@contextmanager
def counted(engine: Engine) -> Iterator[list[int]]:
    """Instructions SQLite runs for the engine's connections meanwhile, in steps of STEP."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0  # go on

    def watch(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_progress_handler(tick, STEP)

    event.listen(engine, "checkout", watch)
    try:
        yield steps
    finally:
        event.remove(engine, "checkout", watch)


@pytest.fixture
async def clients(synthetic: dict[int, str]) -> AsyncIterator[dict[int, httpx.AsyncClient]]:
    forget_all()
    apps = {
        # No time limit: its guard sets SQLite's one progress handler, in place of the counter.
        f: create_app(Settings(database_url=u, response_cache_entries=0, statement_timeout_ms=0))
        for f, u in synthetic.items()
    }
    try:
        async with client_for(apps[1]) as one, client_for(apps[FACTOR]) as many:
            yield {1: one, FACTOR: many}
    finally:
        for app in apps.values():
            app.state.engine.dispose()


async def work(client: httpx.AsyncClient, path: str) -> tuple[int, int]:
    """The instructions (in steps) and the bytes of one GET of ``path``, after one to warm up."""
    warm = await client.get(path)
    assert warm.status_code == 200, (path, warm.text[:300])
    engine = client._transport.app.state.engine  # type: ignore[attr-defined]
    with counted(engine) as steps:
        response = await client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    return steps[0], len(response.content)


async def compare(
    clients: dict[int, httpx.AsyncClient], paths: list[str], *, bytes_too: bool = True
) -> list[str]:
    """Each path's work at both scales; the lines of those past 2x (within one STEP of slack)."""
    off = []
    for path in paths:
        (steps_1, bytes_1), (steps_n, bytes_n) = [await work(clients[f], path) for f in (1, FACTOR)]
        line = f"{path}: {steps_1} -> {steps_n} steps of {STEP}, {bytes_1} -> {bytes_n} bytes"
        print(line)
        if steps_n > 2 * steps_1 + 1 or (bytes_too and bytes_n > 2 * bytes_1):
            off.append(line)
    return off


async def test_detail_pages_do_the_same_work_at_1000x(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    paths = []
    for listed in DETAIL_LISTS:
        first = [(await clients[f].get(listed, params={"limit": 1})).json() for f in (1, FACTOR)]
        ids = {page["items"][0]["id"] for page in first}
        assert len(ids) == 1, (listed, ids)  # the same synthetic fact at both scales
        if listed != "/memberships":  # one a nation at any scale; the rest grow
            assert first[1]["total"] > 100 * first[0]["total"], listed
        paths.append(f"{listed}/{ids.pop()}")
    assert await compare(clients, paths) == []


async def test_what_is_kept_per_revision_costs_the_same_at_1000x(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    assert await compare(clients, KEPT) == []


async def test_a_nation_page_read_again_does_the_same_database_work_at_1000x(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    """A nation's page embeds a page of each of its lists (their totals kept per revision) and
    its facts as kept: read again, it asks of the database what it asks at 1x, however many
    facts the nation has."""
    paths = [f"/nations/{code}" for code in ("DE", "IT", "FR", "US")]
    for path in paths:
        page = (await clients[FACTOR].get(path)).json()
        for name in ("commitments", "conditions", "statements"):
            assert len(page[name]) == min(page[f"{name}_total"], EMBEDDED_LIMIT), (path, name)
    assert await compare(clients, paths, bytes_too=False) == []


async def test_the_explorers_nation_pages_link_in_place_only_to_what_they_show(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    """At 1,000x a nation's page shows the first 25 of its lists: its links to a fact it does
    not show (a condition's gated commitment, a limit that keeps it from a coalition role) go
    to that fact's own answer, never to an anchor missing from the page."""
    for code in ("DE", "IT", "FR", "US"):
        html = (await clients[FACTOR].get(f"/explore/nations/{code}")).text
        anchors = set(re.findall(r'href="#(fact-[^"]+)"', html))
        assert anchors, code
        assert anchors <= set(re.findall(r'id="(fact-[^"]+)"', html)), code


async def test_the_disputes_read_again_do_the_same_database_work_at_1000x(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    """The whole list is kept per data revision, in parts (app.reads.disputes.finding), one
    nation's per nation: read again, a page of them, one of them or one nation's ask of the
    database what they ask at 1x."""
    ids = [
        {
            d["id"]
            for d in (await clients[f].get("/disputes", params={"limit": 500})).json()["items"]
        }
        for f in (1, FACTOR)
    ]
    dispute = min(i for i in ids[0] & ids[1] if i.startswith("nation-"))  # at both scales
    paths = ["/disputes", "/disputes?nation=DE", f"/disputes/{dispute}", "/disputes/leadership"]
    assert await compare(clients, paths, bytes_too=False) == []


# Read again after a write that touches them only through one fact (the kept values are carried
# to the new revision by the write's audit entries: app.reads.per_revision). Not pinned, as
# they grow (bench/RESULTS.md): a list of the kind written (its total is counted again), a
# member's page (the member's limits, read from its own commitments: 40 times more at 1,000x).
AFTER_A_WRITE = [
    "/summary", "/roles", "/nations", "/nations?role=naval", "/disputes", "/disputes?nation=DE",
    "/conditions",
]  # fmt: skip


async def corrector(client: httpx.AsyncClient) -> Any:
    """A write to the first commitment (the same synthetic fact at both scales), each call
    alternating the fields given."""
    app = client._transport.app  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        key = create_key(session, "scale-work", Scope.curator)
        session.commit()
    fact_id = (await client.get("/commitments", params={"limit": 1})).json()["items"][0]["id"]
    location = f"/commitments/{fact_id}"

    async def correct(**fields: Any) -> None:
        etag = (await client.get(location)).headers["etag"]
        headers = {"Authorization": f"Bearer {key}", "If-Match": etag}
        body = {**fields, "reason": "scale work"}
        response = await client.patch(location, json=body, headers=headers)
        assert response.status_code == 200, response.text

    return correct


async def test_the_first_read_after_a_write_does_the_same_database_work_at_1000x(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    """After a correction of one commitment, the summary's counts re-read that fact, lists and
    nation pages load it again, and the disputes find nothing again (a summary is not what
    their rules read): the first read asks of the database what it asks at 1x. A status
    change re-reads one fact for the counts too."""
    correct = {f: await corrector(clients[f]) for f in (1, FACTOR)}
    off = []
    for path, fields in [
        *(
            (p, ({"summary": "Corrected once."}, {"summary": "Corrected twice."}))
            for p in AFTER_A_WRITE
        ),
        *((p, ({"status": "considering"}, {"status": "pledged"})) for p in ("/summary", "/roles")),
    ]:
        found = []
        for f in (1, FACTOR):
            assert (await clients[f].get(path)).status_code == 200  # kept
            for each in fields:  # the second puts the first back
                await correct[f](**each)
            engine = clients[f]._transport.app.state.engine  # type: ignore[attr-defined]
            with counted(engine) as steps:
                response = await clients[f].get(path)
            assert response.status_code == 200, (path, response.text[:300])
            found.append(steps[0])
        line = f"{path} after {fields[0]}: {found[0]} -> {found[1]} steps of {STEP}"
        print(line)
        if found[1] > 2 * found[0] + 1:
            off.append(line)
    assert off == []


def tracked() -> int:
    """Objects the garbage collector tracks, after a full collection."""
    gc.collect()
    return len(gc.get_objects())


async def kept_objects(client: httpx.AsyncClient, path: str) -> int:
    """The tracked objects what ``path`` keeps per data revision holds: read once (what a first
    read makes besides, compiled statements and the like, stays), everything kept forgotten,
    read again."""
    assert (await client.get(path)).status_code == 200
    forget_all()
    before = tracked()
    assert (await client.get(path)).status_code == 200
    return tracked() - before


async def test_what_is_kept_per_revision_holds_few_objects_the_collector_walks(
    clients: dict[int, httpx.AsyncClient],
) -> None:
    """Every full garbage collection walks every object it tracks and pauses the whole process
    meanwhile: what was kept per revision at 1,000x the seed made such a pause 148 ms
    (bench.gc_pause, bench/RESULTS.md). The counts behind `/summary` hold no object of their
    own per fact: equal parts are shared. (A served process also freezes what survives a full
    collection, app.api.collector; the disputes keep what each role of the coalition's force
    was found in, to read only the facts written since: those are its objects.)"""
    client = clients[FACTOR]
    commitments = (await client.get("/commitments", params={"limit": 1})).json()["total"]
    summary = await kept_objects(client, "/summary")
    print(f"/summary keeps {summary} tracked objects for {commitments} commitments")
    assert summary < commitments / 10
