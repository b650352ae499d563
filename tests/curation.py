"""Helpers for the curation tests (writes, audit, history, import, concurrency): a client
wrapper over a private seeded database, table dumps, and valid bodies for each kind of fact.
The fixtures that build them are in tests/curation_fixtures.py."""

import datetime as dt
import hashlib
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, MetaData, inspect, select, text

from app.api.auth import create_key
from app.config import PROJECT_ROOT, Settings
from app.curation.seed import seed
from app.facts.files import Dataset
from app.facts.reading import read_yaml
from app.facts.wording import HEDGE_WORDS, overlapping, within, wording_of
from app.main import create_app
from app.schemas.sources import SourcesFile
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import Scope

CURATORS = ("alice", "bob")
SOURCES_FILE = SourcesFile.model_validate(read_yaml(PROJECT_ROOT / "data" / "sources.yaml"))
ADMIN = "root"
Dump = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


# --- the database ----------------------------------------------------------------------------


def seed_database(url: str, data: Dataset) -> None:
    """Migrate ``url`` to head and seed it from ``data``."""
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            seed(session, data)
    finally:
        engine.dispose()


def make_keys(url: str, curators: tuple[str, ...] = CURATORS, admin: str = ADMIN) -> dict[str, str]:
    """API keys by name: a curator key per name in ``curators`` and one admin key."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            keys = {name: create_key(session, name, Scope.curator) for name in curators}
            keys[admin] = create_key(session, admin, Scope.admin)
            session.commit()
    finally:
        engine.dispose()
    return keys


_reflected: dict[tuple[str, str | None, tuple[str, ...]], MetaData] = {}


def reflected(engine: Engine) -> MetaData:
    """The database's tables, reflected once per backend, schema revision and set of tables:
    every test database is a copy of a few such schemas, and reflecting one costs as much as
    reading it."""
    inspector = inspect(engine)
    names = tuple(sorted(inspector.get_table_names()))
    version = None
    if "alembic_version" in names:
        with engine.connect() as conn:
            version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    key = (engine.dialect.name, version, names)
    if key not in _reflected:
        meta = MetaData()
        meta.reflect(engine)
        _reflected[key] = meta
    return _reflected[key]


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as tuples in primary-key order."""
    with engine.connect() as conn:
        return {
            name: [
                tuple(row)
                for row in conn.execute(
                    select(table).order_by(*(table.primary_key.columns or table.columns))
                )
            ]
            for name, table in reflected(engine).tables.items()
        }


def keyed_rows(engine: Engine, skip: tuple[str, ...] = ()) -> Dump:
    """Every row of every table (but ``skip``), keyed by primary key."""
    result: Dump = {}
    with engine.connect() as conn:
        for name, table in reflected(engine).tables.items():
            if name in skip:
                continue
            key = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*key)).mappings()
            result[name] = {tuple(row[c.name] for c in key): dict(row) for row in rows}
    return result


def dump(url: str) -> Dump:
    """Every row of every table, keyed by primary key."""
    engine = make_engine(url)
    try:
        return keyed_rows(engine)
    finally:
        engine.dispose()


# --- the API ---------------------------------------------------------------------------------


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Curation:
    """A seeded private database, an app over it, keys, and an HTTP client."""

    url: str
    app: FastAPI
    client: httpx.AsyncClient
    keys: dict[str, str]
    data: Dataset
    sources: dict[str, str] = field(default_factory=dict)  # source id -> text

    def auth(self, who: str = "alice", **headers: str) -> dict[str, str]:
        return bearer(self.keys[who]) | {k.replace("_", "-"): v for k, v in headers.items()}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response

    async def create(self, path: str, body: dict[str, Any], who: str = "alice") -> httpx.Response:
        response = await self.client.post(path, json=body, headers=self.auth(who))
        assert response.status_code == 201, response.text
        return response

    async def patch(
        self, location: str, body: dict[str, Any], etag: str | None, who: str = "alice"
    ) -> httpx.Response:
        headers = self.auth(who) if etag is None else self.auth(who, if_match=etag)
        return await self.client.patch(location, json=body, headers=headers)

    async def retract(
        self, location: str, reason: str, etag: str | None, who: str = "alice"
    ) -> httpx.Response:
        headers = self.auth(who) if etag is None else self.auth(who, if_match=etag)
        return await self.client.post(
            f"{location}/retract", json={"reason": reason}, headers=headers
        )

    async def changes(self, **params: Any) -> list[dict[str, Any]]:
        """The whole audit feed (with the given filters), walked page by page."""
        items: list[dict[str, Any]] = []
        params = {"limit": 500, **params}
        while True:
            page = (await self.get("/changes", **params)).json()
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

    async def changes_total(self) -> int:
        total: int = (await self.get("/changes", limit=1)).json()["total"]
        return total

    async def state(self) -> tuple[int, Dump]:
        """What "nothing was written" is checked against: the audit total and every table."""
        return await self.changes_total(), dump(self.url)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@asynccontextmanager
async def curation_over(app: FastAPI, url: str, dataset: Dataset) -> AsyncIterator[Curation]:
    """A client of ``app`` over the seeded database ``url``, with keys; the app is closed after."""
    try:
        async with client_for(app) as client:
            yield Curation(
                url=url,
                app=app,
                client=client,
                keys=make_keys(url),
                data=dataset,
                sources={s.spec.id: s.text for s in dataset.sources},
            )
    finally:
        app.state.history.close()
        app.state.engine.dispose()


def curation_app(url: str) -> FastAPI:
    # Tests make many writes from one address; the rate limits have their own tests.
    return create_app(Settings(database_url=url, write_rate_per_minute=1_000_000))


