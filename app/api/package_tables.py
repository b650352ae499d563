"""The tables of the data package (app.api.datapackage): for each, its columns (what each
reads and what it means: the read schemas' own descriptions), its primary key and its references,
and the query of its standing rows. Types and vocabularies come from the models' column types."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Boolean, ColumnElement, Date, Integer, Select, case, select
from sqlalchemy import Enum as SAEnum

from app.schemas.commitments import CommitmentRead
from app.schemas.common import EvidenceRead, FactMeta
from app.schemas.conditions import ConditionRead
from app.schemas.events import EventRead, Participant
from app.schemas.nations import MembershipRead, NationItem
from app.schemas.sources import OutletCited, SourceDetail
from app.schemas.statements import StatementRead
from app.store.columns import UTCDateTime
from app.store.models import (
    Commitment,
    Condition,
    Event,
    Evidence,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
    condition_gates,
)
from app.store.visibility import FACTS, STANDING, not_retracted


def described(model: type[BaseModel], name: str) -> str:
    """A read schema's description of one of its fields, so the API and the package say one
    thing (a KeyError on import when a schema loses the field)."""
    return model.model_fields[name].description or ""


@dataclass(frozen=True)
class Column:
    name: str
    expr: ColumnElement[Any] | None  # None: made by the table's `explode`
    description: str
    type: str = ""  # the Table Schema type; from the SQL type when empty


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Select[Any]  # the columns' values (or what `explode` makes them from)
    order: tuple[ColumnElement[Any], ...]  # the rows' primary key, for keyset batches
    key: tuple[str, ...]
    references: tuple[tuple[str, str, str], ...] = ()  # (column, table, that table's column)
    explode: Callable[[Sequence[Any]], Iterable[Sequence[Any]]] | None = None

    def schema(self) -> dict[str, Any]:
        return {
            "fields": [_field(c, c.name in self.key) for c in self.columns],
            "missingValues": [""],
            "primaryKey": list(self.key),
            "foreignKeys": [
                {"fields": column, "reference": {"resource": table, "fields": target}}
                for column, table, target in self.references
            ],
        }


def _field(column: Column, in_key: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"name": column.name, "description": column.description}
    sql_type = column.expr.type if column.expr is not None else None
    constraints: dict[str, Any] = {}
    if column.type:
        found["type"] = column.type
    elif isinstance(sql_type, SAEnum) and sql_type.enum_class is not None:
        found["type"] = "string"
        constraints["enum"] = [m.value for m in sql_type.enum_class]
    elif isinstance(sql_type, Boolean):
        found["type"] = "boolean"
    elif isinstance(sql_type, Integer | BigInteger):
        found["type"] = "integer"
    elif isinstance(sql_type, UTCDateTime):
        found["type"] = "datetime"
    elif isinstance(sql_type, Date):
        found["type"] = "date"
    else:
        found["type"] = "string"
    nullable = getattr(column.expr, "nullable", True) if column.expr is not None else True
    if in_key or not nullable:
        constraints["required"] = True
    if constraints:
        found["constraints"] = constraints
    return found


def _of(model: type[BaseModel], *names: str) -> dict[str, str]:
    return {name: described(model, name) for name in names}


def _columns(
    pairs: Iterable[tuple[str, ColumnElement[Any]]], text: dict[str, str]
) -> tuple[Column, ...]:
    return tuple(Column(name, expr, text[name]) for name, expr in pairs)


def _fact_table(
    name: str,
    title: str,
    model: Any,
    read: type[BaseModel],
    pairs: list[tuple[str, ColumnElement[Any]]],
    text: dict[str, str],
    references: tuple[tuple[str, str, str], ...] = (),
) -> Table:
    """A table of one kind of fact: its columns, then the summary, standing facts only."""
    pairs = [("id", model.__table__.c.id), *pairs, ("summary", FACTS.c.summary)]
    text = {"id": described(read, "id"), "summary": described(read, "summary"), **text}
    columns = _columns(pairs, text)
    kind_id = model.__table__.c.id
    rows = (
        select(*[c.expr.label(c.name) for c in columns if c.expr is not None])
        .join_from(model.__table__, FACTS, FACTS.c.id == kind_id)
        .where(STANDING)
    )
    return Table(
        name, title, columns, rows, (kind_id,), ("id",), (("id", "facts", "id"), *references)
    )


def _plain_table(
    name: str, title: str, pairs: list[tuple[str, ColumnElement[Any]]], text: dict[str, str],
    key: tuple[str, ...], references: tuple[tuple[str, str, str], ...] = (),
    where: tuple[ColumnElement[bool], ...] = (),
) -> Table:  # fmt: skip
    columns = _columns(pairs, text)
    exprs = dict(pairs)
    rows = select(*[c.expr.label(c.name) for c in columns if c.expr is not None]).where(*where)
    return Table(name, title, columns, rows, tuple(exprs[k] for k in key), key, references)


def _participants(row: Sequence[Any]) -> Iterator[Sequence[Any]]:
    event_id, participants = row
    for position, person in enumerate(participants or [], start=1):
        yield (event_id, position, person.get("name"), person.get("nation"))


n, s, o, e = Nation.__table__.c, Source.__table__.c, Outlet.__table__.c, Evidence.__table__.c
ev, m = Event.__table__.c, Membership.__table__.c
cm, cd, st = Commitment.__table__.c, Condition.__table__.c, Statement.__table__.c
gates = condition_gates.c
TO_NATION = ("nations", "code")
TABLES: tuple[Table, ...] = (
    _plain_table(
        "nations", "Nations in the story",
        [(k, n[k]) for k in ("code", "alpha3", "name", "official_name", "nato", "eu", "region")],
        _of(NationItem, "code", "alpha3", "name", "official_name", "nato", "eu", "region"),
        key=("code",),
    ),
    _plain_table(
        "sources", "The source texts (their full text: evidence offsets index into it)",
        [(k, s[k]) for k in (
            "id", "title", "publisher", "published", "url", "note", "document",
            "document_sha256", "first_line", "last_line", "start_char", "end_char",
            "text_sha256", "origin", "created_at", "text",
        )],
        _of(SourceDetail, "id", "title", "publisher", "published", "url", "note", "document",
            "document_sha256", "first_line", "last_line", "start_char", "end_char",
            "text_sha256", "origin", "created_at", "text"),
        key=("id",),
    ),
    _plain_table(
        "outlets", "News outlets the sources attribute claims to",
        [("id", o.id), ("name", o.name), ("url", o.url)], _of(OutletCited, "id", "name", "url"),
        key=("id",),
    ),
    _plain_table(
        "facts", "Every standing fact: its kind (the table that holds it) and its bookkeeping",
        [("id", FACTS.c.id), ("kind", FACTS.c.kind), ("origin", FACTS.c.origin),
         ("version", FACTS.c.version), ("created_at", FACTS.c.created_at),
         ("updated_at", FACTS.c.updated_at)],
        {"id": "Stable id of the fact; its row in the table of its kind has the same id.",
         "kind": "Which table holds the fact: events, memberships, commitments, conditions or "
         "statements (singular).",
         "origin": "How it was written: `seed` (the data files), `api`, `import` or "
         "`synthetic` (benchmark data only).",
         "created_at": "When the fact was first stored (UTC).",
         **_of(FactMeta, "version", "updated_at")},
        key=("id",), where=(STANDING,),
    ),
    _fact_table(
        "events", "Events: the summit and the call", Event, EventRead,
        [("kind", ev.event_kind), ("name", ev.name), ("date", ev.date), ("place", ev.place),
         ("pledging_nation_count", ev.pledging_nation_count)],
        _of(EventRead, "kind", "name", "date", "place", "pledging_nation_count"),
    ),
    _fact_table(
        "memberships", "Each nation's place in the story", Membership, MembershipRead,
        [("nation", m.nation_code), ("status", m.status), ("part", m.part), ("basis", m.basis),
         ("group", m.group_name)],
        _of(MembershipRead, "nation", "status", "part", "basis", "group"),
        (("nation", *TO_NATION),),
    ),
    _fact_table(
        "commitments", "Who does what: roles with status", Commitment, CommitmentRead,
        [("actor", cm.actor), ("nation", cm.nation_code), ("coalition_scope", cm.coalition_scope),
         ("role", cm.role), ("status", cm.status), ("location", cm.location),
         ("combat", cm.combat), ("group", cm.group_name)],
        {**_of(CommitmentRead, "actor", "nation", "coalition_scope", "role", "status",
               "location", "combat"),
         "group": "With coalition_scope some_members: the group the unnamed members come from, "
         "where the source says."},
        (("nation", *TO_NATION),),
    ),
    _fact_table(
        "conditions", "What must happen first, or stands in the way", Condition, ConditionRead,
        [("kind", cd.condition_kind), ("nature", cd.nature), ("nation", cd.nation_code)],
        _of(ConditionRead, "kind", "nature", "nation"),
        (("nation", *TO_NATION),),
    ),
    _fact_table(
        "statements", "People's statements, quoted or reported", Statement, StatementRead,
        [("speaker", st.speaker), ("speaker_title", st.speaker_title),
         ("speaker_nation", st.speaker_nation_code), ("mode", st.mode), ("text", st.text),
         ("topic", st.topic),
         # A statement at an event that was retracted is at no event here.
         ("event", case((not_retracted(st.event_id), st.event_id), else_=None))],
        _of(StatementRead, "speaker", "speaker_title", "speaker_nation", "mode", "text", "topic",
            "event"),
        (("speaker_nation", *TO_NATION), ("event", "events", "id")),
    ),
    _plain_table(
        "condition_gates", "Which commitments each condition gates",
        [("condition_id", gates.condition_id), ("commitment_id", gates.commitment_id)],
        {"condition_id": "Id of the condition.", "commitment_id": "Id of a commitment it gates."},
        key=("condition_id", "commitment_id"),
        references=(("condition_id", "conditions", "id"), ("commitment_id", "commitments", "id")),
        where=(not_retracted(gates.condition_id), not_retracted(gates.commitment_id)),
    ),
    _plain_table(
        "evidence", "The quotes behind each fact",
        [("id", e.id), ("fact_id", e.fact_id), ("position", e.position),
         ("source", e.source_id), ("quote", e.quote), ("start", e.start), ("end", e.end),
         ("line", e.line), ("outlet", e.outlet_id), ("certainty", e.certainty),
         ("hedge", e.hedge)],
        {**_of(EvidenceRead, "id", "source", "quote", "start", "end", "line", "certainty",
               "hedge"),
         "fact_id": "Id of the fact it supports (in `facts`, and in the table of its kind).",
         "position": "Its place among the fact's evidence (1-based, in curated order).",
         "outlet": "Id of the outlet the article attributes this to ('According to Reuters')."},
        key=("id",),
        references=(("fact_id", "facts", "id"), ("source", "sources", "id"),
                    ("outlet", "outlets", "id")),
        where=(not_retracted(e.fact_id),),
    ),
    Table(
        "event_participants", "People the sources place at each event",
        (Column("event_id", None, "Id of the event.", "string"),
         Column("position", None, "Their place in the list (1-based).", "integer"),
         Column("name", None, described(Participant, "name"), "string"),
         Column("nation", None, described(Participant, "nation"), "string")),
        select(ev.id, ev.participants).join(FACTS, FACTS.c.id == ev.id).where(
            STANDING
        ),
        (ev.id,), ("event_id", "position"),
        (("event_id", "events", "id"), ("nation", *TO_NATION)),
        explode=_participants,
    ),
)  # fmt: skip
BY_NAME = {t.name: t for t in TABLES}
