"""Whole lists, streamed: every row of a filtered list, with no 500-row page cap, as NDJSON, CSV
or JSON, in constant memory; and `answer_list`, the one call a list endpoint makes to answer
either a page or its whole list.

A whole list is read in keyset batches: each batch is one query that starts after the last row of
the batch before (the page `cursor`, walked on the server), turned into items and written out
before the next is read. Between batches the session is closed, so the connection goes back to the
pool while the client reads, and the time limit (app.api.sessions's guards) bounds each batch's
database work, never the length of the stream: on SQLite each batch is a transaction with a
deadline of its own, on PostgreSQL each query has its statement_timeout. As when following
`next_cursor`, no row is repeated or skipped; a row written during the stream appears if it sorts
after the batch being read.

A batch that fails once the answer has begun (a time limit, the database gone) can no longer
turn into an error status: the stream stops without its end (the last chunk of HTTP/1.1 is
never sent and the connection is closed), so a client sees a broken transfer, never a shorter
list that looks complete. The first batch is read before the answer begins, so an error there
is an ordinary problem answer (503 /problems/timeout).

Streams carry `Cache-Control: no-store` and no ETag: they are not a snapshot of one revision."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.api import flat_csv
from app.api.answer_formats import CSV_MEDIA_TYPE, NDJSON_MEDIA_TYPE, disposition
from app.api.cursors import SortKey, decode_cursor, encode_cursor
from app.api.listing import make_page, render_page
from app.api.pages import PageParams, fetch_page, refuse_offset_with_cursor
from app.api.representation import JSON, Answer, StreamedAnswer
from app.reads.fact_items import fact_items
from app.reads.queries import OPTIONS
from app.schemas.common import Page

# Rows per batch: the page cap, so a batch costs what the largest page does.
BATCH = 500
Item = TypeVar("Item", bound=BaseModel)
# Rows of a batch to the items of the answer, each an instance of the list's item model.
ToItems = Callable[[Sequence[Any]], Sequence[Item]]


class Batches:
    """The rows of ``stmt`` in ``sort`` order, from the page's `offset` or after its `cursor`,
    as lists of items; at most `limit` rows when the request gave one."""

    def __init__(
        self,
        session: Session,
        stmt: Select[Any],
        page: PageParams,
        sort_name: str,
        sort: SortKey,
        to_items: ToItems[Any],
        params: Mapping[str, Any] | None = None,
    ) -> None:
        refuse_offset_with_cursor(page)
        self.params = dict(params or {})
        self.session = session
        self.stmt = stmt
        self.sort_name = sort_name
        self.sort = sort
        self.to_items = to_items
        self.after = (
            decode_cursor(page.cursor, sort_name, sort.exprs) if page.cursor is not None else None
        )
        self.offset = page.offset
        self.remaining = page.limit if page.explicit_limit else None
        self.count = 0
        # Set when `limit` stopped the stream before the end of the list.
        self.next_cursor: str | None = None

    def __iter__(self) -> Iterator[Sequence[BaseModel]]:
        width = len(self.sort.exprs)
        while True:
            size = BATCH if self.remaining is None else min(BATCH, self.remaining)
            ordered = self.sort.ordered(self.stmt)
            if self.after is not None:
                ordered = ordered.where(self.sort.after(self.after))
            elif self.offset:
                ordered = ordered.offset(self.offset)
            # One row more than the batch: whether another batch follows.
            rows = self.session.execute(ordered.limit(size + 1), self.params).all()
            more = len(rows) > size
            rows = rows[:size]
            items = self.to_items([row[0] for row in rows])
            # Let the connection go (and, on SQLite, end the transaction and its deadline) while
            # the client reads this batch; the identity map goes with it.
            self.session.close()
            self.count += len(rows)
            if rows:
                self.after, self.offset = list(rows[-1][-width:]), 0
            if self.remaining is not None:
                self.remaining -= len(rows)
            yield items
            if not more:
                return
            if self.remaining == 0:
                assert self.after is not None  # noqa: S101 - rows were read
                self.next_cursor = encode_cursor(self.sort_name, self.after)
                return


def answer_list(
    request: Request,
    session: Session,
    page: PageParams,
    stmt: Select[Any],
    sort_name: str,
    sort: SortKey,
    name: str,
    item_model: type[Item],
    to_items: ToItems[Item] | None = None,
    *,
    applied: dict[str, Any],
    params: Mapping[str, Any] | None = None,
) -> Answer[Page[Item]]:
    """A list endpoint's answer: one page (JSON, CSV, with its ETag), or with `all=true` or
    NDJSON the whole filtered list, streamed. ``stmt`` selects one entity; ``to_items`` turns
    a batch of them into items (default: the item model of each); ``applied`` says which
    filters the answer applied (app.api.listing.applied_filters); ``params`` holds the values
    of ``stmt``'s bound parameters (app.api.pages.ListStatements)."""
    convert: ToItems[Item] = to_items or (lambda rows: [item_model.model_validate(r) for r in rows])
    entity = stmt.column_descriptions[0].get("entity")
    # A kind of fact: a page reads ids, and their items are those kept per revision
    # (app.reads.fact_items), loaded with their relationships only where not kept.
    kept = entity if to_items is None and entity in OPTIONS else None
    if not page.all:
        rows, total, next_cursor = fetch_page(
            session, stmt, page, sort_name, sort, params, ids_of=kept
        )
        items = fact_items(session, kept, item_model, rows) if kept else list(convert(rows))
        # Page[Any] at run time: the items are built already, not to be validated again.
        body: Page[Item] = Page[Any](**make_page(request, page, items, total, next_cursor, applied))
        return render_page(request, page, body, name, item_model)
    if kept is not None:
        # A whole list is not kept: it would push out what pages keep, and hold a process's
        # memory at the bound through every download.
        stmt = stmt.options(*OPTIONS[kept])
    batches = Batches(session, stmt, page, sort_name, sort, convert, params)
    return stream(request, page, batches, name, item_model, applied)


