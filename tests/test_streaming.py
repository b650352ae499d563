"""Whole lists: `format=ndjson` and `all=true` (CSV, JSON) stream every row of a filtered list
with no 500-row cap, the same rows as walking the pages, at `as_of` too; in memory that does not
grow with the row count (synthetic data, 1x against 200x and 1,000x, `-m slow`); and a
stream cut by a failing batch never ends like a complete one."""

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, event
from typer.testing import CliRunner

from app.api.streaming import BATCH
from app.cli.main import cli
from app.config import Settings
from app.main import create_app
from tests.asgi_stream import drain
from tests.conftest import PG_URL, scratch_database
from tests.curation import Curation, commitment_body, parse_time, wait_past
from tests.helpers import walk_pages
from tests.live_server import serving, wait_for

pytest_plugins = ["tests.curation_fixtures"]
anyio = pytest.mark.anyio
NDJSON = "application/x-ndjson"


def ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == NDJSON
    return [orjson.loads(line) for line in response.content.splitlines()]


@anyio
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/commitments", {"role": ["training", "troops"], "sort": "nation"}),
        ("/commitments", {}),
        ("/conditions", {"nature": "precondition"}),
        ("/statements", {}),
        ("/memberships", {"status": "member"}),
        ("/sources", {}),
        ("/changes", {"entity": "fact"}),
        ("/nations", {"role": "training", "include_coalition": "true"}),
    ],
)
async def test_ndjson_is_the_whole_list_as_the_pages_give_it(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> None:
    pages = await walk_pages(client, path, 7, **params)
    whole = await client.get(path, params={**params, "format": "ndjson"})
    assert ndjson(whole) == pages
    if path != "/nations":  # streamed (nations, at most ISO 3166's 249, come as one page)
        assert whole.headers["cache-control"] == "no-store"
        assert "etag" not in whole.headers
    by_accept = await client.get(path, params=params, headers={"Accept": NDJSON})
    assert ndjson(by_accept) == pages
    whole_csv = await client.get(path, params={**params, "format": "csv", "all": "true"})
    assert whole_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(whole_csv.text)))
    key = "code" if path == "/nations" else "id"
    assert [r[key] for r in rows] == [str(p[key]) for p in pages]
    page_csv = await client.get(path, params={**params, "format": "csv", "limit": 1})
    assert whole_csv.text.splitlines()[0] == page_csv.text.splitlines()[0]


@anyio
async def test_all_in_json_is_one_page_of_everything(client: httpx.AsyncClient) -> None:
    pages = await walk_pages(client, "/commitments", 9)
    body = (await client.get("/commitments", params={"all": "true"})).json()
    assert body["items"] == pages
    assert body["total"] == body["limit"] == len(pages)
    assert (body["offset"], body["next_cursor"], body["next"]) == (0, None, None)


@anyio
async def test_a_given_limit_caps_a_whole_list_and_its_cursor_goes_on(
    client: httpx.AsyncClient,
) -> None:
    everything = await walk_pages(client, "/commitments", 50)
    first = await client.get("/commitments", params={"all": "true", "limit": 5})
    body = first.json()
    assert body["items"] == everything[:5]
    assert body["next_cursor"] is not None
    rest = await client.get(
        "/commitments", params={"format": "ndjson", "cursor": body["next_cursor"]}
    )
    assert ndjson(rest) == everything[5:]
    skipped = await client.get("/commitments", params={"format": "ndjson", "offset": 30})
    assert ndjson(skipped) == everything[30:]


@anyio
async def test_as_of_and_a_write_reach_the_stream(curation: Curation) -> None:
    before = await curation.client.get("/commitments", params={"format": "ndjson"})
    ids = [c["id"] for c in ndjson(before)]
    seeded = (await curation.changes())[-1]["at"]
    wait_past(parse_time(seeded))
    created = await curation.create("/commitments", commitment_body())
    after = ndjson(await curation.client.get("/commitments", params={"format": "ndjson"}))
    assert created.json()["id"] in [c["id"] for c in after]  # no stream is served from a cache
    assert len(after) == len(ids) + 1
    past = await curation.client.get("/commitments", params={"format": "ndjson", "as_of": seeded})
    assert [c["id"] for c in ndjson(past)] == ids


# --- memory at scale ---------------------------------------------------------------------------


def synth_database(tmp_path_factory: pytest.TempPathFactory, factor: int) -> Iterator[str]:
    with scratch_database(tmp_path_factory.mktemp(f"synth{factor}")) as url:
        result = CliRunner().invoke(cli, ["synth", "--factor", str(factor), "--database-url", url])
        assert result.exit_code == 0, result.output
        yield url


@pytest.fixture(scope="module")
def synth_1x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from synth_database(tmp_path_factory, 1)


@pytest.fixture(scope="module")
def synth_40x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from synth_database(tmp_path_factory, 40)


