"""`as_of`: the read endpoints answer as the database stood at a past moment.

A commitment goes through a life — created, corrected twice, retracted — and after each step
the test captures what three endpoints answer and the moment it did so. Asked `as_of` each
captured moment afterwards, every endpoint must answer with exactly the captured JSON."""

import datetime as dt
import gc
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.curation import history as history_module
from app.curation import past_states
from app.curation.history import CACHE_SIZE, History
from app.curation.past_states import build_state, copy_of_live, move_state
from app.main import app as default_app
from app.main import create_app
from app.store.engine import make_engine
from app.store.models import Change, Fact
from app.store.revisions import make_sessionmaker
from tests.curation import (
    Curation,
    client_for,
    commitment_body,
    evidence_as_sent,
    keyed_rows,
    parse_time,
    wait_past,
)
from tests.helpers import problem

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

NATION = "IT"
OPENAPI = default_app.openapi()
# Every GET that takes as_of: the lists, and the pages of one resource.
AS_OF_PATHS = sorted(
    path
    for path, item in OPENAPI["paths"].items()
    if any(p["name"] == "as_of" for p in item.get("get", {}).get("parameters", []))
)
AS_OF_LISTS = [path for path in AS_OF_PATHS if "{" not in path]


Answer = tuple[int, Any]  # status and JSON body
NOT_FOUND: Answer = (404, None)


def answer(response: httpx.Response) -> Answer:
    return response.status_code, response.json()


def _without_as_of(value: Any) -> Any:
    """The body with `as_of` taken out of its links: a past read's links carry the moment, so
    that following one answers at it too; the live read's have none."""
    if isinstance(value, dict):
        return {k: _without_as_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_as_of(v) for v in value]
    if isinstance(value, str) and "as_of=" in value and value.startswith(("/", "http")):
        url = httpx.URL(value)
        return str(url.copy_remove_param("as_of"))
    return value


def same_answer(got: Answer, captured: Answer) -> bool:
    """The same status and body (of a 404, the status: its problem names the request), but for
    the moment that a past read's links carry."""
    if captured[0] == 404:
        return got[0] == 404
    return (got[0], _without_as_of(got[1])) == captured


@dataclass
class Moment:
    step: str
    at: dt.datetime
    answers: dict[str, Answer]  # what each endpoint answered then


class Timeline:
    """What four endpoints answered after each step of a commitment's life, and when."""

    def __init__(self, curation: Curation) -> None:
        self.curation = curation
        self.fact_id: str | None = None  # until the commitment is created
        self.moments: list[Moment] = []
        self.written: list[dt.datetime] = []  # when each step after the first was stamped

    async def read(self, **params: Any) -> dict[str, Answer]:
        get = self.curation.client.get
        listed = await get("/commitments", params={"nation": NATION, "limit": 500, **params})
        nation = await get(f"/nations/{NATION}", params=params)
        # Derived from the whole data, and kept per data revision (or per past state).
        summary = await get("/summary", params=params)
        found = {"list": answer(listed), "nation": answer(nation), "summary": answer(summary)}
        if self.fact_id is None:
            return {"commitment": NOT_FOUND, **found}
        page = await get(f"/commitments/{self.fact_id}", params=params)
        return {"commitment": answer(page), **found}

    async def capture(self, step: str, written: httpx.Response | None = None) -> None:
        if written is not None:
            self.written.append(parse_time(written.json()["updated_at"]))
        answers = await self.read()
        moment = dt.datetime.now(dt.UTC)
        self.moments.append(Moment(step, moment, answers))
        wait_past(moment)  # the next step is stamped strictly later

    async def assert_as_of(self, as_of: str, moment: Moment) -> None:
        got = await self.read(as_of=as_of)
        for name, captured in moment.answers.items():
            assert same_answer(got[name], captured), (moment.step, name, as_of, got[name])


