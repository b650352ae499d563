"""The Frictionless Data Package: `pledgedb export DIR` and `GET /datapackage.json` with its CSVs,
validated by the `frictionless` library (zero errors), checked against the API's own answers,
with retracted facts left out, `as_of`, ETags and revision-pinned links."""

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import frictionless
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.schemas.commitments import CommitmentRead
from app.vocab import Certainty, Role, Status
from tests.curation import Curation, parse_time, wait_past
from tests.helpers import walk_pages
from tests.live_server import serving
from tests.processes import pledgedb
from tests.test_writes import NEW_SOURCE

pytest_plugins = ["tests.curation_fixtures"]
TABLES = [
    "nations", "sources", "outlets", "facts", "events", "memberships", "commitments",
    "conditions", "statements", "condition_gates", "evidence", "event_participants",
]  # fmt: skip
GATED = "coalition-troops"  # a commitment that conditions gate


def validate(path: str) -> frictionless.Report:
    report: frictionless.Report = frictionless.validate(path)
    errors = [e.message for task in report.tasks for e in task.errors] + [
        e.message for e in report.errors
    ]
    assert report.valid, errors[:10]
    assert errors == []
    assert [task.name for task in report.tasks] == TABLES
    return report


def export(url: str, folder: Path, *args: str) -> Path:
    result = pledgedb("export", str(folder), *args, database_url=url, cwd=folder.parent)
    assert result.returncode == 0, result.stderr
    assert "data package written" in result.stdout
    return folder


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def exported(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(database_url, tmp_path_factory.mktemp("export") / "package")


def test_the_export_validates_with_zero_errors(exported: Path) -> None:
    report = validate(str(exported / "datapackage.json"))
    assert all(task.stats["rows"] > 0 for task in report.tasks)


def test_validation_catches_a_broken_reference_and_a_word_outside_the_vocabulary(
    exported: Path, tmp_path: Path
) -> None:
    """The schema is not decoration: a row that breaks it fails validation."""
    for column, bad, error in (("nation", "ZZ", "foreign-key"), ("role", "navy", "constraint")):
        copy = shutil.copytree(exported, tmp_path / column)
        table = rows((copy / "commitments.csv").read_text())
        row = next(r for r in table if r["nation"])
        row[column] = bad
        with (copy / "commitments.csv").open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(table)
        report = frictionless.validate(str(copy / "datapackage.json"))
        assert not report.valid
        found = {e.type for t in report.tasks for e in t.errors}
        assert any(error in kind for kind in found), found


@pytest.mark.anyio
async def test_the_tables_hold_what_the_api_answers(
    exported: Path, client: httpx.AsyncClient
) -> None:
    for table, path, key in (("commitments", "/commitments", "id"), ("nations", "/nations", "code"),
                             ("statements", "/statements", "id"), ("events", "/events", "id"),
                             ("memberships", "/memberships", "id")):  # fmt: skip
        items = await walk_pages(client, path, 500)
        exported_keys = [r[key] for r in rows((exported / f"{table}.csv").read_text())]
        assert len(exported_keys) == len(set(exported_keys))
        assert sorted(exported_keys) == sorted(i[key] for i in items), table
    commitments = {i["id"]: i for i in await walk_pages(client, "/commitments", 500)}
    for row in rows((exported / "commitments.csv").read_text()):
        item = commitments[row["id"]]
        assert (row["role"], row["status"], row["nation"], row["summary"]) == (
            item["role"], item["status"], item["nation"] or "", item["summary"],
        )  # fmt: skip
    evidence = rows((exported / "evidence.csv").read_text())
    by_fact: dict[str, list[dict[str, str]]] = {}
    for e in evidence:
        by_fact.setdefault(e["fact_id"], []).append(e)
    for fact_id, item in commitments.items():
        assert [e["quote"] for e in by_fact[fact_id]] == [e["quote"] for e in item["evidence"]]
        assert [e["outlet"] for e in by_fact[fact_id]] == [
            e["outlet"]["id"] if e["outlet"] else "" for e in item["evidence"]
        ]
    facts = rows((exported / "facts.csv").read_text())
    assert {f["id"] for f in facts} == {e["fact_id"] for e in evidence}


@pytest.mark.anyio
async def test_the_descriptor_says_what_each_column_is(
    exported: Path, client: httpx.AsyncClient
) -> None:
    package = json.loads((exported / "datapackage.json").read_text())
    assert package["name"] == "pledgedb"
    assert package["licenses"][0]["name"] == "MIT"
    assert "quotes remain their publishers'" in package["licenses"][0]["title"]
    titles = [s["title"] for s in (await client.get("/sources")).json()["items"]]
    assert [s["title"] for s in package["sources"]] == titles
    assert len(titles) == 2
    assert package["pledgedb"]["retracted_facts"] == "left out"
    assert isinstance(package["pledgedb"]["revision"], int)
    resources = {r["name"]: r for r in package["resources"]}
    assert list(resources) == TABLES
    assert all(r["path"] == f"{name}.csv" for name, r in resources.items())
    fields = {f["name"]: f for f in resources["commitments"]["schema"]["fields"]}
    assert fields["role"]["constraints"]["enum"] == [r.value for r in Role]
    assert fields["status"]["constraints"]["enum"] == [s.value for s in Status]
    assert fields["role"]["description"] == CommitmentRead.model_fields["role"].description
    evidence = {f["name"]: f for f in resources["evidence"]["schema"]["fields"]}
    assert evidence["certainty"]["constraints"]["enum"] == [c.value for c in Certainty]
    assert evidence["start"]["type"] == "integer"
    nations = {f["name"]: f for f in resources["nations"]["schema"]["fields"]}
    assert nations["nato"]["type"] == "boolean"
    assert resources["condition_gates"]["schema"]["primaryKey"] == ["condition_id", "commitment_id"]
    assert {"fields": "fact_id", "reference": {"resource": "facts", "fields": "id"}} in resources[
        "evidence"
    ]["schema"]["foreignKeys"]


def test_the_served_package_validates_and_matches_the_export(app: FastAPI, exported: Path) -> None:
    with serving(app) as live:
        validate(f"{live.base}/datapackage.json")
        package = httpx.get(f"{live.base}/datapackage.json", timeout=10).json()
        revision = package["pledgedb"]["revision"]
        for resource in package["resources"]:
            assert resource["path"] == f"datapackage/{resource['name']}.csv?revision={revision}"
            served = httpx.get(f"{live.base}/{resource['path']}", timeout=10)
            assert served.status_code == 200
            assert "content-length" not in served.headers  # streamed
            assert served.content == (exported / f"{resource['name']}.csv").read_bytes()


@pytest.mark.anyio
async def test_etags_304_and_a_stale_revision(client: httpx.AsyncClient) -> None:
    package = (await client.get("/datapackage.json")).json()
    revision = package["pledgedb"]["revision"]
    first = await client.get("/datapackage/evidence.csv", params={"revision": revision})
    assert first.status_code == 200
    tag = first.headers["etag"]
    again = await client.get("/datapackage/evidence.csv", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["etag"] == tag
    assert (await client.get("/datapackage/sources.csv")).headers["etag"] != tag
    stale = await client.get("/datapackage/evidence.csv", params={"revision": revision + 1})
    assert stale.status_code == 409
    assert "datapackage.json" in stale.json()["detail"]
    missing = await client.get("/datapackage/people.csv")
    assert missing.status_code == 422


async def save_served(client: httpx.AsyncClient, folder: Path, **params: str) -> dict[str, Any]:
    """The package as the API serves it, saved into ``folder`` with local paths."""
    package: dict[str, Any] = (await client.get("/datapackage.json", params=params)).json()
    folder.mkdir(parents=True)
    pinned = "as_of=" if params.get("as_of") else "revision="
    for resource in package["resources"]:
        assert pinned in resource["path"]
        response = await client.get(f"/{resource['path']}")
        assert response.status_code == 200, response.text
        (folder / f"{resource['name']}.csv").write_bytes(response.content)
        resource["path"] = f"{resource['name']}.csv"
    (folder / "datapackage.json").write_text(json.dumps(package))
    return package


@pytest.mark.anyio
async def test_retracted_facts_are_left_out_and_as_of_brings_them_back(
    curation: Curation, tmp_path: Path
) -> None:
    before = await curation.get(f"/commitments/{GATED}")
    moment = parse_time(before.json()["updated_at"])
    wait_past(moment)
    taken = (await curation.get("/datapackage.json")).json()["pledgedb"]["revision"]
    old_tag = (await curation.client.get("/datapackage/commitments.csv")).headers["etag"]
    response = await curation.retract(
        f"/commitments/{GATED}", "The source corrected its report.", before.headers["etag"]
    )
    assert response.status_code == 200, response.text

    now = await save_served(curation.client, tmp_path / "now")
    validate(str(tmp_path / "now" / "datapackage.json"))
    assert now["pledgedb"]["revision"] > taken
    commitments = rows((tmp_path / "now" / "commitments.csv").read_text())
    assert GATED not in {r["id"] for r in commitments}
    assert not [r for r in rows((tmp_path / "now" / "evidence.csv").read_text())
                if r["fact_id"] == GATED]  # fmt: skip
    assert GATED not in {r["commitment_id"] for r in
                         rows((tmp_path / "now" / "condition_gates.csv").read_text())}  # fmt: skip
    assert (await curation.client.get("/datapackage/commitments.csv")).headers["etag"] != old_tag
    stale = await curation.client.get("/datapackage/commitments.csv", params={"revision": taken})
    assert stale.status_code == 409
    retractions = await curation.changes(entity_id=GATED)
    assert retractions[-1]["action"] == "retract"

    then = await save_served(curation.client, tmp_path / "then", as_of=moment.isoformat())
    validate(str(tmp_path / "then" / "datapackage.json"))
    assert then["pledgedb"]["as_of"] == moment.isoformat()
    assert GATED in {r["id"] for r in rows((tmp_path / "then" / "commitments.csv").read_text())}
    exported = export(curation.url, tmp_path / "exported", "--as-of", moment.isoformat())
    validate(str(exported / "datapackage.json"))
    assert (exported / "commitments.csv").read_bytes() == (
        tmp_path / "then" / "commitments.csv"
    ).read_bytes()


@pytest.mark.anyio
async def test_the_articles_are_read_again_only_after_a_write_to_the_sources(
    curation: Curation,
) -> None:
    """The descriptor's list of articles is kept past writes that touch no source (at 1,000x
    the seed it is read among 2,000 sources), and read again after one that does."""
    engine = curation.app.state.engine

    async def package_and_article_reads() -> tuple[dict[str, Any], int]:
        reads: list[str] = []

        def log(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "FROM sources" in statement and "sources.title" in statement:
                reads.append(statement)

        event.listen(engine, "before_cursor_execute", log)
        try:
            package = (await curation.get("/datapackage.json")).json()
        finally:
            event.remove(engine, "before_cursor_execute", log)
        return package, len(reads)

    def titles(package: dict[str, Any]) -> list[str]:
        return [s["title"] for s in package["sources"]]

    before, _ = await package_and_article_reads()
    commitment = (await curation.get("/commitments", limit=1)).json()["items"][0]["id"]
    location = f"/commitments/{commitment}"
    etag = (await curation.get(location)).headers["etag"]
    corrected = await curation.patch(
        location, {"summary": "A corrected summary.", "reason": "A test."}, etag
    )
    assert corrected.status_code == 200, corrected.text
    after_fact, reads = await package_and_article_reads()
    assert reads == 0
    assert after_fact["pledgedb"]["revision"] == before["pledgedb"]["revision"] + 1
    assert titles(after_fact) == titles(before)
    revision = after_fact["pledgedb"]["revision"]
    assert all(f"revision={revision}" in r["path"] for r in after_fact["resources"])

    await curation.create("/sources", NEW_SOURCE, who="root")
    after_source, reads = await package_and_article_reads()
    assert reads == 1
    assert sorted(titles(after_source)) == sorted([*titles(before), NEW_SOURCE["title"]])
