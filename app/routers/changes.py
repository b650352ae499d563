from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.db import ISO_DATETIME, SessionDep, parse_timestamp
from app.listing import LIST_RESPONSES, PageDep, SortKey, fetch_page, make_page, render_page
from app.models import Change
from app.schemas.changes import ChangeRead
from app.schemas.common import Page

router = APIRouter(prefix="/changes", tags=["changes"])


@router.get("", response_model=Page[ChangeRead], responses=LIST_RESPONSES)
def list_changes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    since: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            pattern=rf"^[0-9]{{1,18}}$|{ISO_DATETIME}",
            description="Only changes after this: a change id (what a polling dashboard keeps) "
            "or an ISO 8601 timestamp.",
            examples=["120", "2025-09-05T00:00:00Z"],
        ),
    ] = None,
    entity: Annotated[
        str | None, Query(pattern="^(fact|source|nation|outlet)$", description="Kind of entity.")
    ] = None,
    entity_id: Annotated[
        str | None, Query(max_length=80, description="Changes to this one entity.")
    ] = None,
    actor: Annotated[str | None, Query(max_length=80, description="Changes by this key.")] = None,
) -> Response:
    """The audit log, oldest first: who changed what, when and why, with before and after."""
    stmt = select(Change)
    if since is not None and since.isdigit():
        stmt = stmt.where(Change.id > int(since))
    elif since is not None:  # the pattern admits only digits or a date-time
        stmt = stmt.where(Change.at > parse_timestamp(since, "query.since"))
    if entity is not None:
        stmt = stmt.where(Change.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(Change.entity_id == entity_id)
    if actor is not None:
        stmt = stmt.where(Change.actor == actor)
    rows, total, next_cursor = fetch_page(session, stmt, page, "id", SortKey([], Change.id))
    items = [ChangeRead.model_validate(c) for c in rows]
    body = Page[ChangeRead](**make_page(request, page, items, total, next_cursor))
    return render_page(request, page, body, "changes", ChangeRead)