async def live_through(curation: Curation) -> Timeline:
    """Create, correct twice, retract: capturing the answers after each step."""
    timeline = Timeline(curation)
    await timeline.capture("seeded")  # the commitment's page: not found

    created = await curation.create("/commitments", commitment_body())
    location = created.headers["location"]
    timeline.fact_id = created.json()["id"]
    await timeline.capture("created", created)

    patched = await curation.patch(location, {"status": "considering"}, created.headers["etag"])
    assert patched.status_code == 200, patched.text
    await timeline.capture("status corrected", patched)

    quote = "Italy has already clarified that it will not commit ground troops"
    evidence = [evidence_as_sent(e) for e in created.json()["evidence"]]
    patched = await curation.patch(
        location,
        {
            "evidence": [
                *evidence,
                {
                    "source": "article-a",
                    "quote": quote,
                    "outlet": "reuters",
                    "certainty": "reported",
                },
            ],
            "summary": "Italy monitors ceasefires, with more evidence.",
        },
        patched.headers["etag"],
        who="bob",
    )
    assert patched.status_code == 200, patched.text
    await timeline.capture("evidence and summary corrected", patched)

    retracted = await curation.retract(
        location, "The report was withdrawn.", patched.headers["etag"]
    )
    assert retracted.status_code == 200, retracted.text
    await timeline.capture("retracted", retracted)
    return timeline


async def test_as_of_each_moment_answers_as_captured_then(curation: Curation) -> None:
    timeline = await live_through(curation)
    # Each step changed what the commitment's page says.
    pages = [repr(moment.answers["commitment"]) for moment in timeline.moments]
    assert len(set(pages)) == len(pages)

    for moment in timeline.moments:
        await timeline.assert_as_of(moment.at.isoformat(), moment)


async def test_past_states_derived_from_each_other_in_any_order_answer_as_captured(
    curation: Curation,
) -> None:
    """After the first, a past state is a copy of the nearest state at hand with the changes
    between rewritten, forwards or backwards (app.curation.past_states): every order of asking
    gives each moment's own answers."""
    timeline = await live_through(curation)
    moments = timeline.moments
    last, *earlier = reversed(moments)
    await timeline.assert_as_of(last.at.isoformat(), last)  # built: the only one at hand
    for moment in earlier:  # each from the later one just derived
        await timeline.assert_as_of(moment.at.isoformat(), moment)
    curation.app.state.history.close()  # forget them all: the next one is built again
    for moment in [moments[2], moments[0], moments[4], moments[1], moments[3]]:
        await timeline.assert_as_of(moment.at.isoformat(), moment)


async def test_a_state_copied_from_the_live_database_is_the_one_the_log_rebuilds(
    curation: Curation,
) -> None:
    """The first past state is the live database copied in one snapshot (SQLite's file, or
    PostgreSQL's tables), then moved back to the moment; the log alone defines a past state:
    for every change since the seed, both hold the same rows, table by table."""
    await live_through(curation)
    engine = curation.app.state.engine
    with Session(engine) as session:
        ids = session.scalars(select(Change.id).order_by(Change.id)).all()
        for last_id in ids[-8:]:  # the commitment's life, and the seed's last entries
            copied = copy_of_live(session)
            assert copied is not None
            state, copied_id = copied
            move_state(session, state, copied_id, last_id)
            rebuilt = build_state(session, last_id)
            try:
                assert keyed_rows(state.engine) == keyed_rows(rebuilt.engine), last_id
            finally:
                state.close()
                rebuilt.close()


async def test_past_states_read_by_many_threads_at_once_answer_every_time(
    curation: Curation,
) -> None:
    """Every moment of a fact's life asked at once, from cold, by more request threads than
    SQLAlchemy's pool for in-memory databases keeps (five): no thread may find its connection
    closed under it (a 500, or a crash, before the states' NullPool), and each answer is the
    one captured at its moment."""
    timeline = await live_through(curation)
    assert timeline.fact_id is not None
    paths: dict[str, tuple[str, dict[str, str | int]]] = {
        "list": ("/commitments", {"nation": NATION, "limit": 500}),
        "nation": (f"/nations/{NATION}", {}),
        "summary": ("/summary", {}),
        "commitment": (f"/commitments/{timeline.fact_id}", {}),
    }
    slower = ["/disputes", "/disputes/leadership"]  # derived by the rules: longer reads
    wrong: list[tuple[str, str, int]] = []

    async def one(moment: Moment, name: str) -> None:
        empty: dict[str, str | int] = {}
        path, params = paths.get(name, (name, empty))
        got = await curation.client.get(path, params={**params, "as_of": moment.at.isoformat()})
        if got.status_code >= 500 or (
            name in paths and not same_answer(answer(got), moment.answers[name])
        ):
            wrong.append((moment.step, name, got.status_code))

    for _ in range(3):
        curation.app.state.history.close()
        async with anyio.create_task_group() as group:
            for _ in range(3):
                for moment in timeline.moments:
                    for name in [*paths, *slower]:
                        group.start_soon(one, moment, name)
        assert wrong == []


