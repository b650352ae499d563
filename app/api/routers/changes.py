"""The audit log: paged (`GET /changes`), whole (NDJSON, CSV) and live (`GET /changes/stream`)."""

from enum import StrEnum
from typing import Annotated

import anyio.to_thread
from fastapi import Header, Query, Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette import EventSourceResponse

from app.api.change_feed import feed, latest_change, watch_of
from app.api.cursors import SortKey
from app.api.filters import parse_timestamp
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import PageDep
from app.api.representation import Answer, AnswerRoute
from app.api.routers import PrefixedRouter
from app.api.sessions import SessionDep, request_guard
from app.api.streaming import answer_list
from app.errors import PROBLEM_RESPONSES, InvalidParameter
from app.formats import CHANGE_SINCE
from app.schemas.changes import ChangeRead
from app.schemas.common import Page
from app.store.guards import GUARD
from app.store.models import Change, Fact
from app.vocab import FactKind

router = PrefixedRouter(prefix="/changes", tags=["changes"], route_class=AnswerRoute)


class ChangedEntity(StrEnum):
    fact = "fact"
    event = "event"
    membership = "membership"
    commitment = "commitment"
    condition = "condition"
    statement = "statement"
    source = "source"
    nation = "nation"
    outlet = "outlet"
    proposal = "proposal"


SINCE = Query(
    min_length=1,
    max_length=40,
    pattern=CHANGE_SINCE.pattern,
    description="Only changes after this: a change id (what a polling dashboard keeps) "
    f"or a moment; {CHANGE_SINCE.words}.",
    examples=["120", "2025-09-05T00:00:00Z"],
)
ENTITY = Query(
    description="Kind of entity: `fact` (any kind of fact), or one kind of fact (`commitment`, "
    "`membership`, `condition`, `statement`, `event`), or `source`, `nation`, `outlet`, "
    "`proposal` (a decision on a proposed fact).",
    examples=["commitment"],
)
ENTITY_ID = Query(max_length=80, description="Changes to this one entity.")
ACTOR = Query(max_length=80, description="Changes by this key.")


def filtered(
    entity: ChangedEntity | None, entity_id: str | None, actor: str | None
) -> Select[tuple[Change]]:
    stmt = select(Change)
    if entity is not None and entity.value in FactKind.__members__:
        kind_ids = select(Fact.id).where(Fact.kind == FactKind(entity.value))
        stmt = stmt.where(Change.entity == "fact", Change.entity_id.in_(kind_ids))
    elif entity is not None:
        stmt = stmt.where(Change.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(Change.entity_id == entity_id)
    if actor is not None:
        stmt = stmt.where(Change.actor == actor)
    return stmt


@router.get("", responses=LIST_RESPONSES)
def list_changes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    since: Annotated[str | None, SINCE] = None,
    entity: Annotated[ChangedEntity | None, ENTITY] = None,
    entity_id: Annotated[str | None, ENTITY_ID] = None,
    actor: Annotated[str | None, ACTOR] = None,
) -> Answer[Page[ChangeRead]]:
    """The audit log, oldest first: who changed what, when and why, with before and after."""
    stmt = filtered(entity, entity_id, actor)
    if since is not None and since.isdigit():
        stmt = stmt.where(Change.id > int(since))
    elif since is not None:  # the pattern admits only digits or a date-time
        stmt = stmt.where(Change.at > parse_timestamp(since, "query.since"))
    sort = SortKey([], Change.id)
    applied = applied_filters(
        since=since, entity=entity, entity_id=entity_id, actor=actor, sort="id"
    )
    return answer_list(
        request, session, page, stmt, "id", sort, "changes", ChangeRead, applied=applied
    )


def _start(session: Session, since: str | None, last_event_id: str | None) -> int:
    """The change id the feed starts after: Last-Event-ID (a reconnecting EventSource), else
    `since`, else the latest change (only what comes next)."""
    if last_event_id is not None:
        if not last_event_id.strip().isdigit():
            raise InvalidParameter("header.Last-Event-ID: not a change id this feed sent.")
        return int(last_event_id)
    if since is None:
        return latest_change(session)
    if since.isdigit():
        return int(since)
    moment = parse_timestamp(since, "query.since")
    before = session.scalar(select(func.max(Change.id)).where(Change.at <= moment))
    return before or 0


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": "Server-Sent Events, one `change` event per audit entry (its data the "
            "JSON of an item of `GET /changes`, its id the change id), and keep-alive comments.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def stream_changes(
    request: Request,
    since: Annotated[str | None, SINCE] = None,
    entity: Annotated[ChangedEntity | None, ENTITY] = None,
    entity_id: Annotated[str | None, ENTITY_ID] = None,
    actor: Annotated[str | None, ACTOR] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            max_length=20,
            description="Sent by a reconnecting EventSource: the feed resumes after it.",
        ),
    ] = None,
) -> EventSourceResponse:
    """The audit log as a live feed (Server-Sent Events): each committed change within a
    second, resumable with `Last-Event-ID` or `since`."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    guard = request_guard(request, read_only=True)

    def sessions() -> Session:
        return factory(info={GUARD: guard})

    def start() -> int:
        with sessions() as session:
            return _start(session, since, last_event_id)

    after = await anyio.to_thread.run_sync(start)
    events = feed(
        watch_of(request.app.state.engine), sessions, filtered(entity, entity_id, actor), after
    )
    return EventSourceResponse(events, ping=request.app.state.sse_ping_seconds)