def stream(
    request: Request,
    page: PageParams,
    batches: Batches,
    name: str,
    item_model: type[Item],
    applied: dict[str, Any],
) -> StreamedAnswer[Page[Item]]:
    """The whole list as a streamed answer in the page's format."""
    iterator = iter(batches)
    first = next(iterator)  # before the answer begins: an error here is a problem answer

    def all_batches() -> Iterator[Sequence[BaseModel]]:
        yield first
        yield from iterator

    if page.format == "csv":
        body = _csv(all_batches(), item_model)
        media_type = CSV_MEDIA_TYPE
    elif page.format == "ndjson":
        body = _ndjson(all_batches())
        media_type = NDJSON_MEDIA_TYPE
    else:
        body = _json_page(request, page, all_batches(), batches, applied)
        media_type = JSON
    headers = {
        "Content-Disposition": disposition(request, name, page.format, page.download),
        "Cache-Control": "no-store",
    }
    return StreamedAnswer(body, media_type=media_type, headers=headers)


def _csv(batches: Iterator[Sequence[BaseModel]], item_model: type[BaseModel]) -> Iterator[bytes]:
    with_header = True
    for items in batches:
        yield flat_csv.encode(item_model, items, with_header)
        with_header = False


def _ndjson(batches: Iterator[Sequence[BaseModel]]) -> Iterator[bytes]:
    for items in batches:
        if items:
            yield b"".join(item.model_dump_json().encode() + b"\n" for item in items)


def _json_page(
    request: Request,
    page: PageParams,
    batches: Iterator[Sequence[BaseModel]],
    source: Batches,
    applied: dict[str, Any],
) -> Iterator[bytes]:
    """The list as one JSON page holding every item (the shape of a page, `next` null unless
    a `limit` stopped it), written as the batches come."""
    yield b'{"items":['
    separator = b""
    for items in batches:
        if items:
            yield separator + b",".join(item.model_dump_json().encode() for item in items)
            separator = b","
    tail = make_page(request, page, [], source.count, source.next_cursor, applied)
    tail["limit"] = page.limit if page.explicit_limit else source.count
    yield b"]," + orjson.dumps({k: v for k, v in tail.items() if k != "items"})[1:]