async def test_as_of_the_instant_of_a_write_includes_it(curation: Curation) -> None:
    """A write is in the state from the instant it is stamped with; a microsecond earlier the
    state is the one before it."""
    timeline = await live_through(curation)
    assert len(timeline.written) == len(timeline.moments) - 1
    for before, after, written in zip(
        timeline.moments, timeline.moments[1:], timeline.written, strict=False
    ):
        await timeline.assert_as_of((written - dt.timedelta(microseconds=1)).isoformat(), before)
        await timeline.assert_as_of(written.isoformat(), after)


async def test_as_of_now_is_the_present(curation: Curation) -> None:
    timeline = await live_through(curation)
    present = await timeline.read()
    now = await timeline.read(as_of=dt.datetime.now(dt.UTC).isoformat())
    assert {name: (a[0], _without_as_of(a[1])) for name, a in now.items()} == present
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    later = await timeline.read(as_of=future.isoformat())
    assert {name: (a[0], _without_as_of(a[1])) for name, a in later.items()} == present


async def test_as_of_lists_show_a_fact_that_stood_then(curation: Curation) -> None:
    timeline = await live_through(curation)
    created, retracted = timeline.moments[1], timeline.moments[-1]
    then = await curation.get("/commitments", nation=NATION, as_of=created.at.isoformat())
    now = await curation.get("/commitments", nation=NATION, as_of=retracted.at.isoformat())
    assert timeline.fact_id in {c["id"] for c in then.json()["items"]}
    assert timeline.fact_id not in {c["id"] for c in now.json()["items"]}


@pytest.mark.parametrize(
    "spell",
    [
        lambda m: m.isoformat(),
        lambda m: m.isoformat().replace("+00:00", "Z"),
        lambda m: m.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat(),
        lambda m: m.astimezone(dt.timezone(dt.timedelta(hours=-7))).isoformat(),
        lambda m: m.replace(tzinfo=None).isoformat(),  # no offset: UTC
    ],
    ids=["+00:00", "Z", "+05:30", "-07:00", "naive"],
)
async def test_as_of_the_same_instant_spelled_differently(curation: Curation, spell: Any) -> None:
    timeline = await live_through(curation)
    for moment in timeline.moments:
        await timeline.assert_as_of(spell(moment.at), moment)


@pytest.fixture
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's local time zone set to ``request.param`` (and restored afterwards)."""
    zone: str = request.param
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield zone
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.mark.parametrize("local_zone", ["America/New_York", "Asia/Tokyo"], indirect=True)
async def test_as_of_without_offset_is_utc_not_local_time(
    curation: Curation, local_zone: str
) -> None:
    """A naive as_of read as local time would land hours away from the moment meant: with the
    local zone west of UTC after everything, east of it before the seed."""
    assert time.localtime().tm_gmtoff != 0, local_zone
    timeline = await live_through(curation)
    for moment in timeline.moments:
        await timeline.assert_as_of(moment.at.replace(tzinfo=None).isoformat(), moment)


def counts(body: Any, key: str = "") -> list[tuple[str, int]]:
    """Every count in a body: integers anywhere in it (page sizes and offsets aside)."""
    if isinstance(body, dict):
        return [c for k, v in body.items() if k not in {"limit", "offset"} for c in counts(v, k)]
    if isinstance(body, list):
        return [c for v in body for c in counts(v, key)]
    return [(key, body)] if isinstance(body, int) and not isinstance(body, bool) else []


