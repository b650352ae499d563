"""The paging engine of every list: page parameters (`limit`, `offset` or a keyset `cursor`,
`all`, `format`) and a page of rows fetched by offset or after a cursor (app.api.cursors), with
its total (app.api.totals)."""

import threading
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    SQLColumnExpression,
    String,
    bindparam,
    column,
    select,
)
from sqlalchemy.orm import Session

from app.api.answer_formats import (
    Format,
    negotiate,
)
from app.api.cursors import MAX_CURSOR_LENGTH, SortKey, decode_cursor, encode_cursor
from app.api.state import app_settings
from app.api.totals import CountedFacts, count_of, counted_total
from app.config import Settings
from app.errors import InvalidParameter
from app.store.models import Fact
from app.store.visibility import (
    HIDE_RETRACTED,
    leaving_retracted_out,
)

# The defaults of the settings class (not the environment), for the signature: each request
# is held to its own application's settings (`app_settings`), which `document_page_bounds`
# also writes into that application's OpenAPI document.
_DEFAULTS = Settings.model_fields
DEFAULT_PAGE_SIZE: int = _DEFAULTS["default_page_size"].default


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None
    # What the answer is: the `format` parameter, else what `Accept` asks for, else JSON.
    format: Format
    # The whole list, not a page (`all=true`, or NDJSON): app.api.streaming answers it.
    all: bool = False
    # `limit` as the request gave it: with a whole list, only a given limit caps the rows.
    explicit_limit: bool = True
    download: bool = False


async def page_params(
    request: Request,
    limit: Annotated[
        int,
        Query(
            ge=1,
            description="Page size, 1 to the largest page (see `maximum`). With a whole list "
            "(`all=true`, `format=ndjson`), only a `limit` given caps the rows.",
            examples=[50],
        ),
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[
        int,
        Query(ge=0, description="Rows to skip. Prefer `cursor` for walking a whole result."),
    ] = 0,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="Opaque cursor from a previous page's `next_cursor` (keyset pagination; "
            "stable while rows are added). Not combined with `offset`.",
        ),
    ] = None,
    format: Annotated[
        Format | None,
        Query(
            description="`csv` for the same page as CSV (plain columns, for charts and "
            "spreadsheets); `ndjson` for the whole filtered list, one JSON item a line, streamed. "
            "The default is JSON, or what the `Accept` header asks for (`text/csv`, "
            "`application/x-ndjson`)."
        ),
    ] = None,
    all: Annotated[
        bool,
        Query(
            description="The whole filtered list instead of one page, streamed, with no "
            "500-row cap: as CSV (`format=csv&all=true`) or JSON. `format=ndjson` always is."
        ),
    ] = False,
    download: Annotated[
        bool,
        Query(
            description="Answer as a file to save (`Content-Disposition: attachment`), named "
            "after the list and its filters, e.g. `pledgedb-commitments-role-training.csv`."
        ),
    ] = False,
) -> PageParams:
    # async: FastAPI calls a plain function or class in its thread pool, a hop per request.
    settings = app_settings(request)
    answer = negotiate(request, format)
    whole = all or answer == "ndjson"
    explicit_limit = "limit" in request.query_params
    if not explicit_limit:  # the signature's default is the class's: this app's own instead
        limit = settings.max_page_size if whole else settings.default_page_size
    for name, value, largest in (
        ("limit", limit, settings.max_page_size),
        ("offset", offset, settings.max_offset),
    ):
        if value > largest:
            message = f"Input should be less than or equal to {largest}"
            where = f"query.{name}"
            raise InvalidParameter(
                f"{where}: {message}.", errors=[{"location": where, "message": message}]
            )
    return PageParams(
        limit,
        offset,
        cursor,
        answer,
        all=whole,
        explicit_limit=explicit_limit,
        download=download,
    )


PageDep = Annotated[PageParams, Depends(page_params)]


class ListStatements:
    """A list's statement for each shape of its filters (which of them a request gives), built
    once per shape with a bound parameter for each value (`bindparam(name)` in ``where``): a
    request builds no SQL expression, and `fetch_page` keeps the page statements made from it,
    whose SQLAlchemy cache keys are then computed once."""

    def __init__(
        self, entity: type[Any], where: Mapping[str, Callable[[], ColumnElement[bool]]]
    ) -> None:
        self.entity = entity
        self.where = where
        self._built: dict[frozenset[str], Select[Any]] = {}  # at most 2 ** len(where)

    def __call__(self, **given: Any) -> tuple[Select[Any], dict[str, Any]]:
        """The statement of the filters ``given`` (None or an empty list: not given) and the
        values of its parameters."""
        values = {k: v for k, v in given.items() if v is not None and v != []}
        shape = frozenset(values)
        stmt = self._built.get(shape)
        if stmt is None:
            stmt = select(self.entity).where(*(self.where[name]() for name in sorted(shape)))
            self._built[shape] = stmt
        return stmt, values


# Page statements by list statement (those of `ListStatements` live as long as the process; a
# statement built for one request goes with it), then sort, retraction rule and columns.
_PREPARED: "weakref.WeakKeyDictionary[Select[Any], dict[Hashable, PreparedPage]]" = (
    weakref.WeakKeyDictionary()
)
_PREPARED_LOCK = threading.Lock()


