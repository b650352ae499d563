"""GET /sources and /sources/{id}: both articles, their text, evidence counts, outlets cited,
and the offsets of every evidence item the API returns.

Expected values are derived from the fact files (the ``dataset`` fixture)."""

import csv
import io
from collections import Counter
from typing import Any

import httpx
import pytest

from app.config import PROJECT_ROOT
from app.facts.files import Dataset
from tests.curation import Curation
from tests.helpers import problem

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]
DATA_DIR = PROJECT_ROOT / "data"


def outlets_cited(dataset: Dataset, source_id: str) -> dict[str, dict[str, Any]]:
    counts = Counter(
        e.outlet_id for e in dataset.evidence if e.source_id == source_id and e.outlet_id
    )
    return {
        o.id: {"id": o.id, "name": o.name, "url": o.url, "evidence_count": counts[o.id]}
        for o in dataset.outlets
        if counts[o.id]
    }


async def test_lists_both_articles_with_evidence_counts_and_outlets(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/sources")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert len(dataset.sources) == 2, "the seed document holds two articles"
    assert body["total"] == len(dataset.sources)
    assert [i["id"] for i in body["items"]] == sorted(s.spec.id for s in dataset.sources)
    for item in body["items"]:
        source = next(s for s in dataset.sources if s.spec.id == item["id"])
        assert item["title"] == source.spec.title
        assert [item["first_line"], item["last_line"]] == list(source.spec.lines)
        assert (item["start_char"], item["end_char"]) == (source.start_char, source.end_char)
        assert (item["document"], item["document_sha256"]) == (
            source.document,
            source.document_sha256,
        )
        assert "text" not in item
        assert item["evidence_count"] == sum(
            1 for e in dataset.evidence if e.source_id == item["id"]
        )
        assert item["evidence_count"] > 0
        cited = {o["id"]: o for o in item["outlets_cited"]}
        assert len(cited) == len(item["outlets_cited"])
        assert cited == outlets_cited(dataset, item["id"])


async def test_evidence_counts_add_up_to_every_evidence_item(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    response = await client.get("/sources")
    assert sum(i["evidence_count"] for i in response.json()["items"]) == len(dataset.evidence)


async def test_source_detail_holds_the_text_cut_from_the_document(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    listing = {i["id"]: i for i in (await client.get("/sources")).json()["items"]}
    for source in dataset.sources:
        response = await client.get(f"/sources/{source.spec.id}")
        assert response.status_code == 200
        detail = response.json()
        assert detail["text"] == source.text
        document = (DATA_DIR / source.document).read_text(encoding="utf-8")
        assert detail["text"] == document[detail["start_char"] : detail["end_char"]]
        lines = document.splitlines(keepends=True)
        assert detail["text"] == "".join(lines[detail["first_line"] - 1 : detail["last_line"]])
        assert {k: v for k, v in detail.items() if k != "text"} == listing[source.spec.id]


async def every_evidence_item(client: httpx.AsyncClient, dataset: Dataset) -> list[dict[str, Any]]:
    """Every evidence item the API shows, from every resource that carries evidence."""
    found: list[dict[str, Any]] = []
    for path in ("/commitments", "/conditions", "/statements", "/events"):
        response = await client.get(path, params={"limit": 500})
        assert response.status_code == 200
        for item in response.json()["items"]:
            found += item["evidence"]
    for nation in dataset.nations:
        response = await client.get(f"/nations/{nation.code}")
        assert response.status_code == 200
        found += response.json()["membership"]["evidence"]
    summary = await client.get("/summary")
    found += summary.json()["claimed_by"]
    return found


async def test_every_evidence_offset_indexes_its_source_text(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    texts = {}
    for source in dataset.sources:
        response = await client.get(f"/sources/{source.spec.id}")
        assert response.status_code == 200
        texts[source.spec.id] = response.json()["text"]
    evidence = await every_evidence_item(client, dataset)
    assert {e["id"] for e in evidence} == {f"{e.fact_id}/{e.position}" for e in dataset.evidence}
    for item in evidence:
        text = texts[item["source"]]
        assert text[item["start"] : item["end"]] == item["quote"], item["id"]
        assert item["quote"].strip()
        source = next(s for s in dataset.sources if s.spec.id == item["source"])
        document_line = source.spec.lines[0] + text.count("\n", 0, item["start"])
        assert item["line"] == document_line, item["id"]


async def test_outlets_attributed_in_evidence_are_cited_by_their_source(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    cited = {
        i["id"]: {o["id"] for o in i["outlets_cited"]}
        for i in (await client.get("/sources")).json()["items"]
    }
    for item in await every_evidence_item(client, dataset):
        if item["outlet"] is not None:
            assert item["outlet"]["id"] in cited[item["source"]], item["id"]
        if item["certainty"] == "reported":
            assert item["outlet"] is not None, item["id"]
        if item["certainty"] == "hedged":
            assert item["hedge"], item["id"]


async def test_paging_and_csv(client: httpx.AsyncClient, dataset: Dataset) -> None:
    want = sorted(s.spec.id for s in dataset.sources)
    first = await client.get("/sources", params={"limit": 1})
    assert first.status_code == 200
    assert [i["id"] for i in first.json()["items"]] == want[:1]
    assert first.json()["total"] == len(want)
    second = await client.get(first.json()["next"])
    assert [i["id"] for i in second.json()["items"]] == want[1:2]
    response = await client.get("/sources", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == want
    assert [int(r["evidence_count"]) for r in rows] == [
        sum(1 for e in dataset.evidence if e.source_id == sid) for sid in want
    ]


@pytest.mark.parametrize("source_id", ["article-c", "reuters", "000_e56733fb9a461cd7"])
async def test_unknown_source_is_404_problem(client: httpx.AsyncClient, source_id: str) -> None:
    body = problem(await client.get(f"/sources/{source_id}"), 404)
    assert body["type"] == "/problems/not-found"
    assert source_id in body["detail"]


async def test_a_retracted_facts_evidence_leaves_the_counts(curation: Curation) -> None:
    """A source's counts are of standing facts' evidence: a retraction takes its quotes out of
    the total and out of its outlet's count, in the list and on the source's page."""
    commitments = (await curation.get("/commitments", limit=500)).json()["items"]
    fact = next(c for c in commitments if any(e["outlet"] for e in c["evidence"]))
    quoted = Counter((e["source"], (e["outlet"] or {}).get("id")) for e in fact["evidence"])

    async def counts() -> dict[tuple[str, str | None], int]:
        found: dict[tuple[str, str | None], int] = {}
        for item in (await curation.get("/sources")).json()["items"]:
            detail = (await curation.get(f"/sources/{item['id']}")).json()
            assert detail["evidence_count"] == item["evidence_count"]
            assert detail["outlets_cited"] == item["outlets_cited"]
            found[(item["id"], None)] = item["evidence_count"]
            for outlet in item["outlets_cited"]:
                found[(item["id"], outlet["id"])] = outlet["evidence_count"]
        return found

    before = await counts()
    location = f"/commitments/{fact['id']}"
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "A test.", etag)).status_code == 200
    after = await counts()
    expected = dict(before)
    for (source, outlet), n in quoted.items():
        expected[(source, None)] -= n
        if outlet is not None:
            expected[(source, outlet)] -= n
    assert after == {k: v for k, v in expected.items() if v or k[1] is None}
