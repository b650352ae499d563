"""People's statements (`/statements`): who said what, quoted or reported, with the write routes.
`/quotes`, the resource's first name, answers 308 to the same path under `/statements`."""

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import bindparam, func
from starlette.routing import Route

from app.api.auth import CuratorKey
from app.api.cursors import SortKey
from app.api.filters import CertaintyParam, NationParam, evidence_filters
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import ListStatements, PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep, WriteSessionDep
from app.api.streaming import answer_list
from app.api.writes import (
    FactResource,
    Retraction,
    correct_fact,
    create_fact,
    new_id,
    withdraw_fact,
    write_routes,
)
from app.errors import PROBLEM_RESPONSES
from app.reads.queries import (
    get_or_404,
    like_pattern,
    require_fact,
    require_source,
    resolve_nation,
)
from app.schemas.common import Page
from app.schemas.statements import StatementCreate, StatementIn, StatementRead, StatementUpdate
from app.store.models import Event, Fact, Statement
from app.vocab import StatementMode

router = PrefixedRouter(prefix="/statements", tags=["statements"], route_class=AnswerRoute)
SORT = SortKey([], Statement.id, same_as=Fact.id)
LIST_STATEMENTS = ListStatements(
    Statement,
    {
        "speaker": lambda: func.lower(Statement.speaker).like(bindparam("speaker"), escape="\\"),
        "mode": lambda: Statement.mode == bindparam("mode"),
        "nation": lambda: Statement.speaker_nation_code == bindparam("nation"),
        "event": lambda: Statement.event_id == bindparam("event"),
        **evidence_filters(Statement),
    },
)


@router.get("", responses=LIST_RESPONSES)
def list_statements(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    speaker: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Part of the speaker's name, any case.",
            examples=["zelenskyy"],
        ),
    ] = None,
    mode: Annotated[
        StatementMode | None,
        Query(description="`direct` (their own words, in quotation marks) or `reported`."),
    ] = None,
    nation: NationParam = None,
    certainty: CertaintyParam = None,
    event: Annotated[
        str | None,
        Query(
            max_length=80,
            description="Statements made at this event.",
            examples=["paris-summit-2025-09-04"],
        ),
    ] = None,
    source: Annotated[
        str | None, Query(max_length=40, description="Only statements quoted in this source.")
    ] = None,
) -> Answer[Page[StatementRead]]:
    """People's statements — quoted words and reported speech — with evidence."""
    code = resolve_nation(session, nation) if nation is not None else None
    if event is not None:
        require_fact(session, Event, event, "event")
    if source is not None:
        require_source(session, source)
    stmt, params = LIST_STATEMENTS(
        speaker=like_pattern(speaker) if speaker is not None else None,
        mode=mode, nation=code, event=event, certainty=certainty, source=source,
    )  # fmt: skip
    applied = applied_filters(
        speaker=speaker, mode=mode, nation=nation, certainty=certainty, event=event,
        source=source, sort="id",
    )  # fmt: skip
    return answer_list(
        request, session, page, stmt, "id", SORT, "statements", StatementRead,
        applied=applied, params=params,
    )  # fmt: skip


@router.get("/{statement_id}", responses=PROBLEM_RESPONSES)
def get_statement(
    request: Request,
    session: ReadSessionDep,
    statement_id: Annotated[
        str,
        Path(
            max_length=80,
            description="Id of the resource, as given in lists.",
            examples=["macron-commitment-of-substance"],
        ),
    ],
) -> Answer[StatementRead]:
    """One statement with its evidence."""
    return respond_model(
        request,
        StatementRead.model_validate(get_or_404(session, Statement, statement_id, "statement")),
    )


STATEMENTS = FactResource(
    name="statement",
    model=Statement,
    spec=StatementIn,
    read=StatementRead,
    path="/statements",
    make_id=lambda v: new_id(v["speaker"], v.get("topic") or "statement"),
)
WRITES = write_routes(STATEMENTS)


@router.post("", **WRITES.create)
def create_statement(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    body: StatementCreate,
) -> Answer[StatementRead]:
    """Every quote must be verbatim in a stored source; the statement gets its id here."""
    return create_fact(request, session, key, STATEMENTS, body)


@router.patch("/{statement_id}", **WRITES.update)
def update_statement(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    statement_id: Annotated[str, WRITES.id_path],
    body: StatementUpdate,
) -> Answer[StatementRead]:
    """Needs If-Match with the ETag from your last GET; 412 if it changed since."""
    return correct_fact(request, session, key, STATEMENTS, statement_id, body)


@router.post("/{statement_id}/retract", **WRITES.retract)
def retract_statement(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    statement_id: Annotated[str, WRITES.id_path],
    body: Retraction,
) -> Answer[StatementRead]:
    """The statement and its evidence stay, marked retracted with the reason; lists hide it.
    Needs If-Match."""
    return withdraw_fact(request, session, key, STATEMENTS, statement_id, body)


async def moved_from_quotes(request: Request) -> RedirectResponse:
    """`/quotes` was this resource's first name: a client that still uses it is sent to the same
    path and query under `/statements`. 308 keeps the method and the body, so writes follow too."""
    path = "/statements" + request.url.path.removeprefix("/quotes")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(path + query, status_code=308)


# A plain route, not an API operation: no query parameters to check, none in the OpenAPI
# document (app.main names the alias in its description).
QUOTES_ALIAS = Route(
    "/quotes{rest:path}",
    moved_from_quotes,
    methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"],
)
