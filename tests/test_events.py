"""GET /events and /events/{id}: the summit and the call, with paging, CSV and evidence.

Expected values are derived from the fact files (the ``dataset`` fixture)."""

import csv
import io
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from tests.helpers import problem, walk_pages

pytestmark = pytest.mark.anyio


def assert_event(item: dict[str, Any], dataset: Dataset) -> None:
    fact = next(e for e in dataset.events if e.id == item["id"])
    assert (item["kind"], item["name"], item["place"]) == (fact.kind, fact.name, fact.place)
    assert item["date"] == (fact.date.isoformat() if fact.date else None)
    assert item["pledging_nation_count"] == fact.pledging_nation_count
    assert item["participants"] == [p.model_dump() for p in fact.participants]
    assert item["summary"] == fact.summary
    assert [e["quote"] for e in item["evidence"]] == [e.quote for e in fact.evidence]
    assert [e["source"] for e in item["evidence"]] == [e.source for e in fact.evidence]


async def test_lists_every_event(client: httpx.AsyncClient, dataset: Dataset) -> None:
    response = await client.get("/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["total"] == len(dataset.events)
    assert [i["id"] for i in body["items"]] == sorted(e.id for e in dataset.events)
    assert (body["offset"], body["next_cursor"], body["next"]) == (0, None, None)
    for item in body["items"]:
        assert_event(item, dataset)


async def test_the_paris_summit_of_4_september_2025(client: httpx.AsyncClient) -> None:
    # The point of the database: article A, "On September 4, 2025, at a landmark summit in
    # Paris, French President Emmanuel Macron announced that 26 nations have formally committed".
    response = await client.get("/events", params={"limit": 500})
    summits = [i for i in response.json()["items"] if i["kind"] == "summit"]
    assert [(s["date"], s["place"], s["pledging_nation_count"]) for s in summits] == [
        ("2025-09-04", "Paris", 26)
    ]
    assert "Emmanuel Macron" in [p["name"] for p in summits[0]["participants"]]


async def test_each_event_by_id(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for event in dataset.events:
        response = await client.get(f"/events/{event.id}")
        assert response.status_code == 200
        assert response.json()["id"] == event.id
        assert_event(response.json(), dataset)


async def test_unknown_event_is_404_problem(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/events/yalta-1945"), 404)
    assert body["type"] == "/problems/not-found"
    assert "yalta-1945" in body["detail"]


async def test_cursor_walk_and_offset(client: httpx.AsyncClient, dataset: Dataset) -> None:
    want = sorted(e.id for e in dataset.events)
    seen = [item["id"] for item in await walk_pages(client, "/events", 1)]
    assert seen == want
    last = await client.get("/events", params={"limit": 1, "offset": len(want) - 1})
    assert [i["id"] for i in last.json()["items"]] == want[-1:]
    assert last.json()["next_cursor"] is None


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_csv(client: httpx.AsyncClient, dataset: Dataset, how: str) -> None:
    headers = {"Accept": "text/csv"} if how == "accept" else {}
    params = {"format": "csv"} if how == "format" else {}
    response = await client.get("/events", params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == sorted(e.id for e in dataset.events)
    assert response.headers["x-total-count"] == str(len(dataset.events))
    for row in rows:
        fact = next(e for e in dataset.events if e.id == row["id"])
        assert row["date"] == (fact.date.isoformat() if fact.date else "")
