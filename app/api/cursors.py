"""Sort keys and their keyset cursors: the order a list's `sort` value names, the opaque cursor
that says where a page ended (the sort columns' values, checked on the way back in), and the
bound of the rows after it."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, or_

from app.errors import InvalidParameter

MAX_CURSOR_LENGTH = 1000


@dataclass(frozen=True)
class SortKey:
    """One accepted value of a list's `sort` parameter: columns to order by, then the id."""

    columns: Sequence[SQLColumnExpression[Any]]
    tiebreak: SQLColumnExpression[Any]
    descending: bool = False
    # A column always equal to the tiebreak: the base table's id of a joined subclass (facts.id
    # for commitments.id). An id-only cursor bound is repeated on it, so that PostgreSQL walks
    # that table's index from the bound too instead of from its start (deep pages cost no more
    # than the first).
    same_as: SQLColumnExpression[Any] | None = None

    @property
    def exprs(self) -> list[SQLColumnExpression[Any]]:
        return [*self.columns, self.tiebreak]

    def ordered(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` in this order, with the sort columns added last to each row (the cursor)."""
        exprs = self.exprs
        return stmt.add_columns(*exprs).order_by(
            *[e.desc() if self.descending else e.asc() for e in exprs]
        )

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        """Rows strictly after ``values`` (the sort columns, then the tiebreak)."""
        bound = _after(self.exprs, values, self.descending)
        if self.same_as is not None and not self.columns:
            also = self.same_as < values[0] if self.descending else self.same_as > values[0]
            bound = and_(bound, also)
        return bound


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort, list(values)])).decode().rstrip("=")


def _python_type(expr: SQLColumnExpression[Any]) -> type | None:
    try:
        return expr.type.python_type  # type: ignore[attr-defined,no-any-return]
    except (AttributeError, NotImplementedError):
        return None


def decode_cursor(cursor: str, sort: str, exprs: Sequence[SQLColumnExpression[Any]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_name, values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise InvalidParameter("query.cursor: not a cursor this API issued.") from exc
    if sort_name != sort:
        raise InvalidParameter(
            f"query.cursor: the cursor was issued for sort={sort_name!r}, not sort={sort!r}."
        )
    if not isinstance(values, list) or len(values) != len(exprs):
        raise InvalidParameter("query.cursor: not a cursor this API issued.")
    for value, expr in zip(values, exprs, strict=True):
        expected = _python_type(expr)
        if issubclass(expected or str, str):  # enum-typed columns hold str values too
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, expected or object) and not isinstance(value, bool)
        if not ok:
            raise InvalidParameter("query.cursor: not a cursor this API issued.")
    return values


def _after(
    exprs: Sequence[SQLColumnExpression[Any]], values: list[Any], desc: bool
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the (exprs...) ordering: a portable row comparison."""
    clauses = []
    for i, expr in enumerate(exprs):
        beyond = expr < values[i] if desc else expr > values[i]
        clauses.append(and_(*[exprs[j] == values[j] for j in range(i)], beyond))
    return or_(*clauses)
