"""Events (`/events`): the summit and the call, with their participants."""

from typing import Annotated

from fastapi import Path, Request

from app.api.cursors import SortKey
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import ListStatements, PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.api.streaming import answer_list
from app.errors import PROBLEM_RESPONSES
from app.reads.queries import get_or_404
from app.schemas.common import Page
from app.schemas.events import EventRead
from app.store.models import Event, Fact

router = PrefixedRouter(prefix="/events", tags=["events"], route_class=AnswerRoute)
SORT = SortKey([], Event.id, same_as=Fact.id)
LIST_STATEMENTS = ListStatements(Event, {})


@router.get("", responses=LIST_RESPONSES)
def list_events(
    request: Request, session: ReadSessionDep, page: PageDep
) -> Answer[Page[EventRead]]:
    """Events: the Paris summit and the video call with the US president."""
    stmt, params = LIST_STATEMENTS()
    return answer_list(
        request, session, page, stmt, "id", SORT, "events", EventRead,
        applied=applied_filters(sort="id"), params=params,
    )  # fmt: skip


@router.get("/{event_id}", responses=PROBLEM_RESPONSES)
def get_event(
    request: Request,
    session: ReadSessionDep,
    event_id: Annotated[
        str,
        Path(
            max_length=80,
            description="Id of the resource, as given in lists.",
            examples=["paris-summit-2025-09-04"],
        ),
    ],
) -> Answer[EventRead]:
    """One event with its evidence."""
    return respond_model(
        request, EventRead.model_validate(get_or_404(session, Event, event_id, "event"))
    )
