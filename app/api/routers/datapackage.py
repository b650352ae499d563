"""The whole database as a Frictionless Data Package: `/datapackage.json` and one CSV per table
(app.api.datapackage), at the current data revision or at `as_of`."""

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.answer_formats import CSV_MEDIA_TYPE
from app.api.datapackage import DataChanged, Taken, csv_chunks, descriptor, etag
from app.api.filters import parse_timestamp
from app.api.package_tables import BY_NAME
from app.api.representation import matches_if_none_match, respond
from app.api.sessions import ReadSessionDep, SessionDep
from app.errors import PROBLEM_JSON, PROBLEM_RESPONSES, Conflict, Problem
from app.reads.per_revision import PerRevision
from app.store.models import Change
from app.store.revisions import READ_REVISION

router = APIRouter(tags=["downloads"])
# The descriptor by revision (or `as_of`): it lists the articles among every source (2,000 at
# 1,000x the seed, all synthetic), read once per data revision (app.reads.per_revision).
PACKAGES: PerRevision[bytes] = PerRevision(max_entries=8)
TableName = StrEnum("TableName", {name: name for name in BY_NAME})  # type: ignore[misc]


def taken_now(request: Request, live: Session) -> Taken:
    """What the package holds: the live data at its current revision, or the state at `as_of`
    (identified by the last change it includes)."""
    as_of = request.query_params.get("as_of")
    revision = live.scalar(READ_REVISION) or 0
    if as_of is None:
        return Taken(revision=revision)
    moment: dt.datetime = parse_timestamp(as_of, "query.as_of")
    last = live.scalar(select(func.max(Change.id)).where(Change.at <= moment)) or 0
    return Taken(revision=None, as_of=as_of, last_change=last)


@router.get(
    "/datapackage.json",
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": "A Frictionless Tabular Data Package descriptor.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
)
def get_datapackage(request: Request, session: ReadSessionDep, live: SessionDep) -> Response:
    """The whole database as a Frictionless Data Package: what each CSV holds, its types, keys
    and vocabularies; the CSVs it lists are read at the same revision (or `as_of`)."""
    taken = taken_now(request, live)
    query = urlencode({"as_of": taken.as_of} if taken.as_of else {"revision": taken.revision})

    def package() -> bytes:
        found = descriptor(session, taken, lambda t: f"datapackage/{t.name}.csv?{query}")
        return orjson.dumps(found)

    return respond(request, PACKAGES.get(session, query, package))


@router.get(
    "/datapackage/{table}.csv",
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": "One table of the data package, streamed.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        409: {
            "model": Problem,
            "description": "The data changed since `datapackage.json` gave this `revision`",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
def get_datapackage_table(
    request: Request,
    session: ReadSessionDep,
    live: SessionDep,
    table: Annotated[
        TableName, Path(description="A table the data package lists.", examples=["commitments"])
    ],
    revision: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**63 - 1,  # the revision column is a BIGINT
            description="The data revision `datapackage.json` gave (its links carry it): if "
            "the data has changed since, 409, so the tables of one download always agree.",
        ),
    ] = None,
) -> Response:
    """One table of the data package as CSV, streamed, with a strong ETag."""
    taken = taken_now(request, live)
    current = taken.revision if taken.revision is not None else live.scalar(READ_REVISION) or 0
    live.close()
    if revision is not None and revision != current:
        raise Conflict(
            f"The data changed since datapackage.json was read (revision {revision}, now "
            f"{current}): read datapackage.json again.",
            revision=current,
        )
    spec = BY_NAME[str(table.value)]
    tag = etag(spec, taken)
    headers = {"ETag": tag, "Content-Disposition": f'inline; filename="{spec.name}.csv"'}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and matches_if_none_match(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    chunks = csv_chunks(session, spec, taken.revision)
    try:
        # The header and the first batch before the answer begins: an error there is a
        # problem answer, not a broken stream.
        first = [next(chunks), next(chunks, b"")]
    except DataChanged as exc:
        raise Conflict(f"{exc}") from exc

    def body() -> Iterator[bytes]:
        yield from first
        yield from chunks

    return StreamingResponse(body(), media_type=CSV_MEDIA_TYPE, headers=headers)
