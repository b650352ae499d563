"""`pledgedb synth`: a synthetic database FACTOR times the seed, run in process through the CLI
into scratch databases of the backend under test, then read back through the database and the
API. Expected values come from the fact files (the ``dataset`` fixture)."""

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sized
from pathlib import Path
from typing import Any

import httpx
import pycountry
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.config import Settings
from app.facts.files import Dataset
from app.facts.verify import SourceRef, locate
from app.main import create_app
from app.schemas.bodies import EvidenceIn
from app.schemas.common import EMBEDDED_LIMIT
from app.store import migrations
from app.store.engine import make_engine
from app.store.models import (
    Change,
    Commitment,
    Condition,
    Event,
    Evidence,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
    condition_gates,
)
from app.vocab import CoalitionScope, Role, Status
from tests.conftest import scratch_database
from tests.curation import dump
from tests.helpers import walk_link, walk_pages

FACTOR = 3
SEED = 7


def synth(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["synth", "--database-url", url, *args])


@pytest.fixture(scope="module")
def synth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(tmp_path_factory.mktemp("synth")) as url:
        result = synth(url, "--factor", str(FACTOR), "--seed", str(SEED))
        assert result.exit_code == 0, result.output
        assert "synthetic data written" in result.output
        yield url


@pytest.fixture(scope="module")
def synth_engine(synth_url: str) -> Iterator[Engine]:
    engine = make_engine(synth_url)
    yield engine
    engine.dispose()


def count(engine: Engine, what: Any) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(what)) or 0


def test_counts_scale_with_the_factor(synth_engine: Engine, dataset: Dataset) -> None:
    scaled: dict[Any, Sized] = {
        Source: dataset.sources, Outlet: dataset.outlets, Event: dataset.events,
        Commitment: dataset.commitments, Condition: dataset.conditions,
        Statement: dataset.statements,
    }  # fmt: skip
    for model, seed_rows in scaled.items():
        assert count(synth_engine, model) == FACTOR * len(seed_rows), model
    gates = sum(len(c.gates) for c in dataset.conditions)
    assert count(synth_engine, condition_gates) == FACTOR * gates
    with synth_engine.connect() as conn:
        # Shaped like the seed: each copy has the seed's roles and statuses, and each fact the
        # number of quotes of the seed fact it copies.
        pairs = Counter(conn.execute(select(Commitment.role, Commitment.status)).tuples())
        seed_pairs = Counter((c.role, c.status) for c in dataset.commitments)
        assert pairs == Counter({pair: FACTOR * n for pair, n in seed_pairs.items()})
        quotes = dict(
            conn.execute(select(Evidence.fact_id, func.count()).group_by(Evidence.fact_id))
            .tuples()
            .all()
        )
        nations = conn.scalars(select(Nation.code)).all()
        memberships = conn.scalars(select(Membership.nation_code)).all()
    # Each non-membership seed fact has FACTOR copies, each quoted as often as the original.
    membership_ids = {m.id for m in dataset.memberships}
    seed_quotes = {f.id: len(f.evidence) for f in dataset.facts() if f.id not in membership_ids}
    copied = {k: n for k, n in quotes.items() if not k.startswith("syn-membership-")}
    assert copied == {
        f"syn-{k:05d}-{fact_id}": n for k in range(FACTOR) for fact_id, n in seed_quotes.items()
    }
    # Nations are real ISO countries, more than the seed's, each with one membership.
    assert len(nations) > len(dataset.nations)
    assert all(pycountry.countries.get(alpha_2=code) for code in nations)
    assert sorted(memberships) == sorted(nations)


def test_every_quote_stands_at_its_offsets_in_its_source(synth_engine: Engine) -> None:
    with synth_engine.connect() as conn:
        sources = {s.id: s for s in conn.execute(select(Source))}
        evidence = conn.execute(select(Evidence)).all()
        statements = conn.execute(select(Statement)).all()
        first_quotes = dict(
            conn.execute(select(Evidence.fact_id, Evidence.quote).where(Evidence.position == 1))
            .tuples()
            .all()
        )
    for source in sources.values():
        assert source.text_sha256 == hashlib.sha256(source.text.encode()).hexdigest()
    assert len(evidence) > 0
    for e in evidence:
        source = sources[e.source_id]
        assert source.text[e.start : e.end] == e.quote
        # The project's own verifier finds each quote there, once, with its hedge rules.
        claim = EvidenceIn(
            source=e.source_id,
            quote=e.quote,
            outlet=e.outlet_id,
            certainty=e.certainty,
            hedge=e.hedge.split(", ") if e.hedge else None,
        )
        located, problem = locate(e.fact_id, e.position, claim, SourceRef(source.id, source.text))
        assert problem is None
        assert located is not None
        assert (located.start, located.end, located.line) == (e.start, e.end, e.line)
    all_text = "\n".join(s.text for s in sources.values())
    for st in statements:
        assert st.text in first_quotes[st.id]
        assert st.speaker in all_text