@pytest.fixture(scope="module")
def synth_200x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from synth_database(tmp_path_factory, 200)


@pytest.fixture(scope="module")
def synth_1000x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from synth_database(tmp_path_factory, 1000)


async def peak_of_streams(url: str) -> dict[str, tuple[int, int]]:
    """(rows, peak bytes) of the whole commitments list as NDJSON and as CSV."""
    app = create_app(Settings(database_url=url))
    try:
        await drain(app, "/commitments", "format=ndjson")  # the first request warms caches
        found = {}
        for fmt, query, header in (
            ("ndjson", "format=ndjson", 0),
            ("csv", "format=csv&all=true", 1),
        ):
            answer = await drain(app, "/commitments", query)
            assert answer.status == 200 and answer.complete
            found[fmt] = (answer.lines - header, answer.peak)
        return found
    finally:
        app.state.engine.dispose()


def report(
    capsys: pytest.CaptureFixture[str], figures: dict[str, dict[str, tuple[int, int]]]
) -> None:
    with capsys.disabled():
        for size, by_format in figures.items():
            for fmt, (rows, peak) in by_format.items():
                print(f"\n[{'postgresql' if PG_URL else 'sqlite'}] whole list at {size} ({fmt}): "
                      f"{rows} rows, peak {peak / 2**20:.1f} MiB")  # fmt: skip


def check_flat(small: dict[str, tuple[int, int]], large: dict[str, tuple[int, int]]) -> None:
    for fmt in ("ndjson", "csv"):
        (rows_small, peak_small), (rows_large, peak_large) = small[fmt], large[fmt]
        assert rows_large >= 4 * rows_small > 2 * BATCH
        # Memory holds a batch, not the list: five times the rows, the same peak.
        assert peak_large <= 1.25 * peak_small + 2**20, (fmt, peak_small, peak_large)


@anyio
@pytest.mark.slow
async def test_memory_does_not_grow_with_the_rows(
    synth_1x: str, synth_40x: str, synth_200x: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = {f"{n}x": await peak_of_streams(url)
               for n, url in ((1, synth_1x), (40, synth_40x), (200, synth_200x))}  # fmt: skip
    report(capsys, figures)
    assert figures["200x"]["ndjson"][0] == 200 * figures["1x"]["ndjson"][0]
    check_flat(figures["40x"], figures["200x"])


@anyio
@pytest.mark.slow
async def test_memory_at_1000x_is_what_it_is_at_200x(
    synth_1x: str, synth_200x: str, synth_1000x: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = {f"{n}x": await peak_of_streams(url)
               for n, url in ((1, synth_1x), (200, synth_200x), (1000, synth_1000x))}  # fmt: skip
    report(capsys, figures)
    assert figures["1000x"]["ndjson"][0] == 1000 * figures["1x"]["ndjson"][0]
    check_flat(figures["200x"], figures["1000x"])


# --- a stream cut short ------------------------------------------------------------------------


def interrupt_batch(app: FastAPI, number: int) -> None:
    """Make the ``number``-th batch query of the commitments list fail as the time limit makes
    a query fail: SQLite's progress handler interrupts it (SQLITE_INTERRUPT)."""
    seen = 0

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def cut(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal seen
        if "JOIN commitments" in statement and "LIMIT" in statement:
            seen += 1
            if seen == number:
                raw: Any = conn.connection.driver_connection
                raw.set_progress_handler(lambda: 1, 1)  # app.api.sessions gives it back clean


@pytest.mark.skipif(PG_URL is not None, reason="the interrupt used is SQLite's progress handler")
def test_a_batch_that_fails_mid_stream_breaks_the_transfer(synth_40x: str) -> None:
    app = create_app(Settings(database_url=synth_40x, response_cache_entries=0))
    interrupt_batch(app, 2)
    try:
        with serving(app) as live, httpx.Client(timeout=30) as client:
            received = bytearray()
            url = f"{live.base}/commitments?format=ndjson"
            # No last chunk: the transfer is incomplete, never a shorter list that looks whole.
            with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes():
                    received += chunk
            assert received.count(b"\n") == BATCH  # the first batch came, then the break
            after = client.get(f"{live.base}/commitments", params={"limit": 1})
            assert after.status_code == 200  # the server and its pool carry on
            # Nothing leaks: a session gives its connection back once its answer has gone out,
            # a moment after the client has read it.
            assert wait_for(lambda: live.checked_out() == 0, 5), live.checked_out()
    finally:
        app.state.engine.dispose()


@pytest.mark.skipif(PG_URL is not None, reason="the interrupt used is SQLite's progress handler")
@anyio
async def test_a_first_batch_that_fails_is_a_problem_answer(synth_1x: str) -> None:
    app = create_app(Settings(database_url=synth_1x, response_cache_entries=0))
    interrupt_batch(app, 1)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/commitments", params={"format": "ndjson"})
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/timeout"
    finally:
        app.state.engine.dispose()