# --- fact bodies -----------------------------------------------------------------------------


def stated(source: str, quote: str) -> dict[str, Any]:
    return {"source": source, "quote": quote, "certainty": "stated"}


def evidence_as_sent(read: dict[str, Any]) -> dict[str, Any]:
    """An evidence item of a read (GET) in the form a write takes it."""
    return {
        "source": read["source"],
        "quote": read["quote"],
        "certainty": read["certainty"],
        "outlet": read["outlet"]["id"] if read["outlet"] else None,
        "hedge": read["hedge"],
    }


def plain_quotes(text: str, n: int, min_length: int = 25) -> list[str]:
    """``n`` distinct sentences of ``text`` that occur once in it and carry no hedge word, in
    no sentence attributed to an outlet and no list under a hedged lead-in: each can be quoted
    as `stated` evidence without an `occurrence`."""
    found: list[str] = []
    wording = wording_of(text, tuple((o.id, o.name) for o in SOURCES_FILE.outlets))
    for line in text.splitlines():
        for sentence in re.split(r"(?<=[.:;!?])\s+", line):
            sentence = sentence.strip()
            start = text.find(sentence)
            if (
                len(sentence) >= min_length
                and text.count(sentence) == 1
                and not HEDGE_WORDS.search(sentence)
                and not overlapping(wording.attributions, start, start + len(sentence))
                and not within(wording.hedged_lists, start, start + len(sentence))
                and not any(sentence in f or f in sentence for f in found)
            ):
                found.append(sentence)
                if len(found) == n:
                    return found
    raise AssertionError(f"the text has fewer than {n} plain sentences")


def commitment_body(**overrides: Any) -> dict[str, Any]:
    """A valid new commitment: Italy's ceasefire monitoring outside Ukraine (article B)."""
    return {
        "actor": "nation",
        "nation": "IT",
        "role": "monitoring",
        "status": "pledged",
        "location": "outside_ukraine",
        "combat": "non_combat",
        "summary": "Italy limits its role to training and monitoring ceasefire agreements.",
        "evidence": [
            stated(
                "article-b",
                "Italy has limited its role to training and monitoring ceasefire agreements "
                "outside Ukraine",
            )
        ],
        **overrides,
    }


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def wait_past(moment: dt.datetime) -> None:
    """Bounded polling until the clock has moved past ``moment``, so that the next write is
    stamped strictly later."""
    for _ in range(1_000_000):
        if dt.datetime.now(dt.UTC) > moment:
            return
    raise AssertionError("the clock did not advance")


# --- the four kinds of fact the API writes ---------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    body: dict[str, Any]  # a valid create body
    correction: dict[str, Any]  # a valid PATCH that changes one field
    nation: str  # the nation the fact belongs to
    on_nation_page: str | None  # the list of GET /nations/{code} that shows it

    def __str__(self) -> str:
        return self.name


NEW_MEMBER = "PT"  # a nation the seed does not mention
KINDS = [
    Kind(
        name="membership",
        path="/memberships",
        body={
            "nation": NEW_MEMBER,
            "status": "potential",
            "part": "guarantor",
            "basis": "named",
            "summary": "Portugal is among the NATO allies in the coalition.",
            "evidence": [
                stated(
                    "article-a", "The coalition includes both NATO allies and non-NATO partners."
                )
            ],
        },
        correction={"status": "member"},
        nation=NEW_MEMBER,
        on_nation_page=None,  # the page *is* the membership's nation
    ),
    Kind(
        name="commitment",
        path="/commitments",
        body=commitment_body(),
        correction={"status": "considering"},
        nation="IT",
        on_nation_page="commitments",
    ),
    Kind(
        name="condition",
        path="/conditions",
        body={
            "kind": "parliamentary_approval",
            "nature": "precondition",
            "nation": "DE",
            "gates": ["de-troops-hesitant"],
            "summary": "Germany needs its parliament's consent before deploying troops.",
            "evidence": [
                stated(
                    "article-b",
                    "Many countries require formal legislative consent before deploying troops "
                    "or making security commitments.",
                )
            ],
        },
        correction={"nature": "obstacle"},
        nation="DE",
        on_nation_page="conditions",
    ),
    Kind(
        name="statement",
        path="/statements",
        body={
            "speaker": "Volodymyr Zelenskyy",
            "speaker_title": "President of Ukraine",
            "speaker_nation": "UA",
            "mode": "direct",
            "text": "The day the war ends must also be the day security begins.",
            "topic": "deployment-timing",
            "event": None,
            "summary": "Zelenskyy said security must begin the day the war ends.",
            "evidence": [
                {
                    "source": "article-a",
                    "quote": "“The day the war ends must also be the day security begins.”",
                    "outlet": "kyiv-post",  # "As Kyiv Post reported, …"
                    "certainty": "reported",
                }
            ],
        },
        correction={"speaker_title": "Ukrainian President"},
        nation="UA",
        on_nation_page="statements",
    ),
]


def expected_as_sent(body: dict[str, Any]) -> dict[str, Any]:
    """A create body as its read should echo it: every field but the reason, evidence items
    with their optional fields filled in."""
    shown = {k: v for k, v in body.items() if k != "reason"}
    shown["evidence"] = [{"outlet": None, "hedge": None} | e for e in body["evidence"]]
    return shown


def as_sent(read: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The fields ``keys`` of a read (GET) in the form of a create body."""
    view: dict[str, Any] = {}
    for key in keys:
        if key == "evidence":
            view[key] = [evidence_as_sent(e) for e in read["evidence"]]
        elif key == "gates":
            view[key] = [g["id"] for g in read["gates"]]
        else:
            view[key] = read.get(key, "<not in the read>")
    return view
