"""GET /changes/stream, the live feed of the audit log (Server-Sent Events), over a real uvicorn
(the ASGI test transport cannot stream): the backlog after `since` or Last-Event-ID, a write
seen within a second, keep-alive pings, and clients that come and go leaving no task, thread or
connection behind."""

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from app.config import Settings
from app.facts.files import Dataset
from app.main import create_app
from tests.conftest import PG_URL
from tests.curation import bearer, make_keys
from tests.databases import seeded_database
from tests.live_server import LiveServer, serving, wait_for

PING_SECONDS = 0.5
TARGET = "/commitments/it-training-open-to"


@dataclass
class Feed:
    live: LiveServer
    key: str


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Iterator[Feed]:
    with seeded_database(tmp_path_factory.mktemp("feed")) as url:
        key = make_keys(url)["alice"]
        app = create_app(
            Settings(database_url=url, sse_ping_seconds=PING_SECONDS, write_rate_per_minute=10**6)
        )
        try:
            with serving(app) as live:
                yield Feed(live, key)
        finally:
            app.state.engine.dispose()


def events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The events of an SSE body as they come: {"id", "event", "data"}, or {"ping": text} for a
    comment line."""
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            yield {"ping": line[1:].strip()}
        elif not line:
            if current:
                yield current
            current = {}
        else:
            name, _, value = line.partition(":")
            current[name] = value.removeprefix(" ")


def changes(base: str, **params: Any) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/changes", params={"limit": 500, **params}, timeout=10)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def correct(feed: Feed, summary: str) -> None:
    base = feed.live.base
    current = httpx.get(f"{base}{TARGET}", timeout=10)
    response = httpx.patch(
        f"{base}{TARGET}",
        json={"summary": summary, "reason": "feed test"},
        headers={**bearer(feed.key), "If-Match": current.headers["etag"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_the_backlog_then_a_write_within_a_second(
    feed: Feed, capsys: pytest.CaptureFixture[str]
) -> None:
    base = feed.live.base
    log = changes(base)
    start = log[-3]["id"]
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{base}/changes/stream", params={"since": start}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = (e for e in events(response) if "ping" not in e)
        backlog = [next(stream), next(stream)]
        assert [int(e["id"]) for e in backlog] == [c["id"] for c in log[-2:]]
        assert [e["event"] for e in backlog] == ["change", "change"]
        assert [orjson.loads(e["data"]) for e in backlog] == log[-2:]
        latencies = []
        for n in range(3):
            correct(feed, f"Per Reuters, Italy is open to supporting training missions ({n}).")
            written = time.monotonic()
            event = next(stream)
            latencies.append(time.monotonic() - written)
            entry = orjson.loads(event["data"])
            assert entry == changes(base, since=int(event["id"]) - 1)[0]
            assert (entry["entity_id"], entry["action"]) == ("it-training-open-to", "update")
    with capsys.disabled():
        print(f"\n[{'postgresql' if PG_URL else 'sqlite'}] feed latency after a write: "
              f"{', '.join(f'{s * 1000:.0f} ms' for s in latencies)}")  # fmt: skip
    assert max(latencies) < 1.0


def test_last_event_id_resumes_after_it_and_wins_over_since(feed: Feed) -> None:
    base = feed.live.base
    log = changes(base)
    resume = log[-4]["id"]
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "GET",
            f"{base}/changes/stream",
            params={"since": 0, "entity": "fact"},
            headers={"Last-Event-ID": str(resume)},
        ) as response,
    ):
        stream = (e for e in events(response) if "ping" not in e)
        first = orjson.loads(next(stream)["data"])
    expected = [c for c in log if c["id"] > resume and c["entity"] == "fact"][0]
    assert first == expected


def test_a_quiet_feed_sends_keep_alive_comments(feed: Feed) -> None:
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{feed.live.base}/changes/stream") as response,
    ):
        began = time.monotonic()
        first = next(events(response))
    assert "ping" in first
    assert time.monotonic() - began < PING_SECONDS * 4


def test_a_bad_last_event_id_is_a_problem(feed: Feed) -> None:
    response = httpx.get(
        f"{feed.live.base}/changes/stream", headers={"Last-Event-ID": "abc"}, timeout=10
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "Last-Event-ID" in response.json()["detail"]


async def _connect_and_drop(base: str, clients: int, connected: threading.Event,
                            drop: threading.Event) -> int:  # fmt: skip
    """Open ``clients`` feeds, each reading until its first bytes, hold them until ``drop`` is
    set, then close them all without reading further."""
    async with httpx.AsyncClient(timeout=20, limits=httpx.Limits(max_connections=None)) as client:
        responses = []
        for _ in range(clients):
            request = client.build_request("GET", f"{base}/changes/stream")
            response = await client.send(request, stream=True)
            responses.append(response)
        readers = []  # kept: a reader dropped half-way closes its response
        for response in responses:
            assert response.status_code == 200
            readers.append(response.aiter_bytes())
            await readers[-1].__anext__()  # the first ping: the feed is running
        connected.set()
        while not drop.is_set():
            await asyncio.sleep(0.05)
        for response in responses:
            await response.aclose()
        return len(responses)


def test_clients_that_go_away_leave_no_task_thread_or_connection(feed: Feed) -> None:
    live = feed.live
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{live.base}/changes/stream") as response,
    ):
        next(events(response))  # the first feed starts what every later one shares
    assert wait_for(lambda: live.checked_out() == 0, 5)
    time.sleep(PING_SECONDS)
    tasks, threads = live.tasks(), threading.active_count()
    for _round in range(2):
        connected, drop = threading.Event(), threading.Event()
        runner = threading.Thread(
            target=asyncio.run, args=(_connect_and_drop(live.base, 40, connected, drop),)
        )
        runner.start()
        try:
            assert connected.wait(30)
            assert live.tasks() > tasks + 40  # every feed is running
            # Between polls the feeds hold no connection: sample the pool while they wait.
            samples = []
            for _ in range(20):
                samples.append(live.checked_out())
                time.sleep(0.05)
            assert max(samples) <= 1, samples  # at most the one poll of the moment
            assert samples.count(0) >= len(samples) // 2, samples
        finally:
            drop.set()
            runner.join(30)
        assert wait_for(lambda: live.tasks() <= tasks, 10), (live.tasks(), tasks)
        assert wait_for(lambda: live.checked_out() == 0, 5)
        # Reads run in threads of a pool that keeps a few idle ones: no more than the
        # process's request threads and the feed's one reader beyond where it began.
        assert threading.active_count() <= threads + live.app.state.request_threads + 1
