"""`pledgedb import FILE`, run through the CLI (tests/processes.py) against a private seeded
database: a batch in the fact files' format (with ids, and `retract: [{id, reason}]`) goes
through the same checks as the API, in one transaction, and the command prints what it
changed."""

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.facts.files import Dataset
from tests.curation import (
    client_for,
    commitment_body,
    curation_app,
    dump,
    plain_quotes,
    stated,
)
from tests.processes import pledgedb

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

BAD_QUOTE = "Italy has pledged a naval squadron to the Black Sea"


def run_import(
    database_url: str, batch: dict[str, Any], tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Write the batch to a YAML file and import it."""
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(batch, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return pledgedb("import", str(path), *options, database_url=database_url, cwd=tmp_path)


def report(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The fact lines of the command's output: fact id -> what happened to it."""
    assert result.returncode == 0, (result.stdout, result.stderr)
    *lines, last = result.stdout.strip().splitlines()
    changed = {}
    for line in lines:
        outcome, fact_id = line.split()
        changed[fact_id] = outcome
    assert last == f"imported: {len(changed)} fact(s) changed", result.stdout
    return changed


def new_commitment(fact_id: str, quote: str, **overrides: Any) -> dict[str, Any]:
    return {"id": fact_id, **commitment_body(evidence=[stated("article-b", quote)]), **overrides}


def as_file_fact(fact: Any, **changes: Any) -> dict[str, Any]:
    """A seeded fact in the files' format, with changes."""
    return {**fact.model_dump(mode="json", exclude_none=True), **changes}


@pytest.fixture
async def api(seeded_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the imported-into database, to see the result through the API."""
    app = curation_app(seeded_url)
    try:
        async with client_for(app) as client:
            yield client
    finally:
        app.state.history.close()
        app.state.engine.dispose()


async def changes(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await api.get("/changes", params={"limit": 500})
    assert response.status_code == 200 and response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def quotes(dataset: Dataset) -> list[str]:
    """Plain sentences of article B, for new commitments."""
    return plain_quotes(next(s.text for s in dataset.sources if s.spec.id == "article-b"), 3)


# --- a good batch ----------------------------------------------------------------------------


async def test_import_creates_updates_and_retracts_and_says_so(
    seeded_url: str, dataset: Dataset, api: httpx.AsyncClient, tmp_path: Path, quotes: list[str]
) -> None:
    updated = dataset.commitments[0]
    retracted = dataset.statements[0]
    batch = {
        "commitments": [
            new_commitment("it-monitoring-imported", quotes[0]),
            as_file_fact(updated, summary="A summary corrected by the import."),
        ],
        "retract": [{"id": retracted.id, "reason": "The quote was misattributed."}],
    }
    seen = len(await changes(api))

    result = run_import(
        seeded_url, batch, tmp_path, "--actor", "newsdesk", "--reason", "Batch 7 from the newsdesk."
    )

    assert report(result) == {
        "it-monitoring-imported": "created",
        updated.id: "updated",
        retracted.id: "retracted",
    }
    created = (await api.get("/commitments/it-monitoring-imported")).json()
    assert (created["status"], created["version"], created["evidence"][0]["quote"]) == (
        "pledged",
        1,
        quotes[0],
    )
    got = (await api.get(f"/commitments/{updated.id}")).json()
    assert got["summary"] == "A summary corrected by the import."
    assert got["version"] == 2
    gone = (await api.get(f"/statements/{retracted.id}")).json()
    assert gone["retraction_reason"] == "The quote was misattributed."
    listed = (await api.get("/statements", params={"limit": 500})).json()["items"]
    assert retracted.id not in {q["id"] for q in listed}
    # The audit log names the importer and why, one entry per fact.
    entries = (await changes(api))[seen:]
    assert sorted((e["entity_id"], e["action"]) for e in entries) == sorted(
        [("it-monitoring-imported", "create"), (updated.id, "update"), (retracted.id, "retract")]
    )
    assert {e["actor"] for e in entries} == {"newsdesk"}
    reasons = {e["entity_id"]: e["reason"] for e in entries}
    assert reasons[retracted.id] == "The quote was misattributed."
    assert reasons["it-monitoring-imported"] == reasons[updated.id] == "Batch 7 from the newsdesk."


async def test_a_second_run_changes_nothing(
    seeded_url: str, dataset: Dataset, api: httpx.AsyncClient, tmp_path: Path, quotes: list[str]
) -> None:
    batch = {
        "commitments": [
            new_commitment("it-monitoring-imported", quotes[0]),
            as_file_fact(dataset.commitments[0], summary="Corrected once."),
        ],
        "retract": [{"id": dataset.statements[0].id, "reason": "Misattributed."}],
    }
    assert len(report(run_import(seeded_url, batch, tmp_path))) == 3
    before = dump(seeded_url)

    again = run_import(seeded_url, batch, tmp_path)

    assert report(again) == {}
    assert again.stdout.strip() == "imported: 0 fact(s) changed"
    assert dump(seeded_url) == before


async def test_the_default_actor_is_import(
    seeded_url: str, api: httpx.AsyncClient, tmp_path: Path, quotes: list[str]
) -> None:
    batch = {"commitments": [new_commitment("it-monitoring-imported", quotes[0])]}
    report(run_import(seeded_url, batch, tmp_path))
    [entry] = [e for e in await changes(api) if e["entity_id"] == "it-monitoring-imported"]
    assert (entry["actor"], entry["action"], entry["reason"]) == ("import", "create", None)


async def test_a_membership_for_a_new_nation_imports_the_nation(
    seeded_url: str, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    assert (await api.get("/nations/PT")).status_code == 404
    membership = {
        "id": "membership-pt",
        "nation": "PT",
        "status": "potential",
        "part": "guarantor",
        "basis": "named",
        "summary": "Portugal is among the NATO allies.",
        "evidence": [stated("article-a", "The coalition includes both NATO allies")],
    }
    assert report(run_import(seeded_url, {"memberships": [membership]}, tmp_path)) == {
        "membership-pt": "created"
    }
    nation = (await api.get("/nations/PT")).json()
    assert (nation["alpha3"], nation["membership"]["id"]) == ("PRT", "membership-pt")


# --- a bad batch changes nothing -------------------------------------------------------------


BAD_ROWS = [
    ("quote-not-in-source", {"evidence": [stated("article-b", BAD_QUOTE)]}, BAD_QUOTE),
    (
        "hedge-word-in-a-stated-quote",
        {"evidence": [stated("article-a", "the group reportedly involves:")]},
        "reportedly",
    ),
    ("unknown-role", {"role": "cavalry"}, "role"),
    ("nation-without-membership", {"nation": "PT"}, "'PT'"),
    ("id-of-a-fact-of-another-kind", {"id": "membership-fr"}, "membership-fr"),
]


@pytest.mark.parametrize(("what", "fault", "said"), BAD_ROWS, ids=[r[0] for r in BAD_ROWS])
async def test_a_bad_fact_in_the_middle_leaves_the_database_untouched(
    seeded_url: str,
    dataset: Dataset,
    tmp_path: Path,
    quotes: list[str],
    what: str,
    fault: dict[str, Any],
    said: str,
) -> None:
    bad = new_commitment("it-bad-in-the-middle", quotes[1]) | fault
    batch = {
        "commitments": [
            new_commitment("it-good-first", quotes[0]),
            as_file_fact(dataset.commitments[0], summary="Would be corrected."),
            bad,
            new_commitment("it-good-last", quotes[2]),
        ],
        "retract": [{"id": dataset.statements[0].id, "reason": "Would be retracted."}],
    }
    before = dump(seeded_url)

    result = run_import(seeded_url, batch, tmp_path)

    assert result.returncode == 1, (what, result.stdout, result.stderr)
    assert dump(seeded_url) == before
    assert "imported:" not in result.stdout
    assert bad["id"] in result.stderr, (what, result.stderr)
    assert said in result.stderr, (what, result.stderr)
    assert "nothing was written" in result.stderr, result.stderr  # a message, not a traceback


async def test_a_retraction_of_an_unknown_fact_writes_nothing(
    seeded_url: str, dataset: Dataset, tmp_path: Path, quotes: list[str]
) -> None:
    """The facts are written before the retractions are looked at: the unknown id must roll
    them back."""
    batch = {
        "commitments": [
            new_commitment("it-good-first", quotes[0]),
            as_file_fact(dataset.commitments[0], summary="Would be corrected."),
        ],
        "retract": [
            {"id": dataset.statements[0].id, "reason": "Would be retracted."},
            {"id": "no-such-fact", "reason": "Does not exist."},
        ],
    }
    before = dump(seeded_url)

    result = run_import(seeded_url, batch, tmp_path)

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "no-such-fact" in result.stderr
    assert "imported:" not in result.stdout
    assert dump(seeded_url) == before


@pytest.mark.parametrize(
    ("batch", "said"),
    [
        ({"treaties": [{"id": "x"}]}, "treaties"),
        ({"commitments": {"id": "x"}}, "list"),
        ({"commitments": [{"id": "Not A Slug", **commitment_body()}]}, "id"),
    ],
    ids=["unknown-kind", "not-a-list", "bad-id"],
)
async def test_a_malformed_batch_writes_nothing(
    seeded_url: str, tmp_path: Path, batch: dict[str, Any], said: str
) -> None:
    before = dump(seeded_url)
    result = run_import(seeded_url, batch, tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert said in result.stderr
    assert dump(seeded_url) == before


async def test_the_same_id_twice_in_a_batch_writes_nothing(
    seeded_url: str, tmp_path: Path, quotes: list[str]
) -> None:
    twice = [new_commitment("it-twice", quotes[0]), new_commitment("it-twice", quotes[1])]
    before = dump(seeded_url)
    result = run_import(seeded_url, {"commitments": twice}, tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "it-twice" in result.stderr
    assert dump(seeded_url) == before
