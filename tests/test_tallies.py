"""The counts of `/summary` and `/roles` (app.reads.tallies) are carried from one data revision to
the next by the audit entries of the writes between: after every kind of write they are what a
fresh process counts, and a write re-reads the facts it touched, not every commitment."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, update

from app.config import Settings
from app.main import create_app
from app.reads.tallies import TALLIES
from app.store.engine import make_engine
from app.store.models import Change, Commitment, DataRevision
from app.store.revisions import make_sessionmaker
from tests.curation import Curation, commitment_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.curation_fixtures"]

COUNTED = ("/summary", "/roles")


async def counts_agree(curation: Curation) -> dict[str, Any]:
    """The counts the app keeps, and the same asked of a fresh process: they must agree."""
    kept = {path: (await curation.get(path)).json() for path in COUNTED}
    fresh = create_app(Settings(database_url=curation.url, response_cache_entries=0))
    try:
        transport = httpx.ASGITransport(app=fresh)
        async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as other:
            for path in COUNTED:
                assert (await other.get(path)).json() == kept[path], path
    finally:
        fresh.state.engine.dispose()
    return kept


def touched(read: tuple[str, Any]) -> str | None:
    """The fact ids a read of commitments asks for by id; None when it reads them all."""
    statement, parameters = read
    if "commitments.id IN (" not in statement:
        return None
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return ",".join(p for p in values if isinstance(p, str) and "-" in p)


@contextmanager
def commitment_reads(curation: Curation) -> Iterator[list[tuple[str, Any]]]:
    """The tally's reads of commitments (statement and parameters) while the block runs."""
    engine = curation.app.state.engine
    reads: list[tuple[str, Any]] = []

    def log(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT commitments.id, commitments.role"):
            reads.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", log)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", log)


async def correct(curation: Curation, location: str, **fields: Any) -> None:
    etag = (await curation.get(location)).headers["etag"]
    response = await curation.patch(location, {**fields, "reason": "A test."}, etag)
    assert response.status_code == 200, response.text


async def retract(curation: Curation, location: str) -> None:
    etag = (await curation.get(location)).headers["etag"]
    assert (await curation.retract(location, "A test.", etag)).status_code == 200


async def test_audit_entries_carry_the_revision_whose_commit_wrote_them(curation: Curation) -> None:
    engine = curation.app.state.engine

    def revision_and_entries() -> tuple[int, dict[int, int | None]]:
        with engine.connect() as conn:
            revision = conn.scalar(select(DataRevision.revision))
            entries = dict(conn.execute(select(Change.id, Change.revision)).tuples().all())
        assert revision is not None
        return revision, entries

    start, before = revision_and_entries()
    assert before and all(r is not None and r <= start for r in before.values())
    await correct(curation, "/commitments/de-troops-hesitant", status="ruled_out")
    first, entries = revision_and_entries()
    await curation.create("/commitments", commitment_body())
    second, later = revision_and_entries()
    assert start < first < second
    assert {i: r for i, r in entries.items() if i not in before} == {max(entries): first}
    new = {i: r for i, r in later.items() if i not in entries}
    assert new and set(new.values()) == {second}


async def test_after_each_write_the_counts_are_a_fresh_process_s_reading_only_what_it_touched(
    curation: Curation,
) -> None:
    before = await counts_agree(curation)
    writes: list[tuple[str, Any]] = [
        (
            "de-troops-hesitant",
            correct(curation, "/commitments/de-troops-hesitant", status="ruled_out"),
        ),
        ("coalition-air", correct(curation, "/commitments/coalition-air", role="naval")),
        ("membership-au", retract(curation, "/memberships/membership-au")),
        ("membership-au", None),  # read again: nothing more changed, nothing is read
    ]
    for fact_id, write in writes:
        if write is not None:
            await write
        with commitment_reads(curation) as reads:
            after = await counts_agree(curation)
        if write is None:
            assert reads == [], fact_id
            continue
        # The app's own read after the write (the fresh process's is its own engine's): only
        # the touched fact.
        assert [touched(r) for r in reads] == [fact_id], reads
        assert after != before, fact_id
        before = after

    created = (await curation.create("/commitments", commitment_body())).json()["id"]
    await counts_agree(curation)
    await retract(curation, f"/commitments/{created}")
    await counts_agree(curation)


async def test_a_write_without_audit_entries_has_everything_counted_again(
    curation: Curation,
) -> None:
    """A revision with no audit entry (data written past the write core) cannot say what
    changed: the counts are read whole again, not carried, and so they are still right."""
    before = await counts_agree(curation)
    engine = make_engine(curation.url)  # another process's, as a script's would be
    try:
        with make_sessionmaker(engine)() as session:
            stmt = update(Commitment).where(Commitment.id == "de-troops-hesitant")
            session.execute(stmt.values(status="pledged"))
            session.commit()
    finally:
        engine.dispose()
    with commitment_reads(curation) as reads:
        after = await counts_agree(curation)
    assert after != before
    assert [touched(r) for r in reads] == [None], reads  # one whole read: the app's own


async def test_writes_that_come_together_each_tag_their_own_entries(curation: Curation) -> None:
    """Concurrent writes (PostgreSQL runs them side by side): each commit's entries carry its
    own revision, the revisions run without a gap, and the counts carried past them are a fresh
    process's."""
    engine = curation.app.state.engine
    await counts_agree(curation)
    with engine.connect() as conn:
        start = conn.scalar(select(DataRevision.revision))
        seen = conn.scalar(select(func.max(Change.id)))
    page = (await curation.get("/commitments", actor="nation", limit=12)).json()["items"]

    async def correct_one(fact_id: str) -> None:
        await correct(curation, f"/commitments/{fact_id}", summary=f"Corrected {fact_id}.")

    await asyncio.gather(*(correct_one(c["id"]) for c in page))
    with engine.connect() as conn:
        end = conn.scalar(select(DataRevision.revision))
        rows = conn.execute(select(Change.entity_id, Change.revision).where(Change.id > seen)).all()
    assert start is not None and end == start + len(page)
    assert sorted(r.revision for r in rows) == list(range(start + 1, end + 1))
    assert {r.entity_id for r in rows} == {c["id"] for c in page}
    await counts_agree(curation)


async def test_a_past_moment_keeps_no_tally_of_its_own(curation: Curation) -> None:
    """A tally holds every standing fact's part (20 MB at 1,000x the seed): the live database's
    is kept, a past state's is read for its answers, which are kept themselves."""
    TALLIES.clear()  # then only this test's engines keep any (no fresh process here)
    before = {"/summary": (await curation.get("/summary")).json()}
    moment = (await curation.get("/commitments/de-troops-hesitant")).json()["updated_at"]
    await correct(curation, "/commitments/de-troops-hesitant", status="ruled_out")
    past = (await curation.get("/summary", as_of=moment)).json()
    assert past["by_role"] == before["/summary"]["by_role"]  # before the correction
    assert (await curation.get("/summary")).json()["by_status"] != before["/summary"]["by_status"]
    assert TALLIES.held() == [1]
