"""The audit log: every write leaves exactly one entry per changed entity, naming who (the
key's name), when, what (the full state before and after) and why; GET /changes serves it as
a cursor-paged feed with `since` (a change id or a timestamp) and filters."""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.curation import (
    KINDS,
    Curation,
    Kind,
    commitment_body,
    parse_time,
    plain_quotes,
    stated,
    wait_past,
)

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

# Snapshot columns (the database's names) that a read shows under another name.
RENAMED = {
    "nation_code": "nation",
    "condition_kind": "kind",
    "speaker_nation_code": "speaker_nation",
    "event_id": "event",
    "group_name": "group",
}
RENAMED_BACK = {read: column for column, read in RENAMED.items()}
TIMES = {"updated_at", "retracted_at", "created_at"}


def comparable(snapshot: dict[str, Any], read: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The fields that a fact's audit snapshot and its read (GET) both hold, each side in one
    form: the snapshot's column names mapped to the read's, outlets by id, times parsed."""
    snap: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for column, value in snapshot.items():
        name = RENAMED.get(column, column)
        if column == "kind" or name not in read:  # "kind" is the fact's kind, not a field
            continue
        if column == "evidence":
            shown[name] = [
                {**e, "outlet": e["outlet"]["id"] if e["outlet"] else None}
                for e in read["evidence"]
            ]
            renamed = [{**e, "source": e["source_id"], "outlet": e["outlet_id"]} for e in value]
            snap[name] = [{k: e[k] for k in read["evidence"][0]} for e in renamed]
        elif column == "gates":
            snap[name], shown[name] = value, [g["id"] for g in read["gates"]]
        elif name in TIMES:
            snap[name] = value and parse_time(value)
            shown[name] = read[name] and parse_time(read[name])
        else:
            snap[name], shown[name] = value, read[name]
    assert {"id", "summary", "version", "updated_at", "retracted_at", "evidence"} <= set(snap)
    return snap, shown


def assert_snapshot_is(snapshot: dict[str, Any] | None, read: dict[str, Any]) -> None:
    assert snapshot is not None
    snap, shown = comparable(snapshot, read)
    assert snap == shown


async def entries_of(
    curation: Curation, write: Awaitable[httpx.Response]
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """Make the write; return its response and the audit entries it left, each stamped
    while the write was being made."""
    seen = await curation.changes_total()
    started = dt.datetime.now(dt.UTC)
    response = await write
    finished = dt.datetime.now(dt.UTC)
    new = (await curation.changes())[seen:]
    for entry in new:
        assert started <= parse_time(entry["at"]) <= finished, (entry["at"], started)
    return response, new


# --- one entry per write ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_every_write_leaves_one_entry_with_who_what_and_why(
    curation: Curation, kind: Kind
) -> None:
    created, entries = await entries_of(
        curation,
        curation.client.post(
            kind.path, json={**kind.body, "reason": "New reporting."}, headers=curation.auth()
        ),
    )
    assert created.status_code == 201, created.text
    location, fact = created.headers["location"], created.json()
    [entry] = [e for e in entries if e["entity"] == "fact"]
    assert len(entries) == 1 + (kind.name == "membership")  # and the new nation
    assert {k: entry[k] for k in ("actor", "action", "entity_id", "reason", "before")} == {
        "actor": "alice",
        "action": "create",
        "entity_id": fact["id"],
        "reason": "New reporting.",
        "before": None,
    }
    assert_snapshot_is(entry["after"], (await curation.get(location)).json())
    assert parse_time(entry["at"]) == parse_time(fact["updated_at"])
    last_after = entry["after"]

    read_before = await curation.get(location)
    patched, entries = await entries_of(
        curation,
        curation.patch(
            location,
            {**kind.correction, "reason": "Misread the source."},
            read_before.headers["etag"],
            who="bob",
        ),
    )
    assert patched.status_code == 200, patched.text
    [entry] = entries
    assert {k: entry[k] for k in ("actor", "action", "entity", "entity_id", "reason")} == {
        "actor": "bob",
        "action": "update",
        "entity": "fact",
        "entity_id": fact["id"],
        "reason": "Misread the source.",
    }
    assert entry["before"] == last_after
    assert_snapshot_is(entry["before"], read_before.json())
    assert_snapshot_is(entry["after"], (await curation.get(location)).json())
    assert parse_time(entry["at"]) == parse_time(patched.json()["updated_at"])
    changed = {k for k, v in entry["after"].items() if v != entry["before"][k]}
    assert changed - {"version", "updated_at"} == {RENAMED_BACK.get(k, k) for k in kind.correction}
    last_after = entry["after"]

    etag = (await curation.get(location)).headers["etag"]
    retracted, entries = await entries_of(
        curation, curation.retract(location, "The article was withdrawn.", etag)
    )
    assert retracted.status_code == 200, retracted.text
    [entry] = entries
    assert {k: entry[k] for k in ("actor", "action", "entity", "entity_id", "reason")} == {
        "actor": "alice",
        "action": "retract",
        "entity": "fact",
        "entity_id": fact["id"],
        "reason": "The article was withdrawn.",
    }
    assert entry["before"] == last_after
    assert_snapshot_is(entry["after"], (await curation.get(location)).json())
    assert entry["after"]["retraction_reason"] == "The article was withdrawn."
    assert entry["after"]["evidence"] == entry["before"]["evidence"]
    assert [e["id"] for e in await curation.changes(entity_id=fact["id"])] == [
        e["id"] for e in await curation.changes() if e["entity_id"] == fact["id"]
    ]


async def test_the_snapshot_keeps_a_topic_and_a_nation(curation: Curation) -> None:
    """The audit keeps the full state, with the columns the comparison above renames."""
    by_name = {kind.name: kind for kind in KINDS}
    for name, column, field in [
        ("statement", "topic", "topic"),
        ("membership", "nation_code", "nation"),
    ]:
        created = await curation.create(by_name[name].path, by_name[name].body)
        [entry] = await curation.changes(entity="fact", entity_id=created.json()["id"])
        assert entry["after"][column] == by_name[name].body[field]


async def test_a_new_nation_and_a_new_source_are_audited(curation: Curation) -> None:
    text = "The Netherlands will contribute to the reassurance force for Ukraine, it said."
    posted, entries = await entries_of(
        curation,
        curation.client.post(
            "/sources", json={"title": "Dutch pledge", "text": text}, headers=curation.auth("root")
        ),
    )
    assert posted.status_code == 201, posted.text
    [entry] = entries
    source = (await curation.get(posted.headers["location"])).json()
    assert (entry["actor"], entry["action"], entry["entity"], entry["entity_id"]) == (
        "root",
        "create",
        "source",
        source["id"],
    )
    assert entry["before"] is None
    shared = set(entry["after"]) & set(source)
    assert {"id", "title", "text", "text_sha256", "origin", "created_at"} <= shared
    assert {k: entry["after"][k] for k in shared - TIMES} == {k: source[k] for k in shared - TIMES}
    assert parse_time(entry["after"]["created_at"]) == parse_time(source["created_at"])

    body = {
        "nation": "NL",
        "status": "member",
        "part": "guarantor",
        "basis": "named",
        "summary": "The Netherlands will contribute.",
        "evidence": [stated(source["id"], "The Netherlands will contribute")],
    }
    created, entries = await entries_of(
        curation, curation.client.post("/memberships", json=body, headers=curation.auth("bob"))
    )
    assert created.status_code == 201, created.text
    nation_entry, fact_entry = entries
    assert (nation_entry["entity"], nation_entry["entity_id"], nation_entry["actor"]) == (
        "nation",
        "NL",
        "bob",
    )
    nation = (await curation.get("/nations/NL")).json()
    assert nation_entry["after"] == {k: nation[k] for k in nation_entry["after"]}
    assert fact_entry["entity_id"] == created.json()["id"]
    assert nation_entry["at"] == fact_entry["at"]


async def test_refused_writes_leave_no_entry(curation: Curation) -> None:
    created = await curation.create("/commitments", commitment_body())
    location, etag = created.headers["location"], created.headers["etag"]
    before = await curation.changes_total()
    attempts: list[Callable[[], Awaitable[httpx.Response]]] = [
        lambda: curation.client.post(
            "/commitments", json=commitment_body(status="maybe"), headers=curation.auth()
        ),
        lambda: curation.client.post(
            "/commitments",
            json=commitment_body(evidence=[stated("article-a", "No such words here.")]),
            headers=curation.auth(),
        ),
        lambda: curation.patch(location, {"status": "hesitant"}, etag=None),
        lambda: curation.patch(location, {"status": "hesitant"}, etag='"stale"'),
        lambda: curation.retract(location, "No", etag),  # a reason too short
        lambda: curation.client.post(
            "/sources", json={"title": "Tiny", "text": "x" * 30}, headers=curation.auth()
        ),
    ]
    for attempt in attempts:
        response = await attempt()
        assert response.status_code in {403, 412, 422, 428}, response.text
    assert await curation.changes_total() == before


async def test_a_write_that_changes_nothing_leaves_no_entry(curation: Curation) -> None:
    created = await curation.create("/commitments", commitment_body())
    before = await curation.changes_total()
    response = await curation.patch(
        created.headers["location"],
        {"summary": created.json()["summary"], "reason": "Just checking."},
        created.headers["etag"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == created.json()["version"]
    assert await curation.changes_total() == before


async def test_the_seed_is_in_the_log(curation: Curation) -> None:
    entries = await curation.changes(actor="seed")
    facts = {e["entity_id"] for e in entries if e["entity"] == "fact"}
    assert facts == {f.id for f in curation.data.facts()}
    assert {e["entity_id"] for e in entries if e["entity"] == "source"} == set(curation.sources)
    assert {e["action"] for e in entries} == {"create"}
    assert len(entries) == await curation.changes_total()


# --- the feed --------------------------------------------------------------------------------


async def make_history(curation: Curation) -> list[str]:
    """A few writes by two curators, each strictly later than the one before: the ids of the
    commitments written."""
    ids = []
    quotes = plain_quotes(curation.sources["article-b"], 3)
    for i, quote in enumerate(quotes):
        who = ("alice", "bob")[i % 2]
        created = await curation.create(
            "/commitments", commitment_body(evidence=[stated("article-b", quote)]), who=who
        )
        ids.append(created.json()["id"])
        wait_past(parse_time(created.json()["updated_at"]))
        patched = await curation.patch(
            created.headers["location"], {"status": "considering"}, created.headers["etag"], who
        )
        assert patched.status_code == 200, patched.text
        wait_past(parse_time(patched.json()["updated_at"]))
    return ids


async def test_the_feed_is_oldest_first_and_pages_with_cursors(curation: Curation) -> None:
    await make_history(curation)
    everything = (await curation.get("/changes", limit=500)).json()
    assert everything["next_cursor"] is None
    feed = everything["items"]
    assert everything["total"] == len(feed)
    ids = [e["id"] for e in feed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    walked: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = (await curation.get("/changes", **params)).json()
        assert page["total"] == len(feed)
        assert len(page["items"]) <= 7
        walked += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert walked == feed
    assert await curation.changes() == feed


async def test_since_a_change_id(curation: Curation) -> None:
    await make_history(curation)
    feed = await curation.changes()
    for cut in (0, feed[0]["id"], feed[len(feed) // 2]["id"], feed[-2]["id"], feed[-1]["id"]):
        page = (await curation.get("/changes", since=str(cut), limit=500)).json()
        expected = [e for e in feed if e["id"] > cut]
        assert page["items"] == expected
        assert page["total"] == len(expected)


async def test_since_a_change_id_then_polling_sees_only_new_changes(curation: Curation) -> None:
    """What a polling dashboard does: remember the last id, ask for what came after."""
    last = (await curation.changes())[-1]["id"]
    assert (await curation.get("/changes", since=str(last))).json()["items"] == []
    created = await curation.create("/commitments", commitment_body())
    new = (await curation.get("/changes", since=str(last))).json()["items"]
    assert [(e["action"], e["entity_id"]) for e in new] == [("create", created.json()["id"])]


async def test_since_a_timestamp(curation: Curation) -> None:
    await make_history(curation)
    feed = await curation.changes()
    api_writes = [e for e in feed if e["actor"] != "seed"]
    for entry in [feed[0], *api_writes[::2]]:
        moment = parse_time(entry["at"])
        expected = [e for e in feed if parse_time(e["at"]) > moment]
        paris = moment.astimezone(dt.timezone(dt.timedelta(hours=2)))
        for spelled in (
            entry["at"],
            moment.isoformat(),
            moment.isoformat().replace("+00:00", "Z"),
            paris.isoformat(),  # the same instant with another offset
            moment.replace(tzinfo=None).isoformat(),  # no offset: UTC
        ):
            page = (await curation.get("/changes", since=spelled, limit=500)).json()
            assert page["items"] == expected, spelled
    before_everything = (parse_time(feed[0]["at"]) - dt.timedelta(days=1)).isoformat()
    assert await curation.changes(since=before_everything) == feed


async def test_filters(curation: Curation) -> None:
    ids = await make_history(curation)
    source = await curation.client.post(
        "/sources",
        json={"title": "Another text", "text": "A text long enough to be a source."},
        headers=curation.auth("root"),
    )
    assert source.status_code == 201, source.text
    feed = await curation.changes()
    cut = feed[len(feed) // 2]["id"]
    cases: list[tuple[dict[str, str], Any]] = [
        ({"entity": "fact"}, lambda e: e["entity"] == "fact"),
        ({"entity": "source"}, lambda e: e["entity"] == "source"),
        ({"entity": "nation"}, lambda e: e["entity"] == "nation"),
        ({"entity_id": ids[0]}, lambda e: e["entity_id"] == ids[0]),
        ({"actor": "alice"}, lambda e: e["actor"] == "alice"),
        ({"actor": "bob"}, lambda e: e["actor"] == "bob"),
        ({"actor": "root"}, lambda e: e["actor"] == "root"),
        ({"actor": "nobody"}, lambda e: False),
        (
            {"actor": "bob", "entity": "fact", "since": str(cut)},
            lambda e: e["actor"] == "bob" and e["entity"] == "fact" and e["id"] > cut,
        ),
    ]
    for params, keep in cases:
        expected = [e for e in feed if keep(e)]
        assert await curation.changes(**params) == expected, params
        assert (await curation.get("/changes", limit=1, **params)).json()["total"] == len(expected)
    assert len(await curation.changes(entity_id=ids[0])) == 2  # created, corrected


@pytest.mark.parametrize(
    "since", ["yesterday", "2025-13-01", "12abc", "-5", "2025-09-05T25:00:00Z", "1.5"]
)
async def test_an_unknown_since_format_is_422(curation: Curation, since: str) -> None:
    response = await curation.client.get("/changes", params={"since": since})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "since" in response.json()["detail"]


@pytest.mark.parametrize("params", [{"entity": "planet"}, {"cursor": "nonsense"}])
async def test_bad_feed_parameters_are_422(curation: Curation, params: dict[str, str]) -> None:
    response = await curation.client.get("/changes", params=params)
    assert response.status_code == 422, response.text