def params_for(path: str, **wanted: Any) -> dict[str, Any]:
    """The wanted query parameters that the endpoint takes."""
    known = {p["name"] for p in OPENAPI["paths"][path]["get"].get("parameters", [])}
    return {k: v for k, v in wanted.items() if k in known}


async def test_as_of_before_the_seed_is_empty(curation: Curation) -> None:
    first = (await curation.changes(limit=1))[0]
    before_seed = (parse_time(first["at"]) - dt.timedelta(seconds=1)).isoformat()
    assert AS_OF_LISTS, "no list endpoint takes as_of"
    for path in AS_OF_LISTS:
        response = await curation.client.get(path, params={"as_of": before_seed})
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        if path == "/roles":  # the vocabulary, with counts: no commitments, no nations
            assert set(counts(body["items"])) == {("commitments", 0), ("nations", 0)}
        elif "items" in body:
            assert body["items"] == [] and body["total"] == 0, path
        else:
            assert {n for _, n in counts(body)} <= {0}, (path, body)
    for path in ("/nations/IT", "/commitments/it-troops-ruled-out", "/sources/article-a"):
        response = await curation.client.get(path, params={"as_of": before_seed})
        assert response.status_code == 404, (path, response.text)
    # ...while the same lists answer with the seeded data now.
    for path in ("/commitments", "/memberships", "/nations", "/sources"):
        assert (await curation.get(path)).json()["total"] > 0, path


async def test_as_of_right_after_the_seed_is_the_seed(curation: Curation) -> None:
    seed_done = (await curation.changes())[-1]["at"]
    before = {
        path: (await curation.get(path, **params_for(path, limit=500))).json()
        for path in AS_OF_LISTS
    }
    await live_through(curation)
    for path, answer_then in before.items():
        response = await curation.get(path, **params_for(path, limit=500, as_of=seed_done))
        assert comparable(path, response.json()) == comparable(path, answer_then), path


def comparable(path: str, body: Any) -> Any:
    """The data package says when it was taken (a revision, or `as_of`, in its description,
    its `pledgedb` block and its links), and a listed dispute's link keeps the list's `as_of`:
    everything else must agree."""
    if path == "/disputes":
        items = [{**d, "dispute": d["dispute"].split("?")[0]} for d in body["items"]]
        return {**body, "items": items}
    if path != "/datapackage.json":
        return body
    resources = [{**r, "path": r["path"].split("?")[0]} for r in body["resources"]]
    kept = {k: v for k, v in body.items() if k not in ("pledgedb", "description")}
    return {**kept, "resources": resources}


@pytest.mark.parametrize("as_of", ["yesterday", "2025-02-30T00:00:00Z", "12:00"])
async def test_a_bad_as_of_is_422(curation: Curation, as_of: str) -> None:
    response = await curation.client.get("/commitments", params={"as_of": as_of})
    assert response.status_code == 422, response.text
    assert "as_of" in response.json()["detail"]


async def test_many_past_moments_read_at_once_all_answer(curation: Curation) -> None:
    """More distinct past states than the cache holds, read concurrently: each request keeps
    its snapshot while others push older ones out (no 500, the right answer every time)."""
    moments = []
    location, etag = None, None
    for i in range(CACHE_SIZE + 4):
        if location is None:
            created = await curation.create("/commitments", commitment_body())
            location, etag = created.headers["location"], created.headers["etag"]
        else:
            patched = await curation.patch(location, {"summary": f"edit number {i}"}, etag)
            assert patched.status_code == 200, patched.text
            etag = patched.headers["etag"]
        moments.append((dt.datetime.now(dt.UTC), (await curation.get(location)).json()))
        wait_past(moments[-1][0])
    assert location is not None

    async def read(at: dt.datetime) -> Any:
        response = await curation.client.get(location, params={"as_of": at.isoformat()})
        assert response.status_code == 200, response.text
        return response.json()

    results: dict[int, Any] = {}

    async def one(i: int, at: dt.datetime) -> None:
        results[i] = await read(at)

    for _ in range(2):
        async with anyio.create_task_group() as group:
            for i, (at, _) in enumerate(moments):
                group.start_soon(one, i, at)
        assert [results[i] for i in range(len(moments))] == [body for _, body in moments]


