"""GET /statements and /statements/{id}: speaker, mode, nation, event, source; paging and CSV.

Expected values are derived from the fact files (the ``dataset`` fixture)."""

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.facts.files import Dataset
from app.schemas.statements import StatementIn
from app.vocab import StatementMode
from tests.helpers import list_ids, problem, walk_pages

pytestmark = pytest.mark.anyio


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return await list_ids(client, "/statements", **params)


def expected(dataset: Dataset, keep: Callable[[StatementIn], bool]) -> list[str]:
    return sorted(s.id for s in dataset.statements if keep(s))


async def test_lists_every_statement_with_its_words_inside_its_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/statements", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(dataset.statements)
    facts = {s.id: s for s in dataset.statements}
    assert [i["id"] for i in body["items"]] == sorted(facts)
    for item in body["items"]:
        fact = facts[item["id"]]
        assert (item["speaker"], item["speaker_title"], item["speaker_nation"]) == (
            fact.speaker,
            fact.speaker_title,
            fact.speaker_nation,
        )
        assert (item["mode"], item["text"], item["event"]) == (fact.mode, fact.text, fact.event)
        assert item["evidence"]
        assert any(item["text"] in e["quote"] for e in item["evidence"])


@pytest.mark.parametrize("case", [str, str.lower, str.upper])
async def test_speaker_matches_part_of_the_name_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset, case: Callable[[str], str]
) -> None:
    speakers = sorted({s.speaker for s in dataset.statements})
    for speaker in speakers:
        part = speaker.split()[-1][:5]

        def speaks(s: StatementIn, part: str = part) -> bool:
            return part.lower() in s.speaker.lower()

        want = expected(dataset, speaks)
        assert want
        assert await ids(client, speaker=case(part)) == want, part


async def test_zelenskyy_speaks(client: httpx.AsyncClient, dataset: Dataset) -> None:
    got = await ids(client, speaker="zelenskyy")
    assert got == expected(dataset, lambda s: s.speaker == "Volodymyr Zelenskyy")
    assert got


@pytest.mark.parametrize("speaker", ["%", "_", "Macron%"])
async def test_speaker_treats_like_wildcards_literally(
    client: httpx.AsyncClient, speaker: str
) -> None:
    assert await ids(client, speaker=speaker) == []


@pytest.mark.parametrize("mode", list(StatementMode))
async def test_mode_filter(
    client: httpx.AsyncClient, dataset: Dataset, mode: StatementMode
) -> None:
    got = await ids(client, mode=mode.value)
    assert got == expected(dataset, lambda s: s.mode is mode)
    assert got


async def test_nation_filter_takes_alpha2_or_alpha3_in_any_case(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for nation in dataset.nations:

        def of_nation(s: StatementIn, code: str = nation.code) -> bool:
            return s.speaker_nation == code

        want = expected(dataset, of_nation)
        for code in (nation.code, nation.code.lower(), nation.alpha3, nation.alpha3.lower()):
            assert await ids(client, nation=code) == want, code
    body = problem(await client.get("/statements", params={"nation": "XYZ"}), 422)
    assert "XYZ" in body["detail"]


async def test_event_filter(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for event in dataset.events:

        def at_event(s: StatementIn, eid: str = event.id) -> bool:
            return s.event == eid

        assert await ids(client, event=event.id) == expected(dataset, at_event)
    assert expected(dataset, lambda s: s.event is not None), "some statements have an event"


async def test_source_filter(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for source in dataset.sources:
        sid = source.spec.id

        def from_source(s: StatementIn, sid: str = sid) -> bool:
            return any(e.source == sid for e in s.evidence)

        want = expected(dataset, from_source)
        assert want
        assert await ids(client, source=sid) == want
    body = problem(await client.get("/statements", params={"source": "nowhere"}), 422)
    assert sorted(body["allowed"]) == sorted(s.spec.id for s in dataset.sources)


async def test_filters_combine(client: httpx.AsyncClient, dataset: Dataset) -> None:
    got = await ids(client, speaker="macron", mode="direct", source="article-b")
    assert got == expected(
        dataset,
        lambda s: (
            "macron" in s.speaker.lower()
            and s.mode is StatementMode.direct
            and any(e.source == "article-b" for e in s.evidence)
        ),
    )


async def test_cursor_walk_and_offset(client: httpx.AsyncClient, dataset: Dataset) -> None:
    want = sorted(s.id for s in dataset.statements)
    seen = [item["id"] for item in await walk_pages(client, "/statements", 5)]
    assert seen == want
    response = await client.get("/statements", params={"limit": 2, "offset": 3})
    assert [i["id"] for i in response.json()["items"]] == want[3:5]


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_csv(client: httpx.AsyncClient, how: str) -> None:
    params: dict[str, str | int] = {"mode": "reported", "limit": 4, "offset": 1}
    as_json = await client.get("/statements", params=params)
    headers = {"Accept": "text/csv"} if how == "accept" else {}
    extra = {"format": "csv"} if how == "format" else {}
    response = await client.get("/statements", params={**params, **extra}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    items = as_json.json()["items"]
    assert [r["id"] for r in rows] == [i["id"] for i in items]
    assert [r["text"] for r in rows] == [i["text"] for i in items]


async def test_each_statement_by_id(client: httpx.AsyncClient, dataset: Dataset) -> None:
    for fact in dataset.statements:
        response = await client.get(f"/statements/{fact.id}")
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["speaker"], body["text"]) == (fact.id, fact.speaker, fact.text)
        assert [e["quote"] for e in body["evidence"]] == [e.quote for e in fact.evidence]


async def test_unknown_statement_is_404_problem(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/statements/nobody-said-this"), 404)
    assert body["type"] == "/problems/not-found"
    assert "nobody-said-this" in body["detail"]


async def test_event_naming_no_event_is_refused_not_empty(client: httpx.AsyncClient) -> None:
    response = await client.get("/statements", params={"event": "no-such-event"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "event" in response.json()["detail"]


async def test_the_first_name_quotes_sends_every_method_to_statements(
    client: httpx.AsyncClient,
) -> None:
    params = {"speaker": "Macron", "limit": "2"}
    moved = await client.get("/quotes", params=params, follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/statements?speaker=Macron&limit=2"
    followed = await client.get("/quotes", params=params, follow_redirects=True)
    assert followed.json() == (await client.get("/statements", params=params)).json()
    # 308 keeps the method and the body: a write sent to the old name reaches the new one.
    write = await client.patch("/quotes/some-id", json={}, follow_redirects=False)
    assert (write.status_code, write.headers["location"]) == (308, "/statements/some-id")
    spec = (await client.get("/openapi.json")).json()
    assert not [path for path in spec["paths"] if path.startswith("/quotes")]