def test_everything_is_marked_synthetic(synth_engine: Engine) -> None:
    with synth_engine.connect() as conn:
        facts = conn.execute(select(Fact.id, Fact.origin, Fact.summary)).all()
        sources = conn.execute(select(Source.origin, Source.url, Source.text)).all()
        outlets = conn.scalars(select(Outlet.url)).all()
    assert {origin for _, origin, _ in facts} == {"synthetic"}
    assert all(fid.startswith("syn-") for fid, _, _ in facts)
    assert all(summary.startswith("Synthetic") for _, _, summary in facts)
    assert {origin for origin, _, _ in sources} == {"synthetic"}
    assert all(url.startswith("https://synthetic.invalid/") for _, url, _ in sources)
    assert all(text.startswith("SYNTHETIC TEXT") for _, _, text in sources)
    assert all(url is not None and url.startswith("https://synthetic.invalid/") for url in outlets)


def test_refuses_a_database_that_holds_rows(database_url: str) -> None:
    before = dump(database_url)
    result = synth(database_url, "--factor", "1")
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert "sources" in result.output
    assert dump(database_url) == before


def test_a_migrated_empty_database_is_accepted(tmp_path: Path) -> None:
    """Rows the migrations write themselves (bookkeeping) do not count as data."""
    with scratch_database(tmp_path) as url:
        migrations.upgrade(url)
        result = synth(url, "--factor", "1")
        assert result.exit_code == 0, result.output
        engine = make_engine(url)
        assert count(engine, Commitment) > 0
        engine.dispose()


def test_the_same_seed_gives_the_same_data(tmp_path: Path) -> None:
    contents = []
    for seed in (1, 1, 2):
        with scratch_database(tmp_path) as url:
            assert synth(url, "--factor", "1", "--seed", str(seed)).exit_code == 0
            engine = make_engine(url)
            with engine.connect() as conn:
                contents.append(
                    (
                        conn.execute(select(Source.id, Source.text).order_by(Source.id)).all(),
                        conn.execute(select(Evidence.id, Evidence.quote, Evidence.start)).all(),
                    )
                )
            engine.dispose()
    assert contents[0] == contents[1]
    assert contents[0][0] != contents[2][0]