async def test_a_past_state_pushed_out_of_the_cache_stays_readable_while_held(
    curation: Curation,
) -> None:
    """A request that took a past state's sessions reads it to the end, even when other moments
    push the state out of the cache first: its in-memory database lives while a connection to
    it does, and the state's sessions hold one."""
    created = await curation.create("/commitments", commitment_body())
    location, etag = created.headers["location"], created.headers["etag"]
    moments = []
    for i in range(CACHE_SIZE + 2):
        patched = await curation.patch(location, {"summary": f"edit number {i}"}, etag)
        assert patched.status_code == 200, patched.text
        etag = patched.headers["etag"]
        moments.append(dt.datetime.now(dt.UTC))
        wait_past(moments[-1])
    engine = make_engine(curation.url)
    history = History()
    try:
        with make_sessionmaker(engine)() as live:
            held = history.sessionmaker_at(live, moments[0])
            for at in moments[1:]:  # distinct moments: the first is pushed out
                history.sessionmaker_at(live, at)
        gc.collect()
        with held() as past:
            summary = past.scalar(select(Fact.summary).where(Fact.id == location.split("/")[-1]))
        assert summary == "edit number 0"
    finally:
        history.close()
        engine.dispose()


async def test_a_past_state_slower_than_the_limit_answers_503_and_is_made_for_the_next(
    curation: Curation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making a past state is Python work under the request's time limit, as SQL is: past it
    the request answers 503 /problems/timeout (at 1,000x the seed the first copy took 2.9-6.6 s
    and answered 200), and the making goes on, once, for the requests at that moment after."""
    made: list[int] = []

    def slow_copy(session: Session) -> Any:
        time.sleep(0.6)  # past the limit below
        made.append(1)
        return copy_of_live(session)

    monkeypatch.setattr("app.curation.history.copy_of_live", slow_copy)
    app = create_app(
        Settings(database_url=curation.url, statement_timeout_ms=250, response_cache_entries=0)
    )
    at = dt.datetime.now(dt.UTC).isoformat()
    try:
        async with client_for(app) as client:
            present = (await client.get("/summary")).json()
            first = await client.get("/summary", params={"as_of": at})
            assert problem(first, 503)["type"].endswith("/problems/timeout")
            assert first.headers["retry-after"] == "2"
            for _ in range(50):  # the making goes on without a request waiting for it
                again = await client.get("/summary", params={"as_of": at})
                if again.status_code == 200:
                    break
                problem(again, 503)
                await anyio.sleep(0.1)
            assert again.status_code == 200
            assert _without_as_of(again.json()) == present
            assert made == [1]
    finally:
        app.state.history.close()
        app.state.engine.dispose()


async def test_a_request_refused_by_validation_makes_no_past_state(
    curation: Curation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI resolves a route's dependencies before it validates the route's own parameters:
    the `as_of` state is found at the session's first statement, so a request refused with 422
    (a malformed id, a bad page size) never looks one up, let alone makes one."""
    looked_up: list[dt.datetime] = []
    real_lookup = past_states.last_change_id

    def counted(session: Session, as_of: dt.datetime) -> int:
        looked_up.append(as_of)
        return real_lookup(session, as_of)

    monkeypatch.setattr(history_module, "last_change_id", counted)
    at = dt.datetime.now(dt.UTC).isoformat()
    for path in AS_OF_PATHS:
        refused = re.sub(r"\{[^}]+\}", "x" * 300, path)
        params = {"as_of": at} if "{" in path else {"as_of": at, "limit": "0"}
        response = await curation.client.get(refused, params=params)
        assert response.status_code == 422, (path, response.text)
        assert looked_up == [], path
    # The same requests, well formed, do look the state up: the count above can fail.
    response = await curation.client.get("/commitments", params={"as_of": at})
    assert response.status_code == 200, response.text
    assert len(looked_up) == 1
