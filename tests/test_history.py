"""`as_of`: the read endpoints answer as the database stood at a past moment.

A commitment goes through a life — created, corrected twice, retracted — and after each step
the test captures what three endpoints answer and the moment it did so. Asked `as_of` each
captured moment afterwards, every endpoint must answer with exactly the captured JSON."""

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.main import app as default_app
from tests.curation import Curation, commitment_body, parse_time, stated, wait_past

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


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


class Timeline:
    """The captured answers of the three endpoints, per moment."""

    def __init__(self, curation: Curation) -> None:
        self.curation = curation
        self.fact_id = "not-created-yet"
        self.moments: list[tuple[str, dt.datetime, dict[str, tuple[int, Any]]]] = []
        self.written: list[dt.datetime] = []  # when each step after the first was written

    def paths(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {
            "commitment": (f"/commitments/{self.fact_id}", {}),
            "list": ("/commitments", {"nation": NATION, "limit": 500}),
            "nation": (f"/nations/{NATION}", {}),
        }

    async def read(self, **params: Any) -> dict[str, tuple[int, Any]]:
        client = self.curation.client
        return {
            name: answer(await client.get(path, params={**query, **params}))
            for name, (path, query) in self.paths().items()
        }

    async def capture(self, step: str, written: httpx.Response | None = None) -> None:
        if written is not None:
            self.written.append(parse_time(written.json()["updated_at"]))
        answers = await self.read()
        moment = dt.datetime.now(dt.UTC)
        self.moments.append((step, moment, answers))
        wait_past(moment)  # the next step is stamped strictly later


async def live_through(curation: Curation) -> Timeline:
    """Create, correct twice, retract: capturing the answers after each step."""
    timeline = Timeline(curation)
    await timeline.capture("seeded")

    created = await curation.create("/commitments", commitment_body())
    location = created.headers["location"]
    timeline.fact_id = created.json()["id"]
    # The commitment did not exist at the first moment: that answer is a 404 too.
    step, moment, answers = timeline.moments[0]
    not_yet = answer(await curation.client.get(location))
    answers["commitment"] = (404, None)
    timeline.moments[0] = (step, moment, answers)
    assert not_yet[0] == 200
    await timeline.capture("created", created)

    patched = await curation.patch(location, {"status": "considering"}, created.headers["etag"])
    assert patched.status_code == 200, patched.text
    await timeline.capture("status corrected", patched)

    quote = "Italy has already clarified that it will not commit ground troops"
    evidence = [*created.json()["evidence"], {**stated("article-a", quote)}]
    evidence = [
        {"source": e["source"], "quote": e["quote"], "certainty": e["certainty"]} for e in evidence
    ]
    patched = await curation.patch(
        location,
        {"evidence": evidence, "summary": "Italy monitors ceasefires, with more evidence."},
        patched.headers["etag"],
        who="bob",
    )
    assert patched.status_code == 200, patched.text
    await timeline.capture("evidence and summary corrected", patched)

    retracted = await curation.retract(location, "The report was withdrawn.",
                                       patched.headers["etag"])  # fmt: skip
    assert retracted.status_code == 200, retracted.text
    await timeline.capture("retracted", retracted)
    return timeline


def same_answer(got: tuple[int, Any], captured: tuple[int, Any]) -> bool:
    if captured[0] == 404:
        return got[0] == 404
    return got == captured


async def test_as_of_each_moment_answers_as_captured_then(curation: Curation) -> None:
    timeline = await live_through(curation)
    # Each step changed what the commitment's page says.
    pages = [answers["commitment"] for _, _, answers in timeline.moments]
    assert len({repr(p) for p in pages}) == len(pages)

    for step, moment, captured in timeline.moments:
        got = await timeline.read(as_of=moment.isoformat())
        for name in captured:
            assert same_answer(got[name], captured[name]), (step, name, got[name], captured[name])


async def test_as_of_the_instant_of_a_write_includes_it(curation: Curation) -> None:
    """A write is in the state from the instant it is stamped with; a microsecond earlier the
    state is the one before it."""
    timeline = await live_through(curation)
    assert len(timeline.written) == len(timeline.moments) - 1
    for (step, _, captured), (next_step, _, next_captured), written in zip(
        timeline.moments, timeline.moments[1:], timeline.written, strict=False
    ):
        just_before = await timeline.read(
            as_of=(written - dt.timedelta(microseconds=1)).isoformat()
        )
        at_the_instant = await timeline.read(as_of=written.isoformat())
        for name in captured:
            assert same_answer(just_before[name], captured[name]), (step, name)
            assert same_answer(at_the_instant[name], next_captured[name]), (next_step, name)


async def test_as_of_now_is_the_present(curation: Curation) -> None:
    timeline = await live_through(curation)
    present = await timeline.read()
    assert await timeline.read(as_of=dt.datetime.now(dt.UTC).isoformat()) == present
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    assert await timeline.read(as_of=future.isoformat()) == present


async def test_as_of_also_shows_a_fact_since_retracted_in_the_lists(curation: Curation) -> None:
    timeline = await live_through(curation)
    _, created_at, _ = timeline.moments[1]
    _, retracted_at, _ = timeline.moments[-1]
    then = await curation.get("/commitments", nation=NATION, as_of=created_at.isoformat())
    now = await curation.get("/commitments", nation=NATION, as_of=retracted_at.isoformat())
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
    for step, moment, captured in timeline.moments:
        got = await timeline.read(as_of=spell(moment))
        for name in captured:
            assert same_answer(got[name], captured[name]), (step, name, spell(moment))


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
    for step, moment, captured in timeline.moments:
        got = await timeline.read(as_of=moment.replace(tzinfo=None).isoformat())
        for name in captured:
            assert same_answer(got[name], captured[name]), (step, name, local_zone)


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
        assert response.json() == answer_then, path


@pytest.mark.parametrize("as_of", ["yesterday", "2025-02-30T00:00:00Z", "12:00"])
async def test_a_bad_as_of_is_422(curation: Curation, as_of: str) -> None:
    response = await curation.client.get("/commitments", params={"as_of": as_of})
    assert response.status_code == 422, response.text
    assert "as_of" in response.json()["detail"]
