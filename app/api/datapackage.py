"""The whole database as a Frictionless Tabular Data Package: a `datapackage.json` describing one
CSV per table, with a Table Schema each (types, descriptions, primary and foreign keys, the
vocabularies as enum constraints). `pledgedb export DIR` writes it; the API serves it at
`/datapackage.json` (app.api.routers.datapackage).

The tables are normalised, one row per fact, so that a spreadsheet or pandas joins them by id:
every fact has a row in `facts` and one in the table of its kind (`commitments`, ...); its
quotes are rows of `evidence` (`fact_id`); an event's participants are rows of
`event_participants`, the commitments a condition gates rows of `condition_gates`.

Retracted facts are left out, as the API's lists leave them out: a newsroom publishes from what
it downloads, and a retracted claim must not reach a chart because someone forgot to filter on
a flag. Their evidence and gates go with them, and a statement placed at a retracted event has
no event. The audit log (`GET /changes`) keeps every retraction with its reason.

Each CSV is read in keyset batches by its primary key (constant memory; the caller may give the
connection back between batches). With a revision to hold to, every batch reads the data
revision in the same statement, and a write that lands during the read stops it (`DataChanged`)
rather than mixing two states in one file."""

import csv
import datetime as dt
import enum
import hashlib
import importlib.metadata
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.cursors import SortKey
from app.api.package_tables import TABLES, Table
from app.reads.per_revision import PerRevision
from app.store.models import Source
from app.store.revisions import READ_REVISION, writes_touch
from app.store.visibility import RETRACTED_LEFT_OUT
from app.vocab import Origin

BATCH = 1000
# Goes into every ETag: a release that writes the CSVs differently changes them.
VERSION = importlib.metadata.version("pledgedb")
LICENCE_TITLE = "MIT (code); quotes remain their publishers'"


class DataChanged(Exception):
    """A write landed while a table was being read: its rows would mix two states."""


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def table_rows(
    session: Session, table: Table, revision: int | None, release: bool = True
) -> Iterator[list[Sequence[Any]]]:
    """The table's rows, a batch at a time, in primary key order. ``revision``: the data
    revision the rows must belong to (None at `as_of`, whose past state does not change);
    ``release``: close the session between batches, giving its connection back."""
    sort = SortKey(list(table.order[:-1]), table.order[-1])
    stmt = table.rows
    if revision is not None:
        stmt = stmt.add_columns(READ_REVISION.scalar_subquery().label("_revision"))
    stmt = sort.ordered(stmt).execution_options(**{RETRACTED_LEFT_OUT: True})
    width = len(table.rows.selected_columns)
    after: list[Any] | None = None
    while True:
        batch = stmt if after is None else stmt.where(sort.after(after))
        rows = session.execute(batch.limit(BATCH)).all()
        if release:
            session.close()
        if rows and revision is not None and rows[0][width] != revision:
            raise DataChanged(
                f"{table.name}: the data changed while it was read (revision {revision} -> "
                f"{rows[0][width]}); read it again."
            )
        values = [row[:width] for row in rows]
        if table.explode is not None:
            values = [made for row in values for made in table.explode(row)]
        yield values
        if len(rows) < BATCH:
            return
        after = list(rows[-1][-len(table.order) :])


def _csv(rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue().encode()


def csv_chunks(
    session: Session, table: Table, revision: int | None, release: bool = True
) -> Iterator[bytes]:
    """The table as CSV (UTF-8, a header, RFC 4180 quoting), a batch per chunk."""
    yield _csv([[c.name for c in table.columns]])
    for rows in table_rows(session, table, revision, release):
        yield _csv(rows)


@dataclass(frozen=True)
class Taken:
    """When the package was taken: at a data revision (live), or at `as_of` (a past state,
    rebuilt from the audit log up to its last change)."""

    revision: int | None
    as_of: str | None = None
    last_change: int | None = None

    def token(self) -> str:
        if self.as_of is not None:
            return f"as_of:{self.last_change}"
        return f"revision:{self.revision}"


def etag(table: Table, taken: Taken) -> str:
    """A strong validator known before a byte is read: the same schema and the same state give
    the same CSV (rows in key order, values formatted one way)."""
    schema = orjson.dumps(table.schema(), option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(b"|".join([VERSION.encode(), schema, taken.token().encode()]))
    return '"' + digest.hexdigest()[:32] + '"'


# The articles among every source (2,000 at 1,000x the seed, all synthetic but the seed's two):
# read once, and again only after a write to the sources (the revision in every link changes
# with each write, so the descriptor itself cannot be kept past one).
ARTICLES: PerRevision[list[tuple[str, str | None]]] = PerRevision(max_entries=8)
_ARTICLES_READ = frozenset({"sources"})


def _articles(session: Session) -> list[tuple[str, str | None]]:
    return [
        (title, url)
        for title, url in session.execute(
            select(Source.title, Source.url)
            .where(Source.origin != Origin.synthetic)
            .order_by(Source.id)
        ).tuples()
    ]


def descriptor(session: Session, taken: Taken, path: Callable[[Table], str]) -> dict[str, Any]:
    """The datapackage.json of the package; ``path`` says where each table's CSV is."""
    articles = ARTICLES.get(
        session,
        "articles",
        lambda: _articles(session),
        touched_by=lambda entries: writes_touch(_ARTICLES_READ, entries),
    )
    return {
        "profile": "tabular-data-package",
        "name": "pledgedb",
        "title": "pledgedb: security guarantees pledged to Ukraine at the Paris summit of "
        "4 September 2025, with evidence",
        "description": "Nations, memberships, commitments, conditions, statements and events, "
        "each fact with its evidence: a verbatim quote from a source text, the outlet the "
        "article attributes it to, and its certainty (stated, reported or hedged). Tables join "
        "by id: `facts` lists every fact, the table of its kind holds its fields, `evidence` "
        "its quotes (`fact_id`). Retracted facts are left out (the API's /changes keeps them). "
        "Taken "
        + (f"as of {taken.as_of}" if taken.as_of else f"at data revision {taken.revision}")
        + ".",
        "version": VERSION,
        "keywords": ["Ukraine", "security guarantees", "Coalition of the Willing", "evidence"],
        "licenses": [
            {"name": "MIT", "title": LICENCE_TITLE, "path": "https://opensource.org/licenses/MIT"}
        ],
        "sources": [{"title": title, **({"path": url} if url else {})} for title, url in articles],
        "pledgedb": {
            "revision": taken.revision,
            "as_of": taken.as_of,
            "last_change": taken.last_change,
            "retracted_facts": "left out",
        },
        "resources": [
            {
                "name": table.name,
                "title": table.title,
                "profile": "tabular-data-resource",
                "path": path(table),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table.schema(),
            }
            for table in TABLES
        ],
    }


def write_package(session: Session, directory: Path, taken: Taken) -> dict[str, int]:
    """Write every table's CSV and the datapackage.json into ``directory``; rows per table."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in TABLES:
        counts[table.name] = 0
        with (directory / f"{table.name}.csv").open("wb") as out:
            out.write(_csv([[c.name for c in table.columns]]))
            for rows in table_rows(session, table, taken.revision, release=False):
                out.write(_csv(rows))
                counts[table.name] += len(rows)
    package = descriptor(session, taken, lambda t: f"{t.name}.csv")
    (directory / "datapackage.json").write_bytes(orjson.dumps(package, option=orjson.OPT_INDENT_2))
    return counts