@pytest.fixture
async def synth_client(synth_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=synth_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    app.state.engine.dispose()


@pytest.mark.anyio
async def test_list_endpoints_walk_every_row_once(
    synth_client: httpx.AsyncClient, synth_engine: Engine
) -> None:
    with synth_engine.connect() as conn:
        expected = {
            "/commitments": conn.scalars(select(Commitment.id)).all(),
            "/conditions": conn.scalars(select(Condition.id)).all(),
            "/statements": conn.scalars(select(Statement.id)).all(),
            "/events": conn.scalars(select(Event.id)).all(),
            "/memberships": conn.scalars(select(Membership.id)).all(),
            "/sources": conn.scalars(select(Source.id)).all(),
            "/nations": conn.scalars(select(Nation.code)).all(),
        }
        training = conn.scalars(select(Commitment.id).where(Commitment.role == "training")).all()
    for path, ids in expected.items():
        items = await walk_pages(synth_client, path, 7)
        seen = [item["code" if path == "/nations" else "id"] for item in items]
        assert len(seen) == len(set(seen)), path
        assert sorted(seen) == sorted(ids), path
    items = await walk_pages(synth_client, "/commitments", 5, role="training")
    assert sorted(i["id"] for i in items) == sorted(training)
    sources = await walk_pages(synth_client, "/sources", 50)
    assert {s["origin"] for s in sources} == {"synthetic"}
    assert sum(s["evidence_count"] for s in sources) == count(synth_engine, Evidence)


def without_as_of(value: Any) -> Any:
    """A past answer with its links as the live answer gives them (links keep ``as_of``)."""
    if isinstance(value, dict):
        return {k: without_as_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_as_of(v) for v in value]
    if isinstance(value, str) and "as_of=" in value:
        url = httpx.URL(value)
        return str(url.copy_with(params=url.params.remove("as_of")))
    return value


@pytest.mark.anyio
async def test_synthetic_data_is_audited_so_as_of_rebuilds_it(
    synth_client: httpx.AsyncClient, synth_engine: Engine
) -> None:
    facts, nations, sources = (count(synth_engine, t) for t in (Fact, Nation, Source))
    outlets = count(synth_engine, Outlet)
    with synth_engine.connect() as conn:
        entries = Counter(conn.execute(select(Change.entity, Change.actor, Change.action)).all())
        written = conn.scalar(select(func.max(Change.at)))
    assert entries == {
        ("fact", "synth", "create"): facts,
        ("nation", "synth", "create"): nations,
        ("source", "synth", "create"): sources,
        ("outlet", "synth", "create"): outlets,
    }
    assert written is not None
    after = (written + dt.timedelta(seconds=1)).isoformat()
    before = (written - dt.timedelta(seconds=1)).isoformat()
    asked: list[tuple[str, dict[str, str | int]]] = [
        ("/nations/DE", {}), ("/commitments", {"limit": 50, "sort": "-id"}), ("/summary", {}),
        ("/sources", {}),
    ]  # fmt: skip
    for path, params in asked:
        live = await synth_client.get(path, params=params)
        past = await synth_client.get(path, params={**params, "as_of": after})
        assert live.status_code == past.status_code == 200, (path, past.text)
        assert without_as_of(past.json()) == live.json(), path
    empty = await synth_client.get("/commitments", params={"as_of": before})
    assert empty.status_code == 200 and empty.json()["total"] == 0
    feed = await synth_client.get("/changes", params={"limit": 1})
    assert feed.json()["total"] == facts + nations + sources + outlets


# Enough copies that some nations hold more own commitments, and the coalition more of a role,
# than a nation page embeds (app.schemas.nations.EMBEDDED_LIMIT).
LARGE_FACTOR = 300


@pytest.fixture(scope="module")
def large_synth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(tmp_path_factory.mktemp("large-synth")) as url:
        result = synth(url, "--factor", str(LARGE_FACTOR), "--seed", str(SEED))
        assert result.exit_code == 0, result.output
        yield url


@pytest.mark.anyio
async def test_a_nation_page_embeds_at_most_its_limit_and_says_how_many_there_are(
    large_synth_url: str,
) -> None:
    app = create_app(Settings(database_url=large_synth_url))
    engine = make_engine(large_synth_url)
    transport = httpx.ASGITransport(app=app)
    # What a role filter takes by default: the nation will or may do it.
    not_ruled_out = {Status.pledged, Status.open_to, Status.considering, Status.pending}
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    Commitment.id,
                    Commitment.nation_code,
                    Commitment.coalition_scope,
                    Commitment.role,
                    Commitment.status,
                    Commitment.exclusive,
                )
            ).all()
            member_codes = set(
                conn.scalars(
                    select(Membership.nation_code).where(Membership.status == "member")
                ).all()
            )
        own: dict[str | None, list[Any]] = {}
        for row in rows:
            own.setdefault(row.nation_code, []).append(row)
        coalition = sorted(
            r.id
            for r in rows
            if r.nation_code is None and r.role is Role.training and r.status in not_ruled_out
        )
        assert len(coalition) > EMBEDDED_LIMIT
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/nations", params={"role": "training", "limit": 100})
            assert response.status_code == 200, response.text
            body = response.json()
            assert [c["id"] for c in body["coalition_commitments"]] == coalition[:EMBEDDED_LIMIT]
            assert body["coalition_commitments_total"] == len(coalition)
            everyone = await walk_link(client, body["coalition_commitments_all"], 100)
            assert sorted(c["id"] for c in everyone) == coalition

            cut = 0
            for item in body["items"]:
                mine = own[item["code"]]
                # Those that match the filter first, then by id.
                expected = sorted(
                    mine,
                    key=lambda r: (
                        not (r.role is Role.training and r.status in not_ruled_out),
                        r.id,
                    ),
                )[:EMBEDDED_LIMIT]
                assert [r["commitment"] for r in item["roles"]] == [r.id for r in expected]
                assert item["roles_total"] == len(mine)
                assert item["matched_via"] == "nation"
                cut += len(mine) > EMBEDDED_LIMIT
            assert cut, "some nation has more commitments than a page embeds"

            response = await client.get(
                "/nations", params={"include_coalition": "true", "membership": "member", "limit": 5}
            )
            whole = [r for r in rows if r.coalition_scope is CoalitionScope.whole]
            assert len(whole) > EMBEDDED_LIMIT
            for item in response.json()["items"]:
                assert item["code"] in member_codes
                assert len(item["roles"]) == EMBEDDED_LIMIT
                mine = own.get(item["code"], [])
                # Not against the member's own word (app.reads.inheritance).
                blocked = {r.role for r in mine if r.status in (Status.hesitant, Status.ruled_out)}
                limited_to = {r.role for r in mine if r.exclusive}
                inherited = [
                    r
                    for r in whole
                    if r.role not in blocked and (not limited_to or r.role in limited_to)
                ]
                assert item["roles_total"] == len(mine) + len(inherited)
                shown_own = [r for r in item["roles"] if r["via"] == "nation"]
                assert item["roles"][: len(shown_own)] == shown_own, "own roles come first"
    finally:
        app.state.engine.dispose()
        engine.dispose()