def fetch_page(
    session: Session,
    stmt: Select[Any],
    page: PageParams,
    sort_name: str,
    sort: SortKey,
    params: Mapping[str, Any] | None = None,
    ids_of: type[Fact] | None = None,
) -> tuple[list[Any], int, str | None]:
    """One page of ``stmt`` (selecting one entity, its bound parameters' values in ``params``):
    its entities (with ``ids_of``, that entity's ids instead), the total and the next cursor.
    The same engine as a prepared list (`PreparedPage`), run in the session, with the retraction
    rule of app.store.visibility."""
    hides_retracted = bool(session.info.get(HIDE_RETRACTED))
    with _PREPARED_LOCK:
        by_kind = _PREPARED.setdefault(stmt, {})
        key = (sort_name, hides_retracted, ids_of)
        prepared = by_kind.get(key)
    if prepared is None:
        selected = stmt.with_only_columns(ids_of.id) if ids_of is not None else stmt
        prepared = PreparedPage.build(selected, sort, hides_retracted=hides_retracted)
        with _PREPARED_LOCK:
            by_kind[key] = prepared
    rows, total, next_cursor = prepared.fetch(
        session, dict(params or {}), page, sort_name, entities=True
    )
    return [row[0] for row in rows], total, next_cursor


class HasId(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=HasId)


_ID = column("id", String)


def page_of_list(items: Sequence[Item], page: PageParams) -> tuple[list[Item], int, str | None]:
    """One page of a list already in memory (derived data, such as the disputes), ordered by
    ``id``: the same offset and keyset cursors as the lists read from the database."""
    refuse_offset_with_cursor(page)
    rows = sorted(items, key=lambda item: item.id)
    if page.cursor is not None:
        (after,) = decode_cursor(page.cursor, "id", [_ID])
        rows = [r for r in rows if r.id > after]
    else:
        rows = rows[page.offset :]
    shown = rows[: page.limit]
    more = len(rows) > page.limit and bool(shown)
    return shown, len(items), encode_cursor("id", [shown[-1].id]) if more else None


def refuse_offset_with_cursor(page: PageParams) -> None:
    if page.cursor is not None and page.offset:
        raise InvalidParameter("query.offset: give either `offset` or `cursor`, not both.")


def _selects_facts(stmt: Select[Any]) -> bool:
    entity = stmt.column_descriptions[0].get("entity")
    return isinstance(entity, type) and issubclass(entity, Fact)


def _one_page(
    rows: Sequence[Row[Any]], page: PageParams, sort_name: str, n_sort: int
) -> tuple[list[Row[Any]], str | None]:
    """The page's rows (one more was fetched, to know whether another page follows) and the
    cursor after the last, from its trailing sort columns."""
    page_rows = list(rows[: page.limit])
    if len(rows) <= page.limit or not page_rows:
        return page_rows, None
    return page_rows, encode_cursor(sort_name, list(page_rows[-1][-n_sort:]))


@dataclass(frozen=True)
class PreparedPage:
    """A list query of columns, built once per filter shape with bound parameters for the
    values: a request then pays for neither building its statements nor hashing them for
    SQLAlchemy's compiled cache (the same statement objects keep their cache keys), nor for
    loading ORM objects. The sort columns come last in each page row. `fetch_page` runs a
    request's own statement of ORM entities through the same engine."""

    count: Select[Any]
    counted: CountedFacts | None
    by_offset: Select[Any]
    by_cursor: Select[Any]
    exprs: Sequence[SQLColumnExpression[Any]]

    @classmethod
    def build(
        cls, stmt: Select[Any], sort: SortKey, hides_retracted: bool = False
    ) -> "PreparedPage":
        ordered = sort.ordered(stmt)
        if hides_retracted and _selects_facts(stmt):
            # The read sessions' rule applied here, once: run as it is, the statement keeps its
            # cache key (the session's event would apply the rule anew on each execution).
            ordered = leaving_retracted_out(ordered)
        after: list[Any] = [bindparam(f"_after_{i}") for i in range(len(sort.exprs))]
        count, counted = count_of(stmt, hides_retracted)
        return cls(
            count=count,
            counted=counted,
            by_offset=ordered.offset(bindparam("_offset")).limit(bindparam("_limit")),
            by_cursor=ordered.where(sort.after(after)).limit(bindparam("_limit")),
            exprs=sort.exprs,
        )

    def fetch(
        self,
        session: Session,
        params: dict[str, Any],
        page: PageParams,
        sort_name: str,
        *,
        entities: bool = False,
    ) -> tuple[list[Row[Any]], int, str | None]:
        """One page of rows (sort columns last), the total, and the next cursor. Columns run
        on the session's connection (no ORM); ``entities`` run in the session itself."""
        execute = session.execute if entities else session.connection().execute
        refuse_offset_with_cursor(page)
        total = counted_total(
            session,
            self.count,
            params,
            lambda: execute(self.count, params).scalar_one(),
            self.counted,
        )
        if page.cursor is not None:
            values = decode_cursor(page.cursor, sort_name, self.exprs)
            after = {f"_after_{i}": v for i, v in enumerate(values)}
            stmt, params = self.by_cursor, {**params, **after, "_limit": page.limit + 1}
        else:
            stmt, params = (
                self.by_offset,
                {**params, "_offset": page.offset, "_limit": page.limit + 1},
            )
        rows, next_cursor = _one_page(execute(stmt, params).all(), page, sort_name, len(self.exprs))
        return rows, total, next_cursor


def document_page_bounds(app: FastAPI, settings: Settings) -> None:
    """Write this application's page bounds (`Settings.max_page_size`, `max_offset`,
    `default_page_size`) into every list's `limit` and `offset` in its OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        bounds = {
            "limit": {"maximum": settings.max_page_size, "default": settings.default_page_size},
            "offset": {"maximum": settings.max_offset},
        }
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "query" and parameter["name"] in bounds:
                        parameter["schema"].update(bounds[parameter["name"]])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
