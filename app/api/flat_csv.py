"""Chart-ready CSV of list items: one plain value per cell, never JSON.

The columns come from the item model, not from the rows, so an empty page, a page of coalition
commitments and a page of national ones all have the same header, and a field added to a read
schema (a `certainty`, a list of hedge words) reaches the CSV without more work. The rules:

- a plain field (text, number, boolean, date, vocabulary value) is one column; a nation code
  (`nation`, `speaker_nation`) gets the nation's name in the next column (`nation_name`);
- a nested object becomes its fields, prefixed (`outlet_id`, `outlet_name`);
- a list of plain values is one `;`-joined cell;
- the evidence becomes `evidence_count` and its first item as plain columns: `quote`,
  `quote_source`, `quote_outlet` (the outlet's name), `quote_certainty`, `quote_hedge`;
- any other list of objects becomes a `;`-joined cell of their ids (or names, sources, or
  vocabulary values: `training:pledged`) and `<field>_count`, unless the model counts it already
  (`roles_total`);
- free-form objects (the audit log's `before` and `after`) stay in the JSON; the CSV names the
  fields that changed (`changed`).

The full nested data is always in the JSON (and, a whole list at a time, in NDJSON)."""

import csv
import functools
import io
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin

import pycountry
from pydantic import BaseModel

from app.schemas.common import EvidenceRead, FactMeta
from app.schemas.nations import NationRole

Cell = str | int | float
Extract = Callable[[dict[str, Any]], Cell]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    value: Extract


def cell(value: Any) -> Cell:
    """A JSON value as a plain cell: empty for null, `true`/`false` as in the JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)


@functools.lru_cache(maxsize=512)
def nation_name(code: str | None) -> str:
    """The name the nations table holds for a code: pycountry's common name where it has one,
    else its name (the same rule as app.facts.files.nation_ref, which stores it)."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return ""
    return str(getattr(country, "common_name", None) or country.name)


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _label_of(model: type[BaseModel]) -> Callable[[dict[str, Any]], str]:
    """How one element of a list of objects reads in a `;`-joined cell."""
    if model is NationRole:
        # Inherited roles are the coalition's, never the nation's own (the truth rules): the
        # cell says so, as the JSON's `via` does.
        return lambda r: (
            f"{r['role']}:{r['status']}" + ("" if r["via"] == "nation" else f"@{r['via']}")
        )
    # A dispute's claim by its source: `article-a;article-b`.
    key = next((k for k in ("id", "name", "source") if k in model.model_fields), None)
    if key is not None:
        return lambda r: str(r[key])
    vocabulary = [
        name
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, Enum)
    ]
    return lambda r: ":".join(str(r[name]) for name in vocabulary)


def _first(field: str, key: str, then: Callable[[Any], Any] = lambda v: v) -> Extract:
    def extract(row: dict[str, Any]) -> Cell:
        items = row.get(field) or []
        return cell(then(items[0].get(key)) if items else None)

    return extract


def _evidence_columns(name: str) -> list[Column]:
    return [
        Column(f"{name}_count", lambda row: len(row.get(name) or [])),
        Column("quote", _first(name, "quote")),
        Column("quote_source", _first(name, "source")),
        Column("quote_outlet", _first(name, "outlet", lambda o: o["name"] if o else None)),
        Column("quote_certainty", _first(name, "certainty")),
        Column("quote_hedge", _first(name, "hedge")),
    ]


def _changed(row: dict[str, Any]) -> Cell:
    before, after = row.get("before") or {}, row.get("after") or {}
    return ";".join(
        sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    )


Getter = Callable[[dict[str, Any]], Any]


def _field(get: Getter, name: str) -> Getter:
    def value(row: dict[str, Any]) -> Any:
        found = get(row)
        return found.get(name) if found else None

    return value


def _plain(value: Getter, then: Callable[[Any], Cell] = cell) -> Extract:
    return lambda row: then(value(row))


def _joined(value: Getter, label: Callable[[Any], str]) -> Extract:
    return lambda row: ";".join(label(e) for e in value(row) or [])


def _count(value: Getter) -> Extract:
    return lambda row: len(value(row) or [])


def _columns(model: type[BaseModel], prefix: str, get: Getter) -> list[Column]:
    columns: list[Column] = []
    fields = model.model_fields
    # A fact's own fields first, its bookkeeping (version, retraction) after.
    order = sorted(fields, key=lambda n: n in FactMeta.model_fields and model is not FactMeta)
    for name in order:
        field = fields[name]
        annotation = _unwrap_optional(field.annotation)
        column = f"{prefix}{name}"
        value = _field(get, name)
        if _is_model(annotation):
            columns += _columns(annotation, f"{column}_", value)
            continue
        origin = get_origin(annotation)
        if origin is list:
            (element,) = get_args(annotation)
            if element is EvidenceRead:
                columns += _evidence_columns(column)
            elif _is_model(element):
                columns.append(Column(column, _joined(value, _label_of(element))))
                if f"{name}_total" not in fields:
                    columns.append(Column(f"{column}_count", _count(value)))
            else:
                columns.append(Column(column, _joined(value, lambda e: str(cell(e)))))
            continue
        if origin is dict or annotation is dict:
            continue  # free-form: in the JSON only
        columns.append(Column(column, _plain(value)))
        if name == "nation" or name.endswith("_nation"):
            columns.append(Column(f"{column}_name", _plain(value, nation_name)))
    if not prefix and {"before", "after"} <= fields.keys():
        columns.append(Column("changed", _changed))
    return columns


@functools.lru_cache(maxsize=64)
def columns_of(model: type[BaseModel]) -> tuple[Column, ...]:
    """The flat columns of a list item model."""
    return tuple(_columns(model, "", lambda row: row))


def header(model: type[BaseModel]) -> list[str]:
    return [c.name for c in columns_of(model)]


def encode(model: type[BaseModel], items: Iterable[BaseModel], with_header: bool) -> bytes:
    """CSV lines (RFC 4180 quoting, `\\n` line ends) for these items, the header first if asked."""
    columns = columns_of(model)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if with_header:
        writer.writerow(c.name for c in columns)
    for item in items:
        row = item.model_dump(mode="json")
        writer.writerow(c.value(row) for c in columns)
    return out.getvalue().encode()
