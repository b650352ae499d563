"""The response cache (app/api/response_cache.py): a hit answers exactly what the application
would, costs no query, and never outlives a write made through any process."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, make_url, select, text

from app.config import Settings
from app.main import create_app
from app.store.engine import make_engine
from app.store.models import Commitment, DataRevision
from app.store.revisions import make_sessionmaker
from tests.curation import Curation, client_for, commitment_body

pytest_plugins = ["tests.curation_fixtures"]
pytestmark = pytest.mark.anyio

PATHS = [
    "/nations?role=training",
    "/nations/DE",
    "/commitments?role=training&format=csv",
    "/summary",
    "/statements?limit=2",
]
# Headers that may differ between two answers of the same bytes.
VOLATILE = {"date", "server"}


def revision(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(DataRevision.revision)) or 0)
    finally:
        engine.dispose()


@contextlib.contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the app's request engine runs meanwhile."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)


def comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE}
    return response.status_code, response.content, headers


@contextlib.asynccontextmanager
async def second_process(url: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """Another API process on the same database (its own engine, pool and cache)."""
    app = create_app(Settings(database_url=url, **settings))  # type: ignore[arg-type]
    try:
        async with client_for(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


async def test_a_hit_answers_the_same_bytes_and_headers_without_a_query(
    curation: Curation,
) -> None:
    async with second_process(curation.url, response_cache_entries=0) as uncached:
        for path in PATHS:
            first = await curation.client.get(path)
            with statements(curation.app) as seen:
                hit = await curation.client.get(path)
            expected = await uncached.get(path)
            assert first.status_code == 200, first.text
            assert seen == [], (path, seen)
            assert comparable(hit) == comparable(first) == comparable(expected), path


async def test_a_hit_honours_if_none_match_like_the_application(curation: Curation) -> None:
    async with second_process(curation.url, response_cache_entries=0) as uncached:
        for path in PATHS:
            etag = (await curation.client.get(path)).headers["etag"]
            for header in (etag, f'"other", {etag}', "*", '"other"'):
                hit = await curation.client.get(path, headers={"If-None-Match": header})
                expected = await uncached.get(path, headers={"If-None-Match": header})
                assert comparable(hit) == comparable(expected), (path, header)
            assert hit.status_code == 200  # the last one names another tag


async def test_accept_and_origin_are_part_of_the_key(curation: Curation) -> None:
    json_answer = await curation.client.get("/commitments?role=training")
    csv_answer = await curation.client.get(
        "/commitments?role=training", headers={"Accept": "text/csv"}
    )
    assert json_answer.headers["content-type"].startswith("application/json")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    again = await curation.client.get("/commitments?role=training")
    assert again.content == json_answer.content


async def test_a_write_bumps_the_revision_once_and_a_refused_one_does_not(
    curation: Curation,
) -> None:
    start = revision(curation.url)
    refused = await curation.client.post(
        "/commitments", json=commitment_body(role="not-a-role"), headers=curation.auth()
    )
    assert refused.status_code == 422
    assert revision(curation.url) == start
    await curation.create("/commitments", commitment_body())
    assert revision(curation.url) == start + 1


async def test_a_write_through_one_process_is_seen_at_once_by_another(
    curation: Curation,
) -> None:
    async with second_process(curation.url) as other:
        before = await other.get("/nations/IT")
        assert (await other.get("/nations/IT")).content == before.content  # now cached there
        created = await curation.create("/commitments", commitment_body(role="training"))
        mine = await curation.client.get("/nations/IT")
        theirs = await other.get("/nations/IT")
        new_id = created.json()["id"]
    assert new_id in theirs.text and new_id not in before.text
    assert theirs.content == mine.content
    assert theirs.headers["etag"] == mine.headers["etag"] != before.headers["etag"]


@contextlib.asynccontextmanager
async def slow_link(url: str, delay: float) -> AsyncIterator[str]:
    """The database URL through a TCP proxy that holds each of PostgreSQL's answers ``delay``
    seconds, so that a statement stays in flight that long (an SQLite URL is given back as it
    is: its reads are in process)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, hold: float) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await source.read(65536):
                if hold:
                    await asyncio.sleep(hold)
                sink.write(chunk)
                await sink.drain()
        sink.close()

    async def relay(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        server_in, server_out = await asyncio.open_connection(parsed.host, parsed.port or 5432)
        await asyncio.gather(pipe(client_in, server_out, 0), pipe(server_in, client_out, delay))

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    try:
        yield parsed.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        proxy.close()


async def test_every_request_after_a_write_sees_it_while_others_keep_reads_in_flight(
    curation: Curation,
) -> None:
    """Requests share revision reads (app.api.revision_reads), but a request never takes a
    read sent before it arrived: one sent before a write committed answers the old revision.
    Here one process, on a slow link to the database (each answer held 30 ms), is kept busy
    with hits, so a read is always in flight, while another process writes; every request
    sent after each write returned must have it."""
    path = "/commitments?role=monitoring&limit=500"
    async with slow_link(curation.url, 0.03) as url, second_process(url) as busy:
        stop = asyncio.Event()

        async def keep_busy() -> None:
            while not stop.is_set():
                answers = await asyncio.gather(*(busy.get(path) for _ in range(8)))
                assert {a.status_code for a in answers} == {200}

        hammering = asyncio.ensure_future(keep_busy())
        try:
            for n in range(5):
                body = commitment_body(summary=f"Write number {n}.")
                new_id = (await curation.create("/commitments", body)).json()["id"]
                answers = await asyncio.gather(*(busy.get(path) for _ in range(16)))
                expected = (await curation.client.get(path)).headers["etag"]
                assert {a.headers["etag"] for a in answers} == {expected}, n
                assert all(new_id in a.text for a in answers), n
        finally:
            stop.set()
            await hammering


async def test_a_write_outside_the_api_invalidates_too(curation: Curation) -> None:
    """The CLI (seed, import) writes with the same sessions: its commits bump the revision."""
    before = (await curation.get("/commitments/it-training-pledged")).json()
    engine = make_engine(curation.url)
    try:
        with make_sessionmaker(engine)() as session:
            fact = session.get_one(Commitment, "it-training-pledged")
            fact.summary = "Italy will train Ukrainian forces (edited outside the API)."
            session.commit()
    finally:
        engine.dispose()
    after = (await curation.get("/commitments/it-training-pledged")).json()
    assert after["summary"] != before["summary"]
    assert after["summary"].endswith("(edited outside the API).")


async def test_an_authenticated_read_is_never_served_from_the_cache(curation: Curation) -> None:
    public = await curation.client.get("/summary")
    private = await curation.client.get("/summary", headers=curation.auth())
    assert public.headers["cache-control"].startswith("public")
    assert private.headers["cache-control"] == "private, no-store"
    assert private.content == public.content


async def test_errors_are_not_cached(curation: Curation) -> None:
    missing = "/commitments/it-training-pledged?as_of=2020-01-01T00:00:00Z"
    assert (await curation.client.get(missing)).status_code == 404
    with statements(curation.app) as seen:
        assert (await curation.client.get(missing)).status_code == 404
    assert seen, "a 404 was answered from the cache"


async def test_the_cache_is_bounded(seeded_url: str) -> None:
    app = create_app(Settings(database_url=seeded_url, response_cache_entries=2))
    try:
        async with client_for(app) as client:
            for path in PATHS[:3]:
                assert (await client.get(path)).status_code == 200
            with statements(app) as seen:
                await client.get(PATHS[2])  # among the two kept
            assert seen == []
            with statements(app) as seen:
                await client.get(PATHS[0])  # the oldest, evicted
            assert seen
    finally:
        app.state.engine.dispose()


async def test_an_unreadable_revision_sends_requests_to_the_application(seeded_url: str) -> None:
    """When the revision cannot be read the cache stands aside: the application answers (here
    from its queries; with the database away, its 503), never an entry of unknown age."""
    app = create_app(Settings(database_url=seeded_url))
    try:
        async with client_for(app) as client:
            # A fact's own page: its queries do not read the revision themselves.
            path = "/commitments/coalition-troops"
            assert (await client.get(path)).status_code == 200
            engine = make_engine(seeded_url)
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE data_revision RENAME TO data_revision_away"))
            with statements(app) as seen:
                bypassed = await client.get(path)
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE data_revision_away RENAME TO data_revision"))
            engine.dispose()
            assert bypassed.status_code == 200 and seen, "served from the cache unchecked"
    finally:
        app.state.engine.dispose()


async def test_concurrent_misses_run_the_queries_once(seeded_url: str) -> None:
    """Many clients asking the same new question at once (a dashboard after a write) wait for
    one answer instead of each sending it to the database."""
    cached = create_app(Settings(database_url=seeded_url))
    uncached = create_app(Settings(database_url=seeded_url, response_cache_entries=0))
    try:
        async with client_for(uncached) as client, client_for(cached) as other:
            with statements(uncached) as alone:
                expected = await client.get("/nations/DE")
            with statements(cached) as together:
                answers = await asyncio.gather(*(other.get("/nations/DE") for _ in range(8)))
        assert {a.status_code for a in answers} == {200}
        assert {a.content for a in answers} == {expected.content}
        assert len(together) == len(alone) > 0
    finally:
        cached.state.engine.dispose()
        uncached.state.engine.dispose()


async def test_list_totals_are_counted_once_per_revision(curation: Curation) -> None:
    """A list's `total` is kept per data revision (app.api.totals.counted_total): a repeated
    filter does not count again, and a write through another process makes it count anew."""
    async with second_process(curation.url, response_cache_entries=0) as other:
        app = other._transport.app  # type: ignore[attr-defined]
        first = (await other.get("/commitments?role=monitoring")).json()["total"]
        with statements(app) as again:
            assert (await other.get("/commitments?role=monitoring")).json()["total"] == first
        await curation.create("/commitments", commitment_body())  # Italy, monitoring
        with statements(app) as after_write:
            latest = (await other.get("/commitments?role=monitoring")).json()["total"]
    assert latest == first + 1
    assert not any("count(" in s.lower() for s in again), again
    assert any("count(" in s.lower() for s in after_write), after_write


async def test_disputes_and_summary_are_found_once_per_revision(curation: Curation) -> None:
    """The disputes and the summary are found once per data revision (app.reads.per_revision): a
    repeated read does not read the facts again, and a write through another process makes the
    dispute list, a nation's page and the summary find them anew."""
    async with second_process(curation.url, response_cache_entries=0) as other:
        app = other._transport.app  # type: ignore[attr-defined]
        disputes = {d["id"] for d in (await other.get("/disputes")).json()["items"]}
        summary = (await other.get("/summary")).json()
        assert "leadership" in disputes
        with statements(app) as again:
            gb = (await other.get("/nations/GB")).json()
            assert (await other.get("/disputes/leadership")).status_code == 200
            assert (await other.get("/summary")).json() == summary
        assert "leadership" in {d["id"] for d in gb["disputes"]}
        location = "/commitments/gb-leadership-pledged-b"  # the UK named as co-leader
        etag = (await curation.get(location)).headers["etag"]
        retracted = await curation.retract(location, "Article B was corrected.", etag)
        assert retracted.status_code == 200, retracted.text
        with statements(app) as after_write:
            gone = await other.get("/disputes/leadership")
            summarised = (await other.get("/summary")).json()
        gb = (await other.get("/nations/GB")).json()
        listed = {d["id"] for d in (await other.get("/disputes")).json()["items"]}
    assert gone.status_code == 404
    assert "leadership" not in {d["id"] for d in gb["disputes"]}
    assert listed == disputes - {"leadership"}
    leading = summary["by_role"]["leadership"]["commitments"]
    assert summarised["by_role"]["leadership"]["commitments"] == leading - 1
    for seen in (again, after_write):
        seen[:] = [" ".join(s.split()) for s in seen]
    # The rules' load of statements (a nation's kept disputes are stamped with a count, not read).
    loads = "SELECT statements.id, statements.speaker"
    assert not any(s.startswith(loads) for s in again), again
    # The summary's counts: kept, and after the write carried forward by reading the touched
    # fact alone (app.reads.tallies).
    tally = "SELECT memberships.id, memberships.status"
    assert not any(s.startswith(tally) for s in again), again
    # After the write the part it touched (who holds an exclusive role) is read again, and no
    # other (app.reads.disputes.finding): the commitments, not the statements.
    assert any(s.startswith("SELECT commitments.id, commitments.actor") for s in after_write)
    assert not any(s.startswith(loads) for s in after_write), after_write
    carried = [s for s in after_write if s.startswith(tally)]
    assert carried and all("memberships.id IN (" in s for s in carried), after_write


async def test_list_totals_count_the_kinds_table_alone_and_leave_retracted_facts_out(
    curation: Curation,
) -> None:
    """A total over filters on the fact kind's own table counts that table alone, leaving the
    retracted facts out by their ids (app.api.totals.count_of): no join to `facts`. A filter on
    another table (evidence from a source) counts the joined way. Both leave a retraction out."""
    filters = [{"role": "leadership"}, {"role": "leadership", "source": "article-b"}]
    before = [(await curation.get("/commitments", **f)).json()["total"] for f in filters]
    location = "/commitments/gb-leadership-pledged-b"  # article B: the UK as co-leader
    etag = (await curation.get(location)).headers["etag"]
    retracted = await curation.retract(location, "Article B was corrected.", etag)
    assert retracted.status_code == 200, retracted.text
    async with second_process(curation.url, response_cache_entries=0) as other:
        app = other._transport.app  # type: ignore[attr-defined]
        for f, total in zip(filters, before, strict=True):
            with statements(app) as seen:
                page = (await other.get("/commitments", params=f)).json()
            ids = [item["id"] for item in page["items"]]
            assert page["total"] == total - 1 == len(ids), (f, page["total"], total)
            assert "gb-leadership-pledged-b" not in ids
            counts = [" ".join(s.split()) for s in seen if "count(" in s.lower()]
            assert len(counts) == 1, seen
            joined = " JOIN " in counts[0]
            assert joined == ("source" in f), counts[0]
