"""The curator's path through the CLI, each step a `pledgedb` command (tests/processes.py)
against a private seeded database: `sources add` an article, `propose` its facts, `import` the
proposals unchanged; the imported facts carry the proposed evidence at the proposed offsets."""

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from app.cli.main import cli
from tests.curation import client_for, curation_app, dump
from tests.processes import pledgedb

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

ARTICLE = Path(__file__).parent / "articles" / "logistics_not_troops.txt"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


async def get(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_article_to_source_to_proposals_to_imported_facts(
    seeded_url: str, tmp_path: Path
) -> None:
    article = tmp_path / "article.txt"
    article.write_bytes(ARTICLE.read_bytes())
    added = ok(
        pledgedb(
            "sources",
            "add",
            str(article),
            "--id",
            "nl-hub",
            "--title",
            "Netherlands to run Ukraine supply hub",
            "--publisher",
            "Example Times",
            "--published",
            "2025-10-07",
            database_url=seeded_url,
            cwd=tmp_path,
        )
    )
    assert "source nl-hub stored" in added
    proposals = tmp_path / "proposals.yaml"
    ok(
        pledgedb(
            "propose",
            str(article),
            "--source-id",
            "nl-hub",
            "--published",
            "2025-10-07",
            "--database-url",
            seeded_url,
            "-o",
            str(proposals),
            database_url=seeded_url,
            cwd=tmp_path,
        )
    )
    proposed = yaml.safe_load(proposals.read_text(encoding="utf-8"))
    as_json = json.loads(
        ok(
            pledgedb(
                "propose",
                str(article),
                "--source-id",
                "nl-hub",
                "--published",
                "2025-10-07",
                "--database-url",
                seeded_url,
                "--json",
                database_url=seeded_url,
                cwd=tmp_path,
            )
        )
    )
    candidates = {c["fact"]["id"]: c for c in as_json["candidates"]}
    assert {c["fact"]["id"] for c in as_json["candidates"]} == {
        f["id"]
        for kind in ("memberships", "commitments", "conditions", "statements")
        for f in proposed.get(kind) or []
    }

    imported = ok(
        pledgedb("import", str(proposals), database_url=seeded_url, cwd=tmp_path)
    )  # unchanged

    assert imported.strip().endswith(f"imported: {len(candidates)} fact(s) changed")
    app = curation_app(seeded_url)
    try:
        async with client_for(app) as client:
            source = await get(client, "/sources/nl-hub")
            ruled_out = [
                c
                for c in candidates.values()
                if c["fact"].get("nation") == "NL" and c["fact"].get("role") == "troops"
            ]
            assert [c["fact"]["status"] for c in ruled_out] == ["ruled_out"]
            for fact_id, candidate in candidates.items():
                path = {
                    "membership": "memberships",
                    "commitment": "commitments",
                    "condition": "conditions",
                    "statement": "statements",
                }[candidate["kind"]]
                stored = await get(client, f"/{path}/{fact_id}")
                mine = [e for e in stored["evidence"] if e["source"] == "nl-hub"]
                assert [(e["quote"], e["start"], e["end"], e["line"]) for e in mine] == [
                    (e["quote"], e["start"], e["end"], e["line"]) for e in candidate["evidence"]
                ]
                for e in mine:
                    assert source["text"][e["start"] : e["end"]] == e["quote"]
    finally:
        app.state.history.close()
        app.state.engine.dispose()


async def test_sources_add_registers_the_outlets_the_article_cites(
    seeded_url: str, tmp_path: Path
) -> None:
    article = tmp_path / "afp.txt"
    article.write_text(
        "According to AFP, Portugal will send two frigates to the Black Sea mission.",
        encoding="utf-8",
    )
    out = ok(
        pledgedb(
            "sources",
            "add",
            str(article),
            "--title",
            "Portugal frigates",
            database_url=seeded_url,
            cwd=tmp_path,
        )
    )
    assert "outlets added: afp" in out
    proposals = tmp_path / "p.yaml"
    ok(
        pledgedb(
            "propose",
            str(article),
            "--source-id",
            "portugal-frigates",
            "--database-url",
            seeded_url,
            "-o",
            str(proposals),
            database_url=seeded_url,
            cwd=tmp_path,
        )
    )
    ok(pledgedb("import", str(proposals), database_url=seeded_url, cwd=tmp_path))
    app = curation_app(seeded_url)
    try:
        async with client_for(app) as client:
            [commitment] = (await get(client, "/commitments?nation=PT"))["items"]
            assert commitment["evidence"][0]["outlet"]["id"] == "afp"
    finally:
        app.state.history.close()
        app.state.engine.dispose()


async def test_a_text_that_differs_from_the_stored_source_is_refused(
    seeded_url: str, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Not the text of article-a at all, but long enough.", encoding="utf-8")
    before = dump(seeded_url)
    result = pledgedb(
        "propose",
        str(article),
        "--source-id",
        "article-a",
        "--database-url",
        seeded_url,
        database_url=seeded_url,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "stored with another text" in result.stderr
    assert dump(seeded_url) == before


async def test_the_same_text_twice_is_refused(seeded_url: str, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_bytes(ARTICLE.read_bytes())
    ok(
        pledgedb(
            "sources",
            "add",
            str(article),
            "--title",
            "First",
            database_url=seeded_url,
            cwd=tmp_path,
        )
    )
    again = pledgedb(
        "sources", "add", str(article), "--title", "Again", database_url=seeded_url, cwd=tmp_path
    )
    assert again.returncode == 1 and "already stored as source 'first'" in again.stderr


def test_without_a_database_the_relations_are_to_the_fact_files() -> None:
    """In process (typer's runner): no database is read, the seed's fact files are."""
    article = Path(__file__).parent / "articles" / "followup_reversal.txt"
    result = CliRunner().invoke(
        cli,
        ["propose", str(article), "--source-id", "later", "--published", "2025-09-20", "--json"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    relations = {
        (c["fact"].get("nation"), c["fact"].get("role"), c["relation"]["kind"])
        for c in body["candidates"]
    }
    assert ("IT", "troops", "contradicts") in relations
    assert body["relations"]["contradicts"] >= 2
