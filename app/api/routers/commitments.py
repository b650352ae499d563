"""Commitments (`/commitments`): who does what, filtered by role, status, nation, actor, certainty
and source, with the create, correct and retract routes of app.api.writes."""

from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy import bindparam, func

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
    require_source,
    resolve_nation,
)
from app.schemas.commitments import CommitmentCreate, CommitmentIn, CommitmentRead, CommitmentUpdate
from app.schemas.common import Page
from app.store.models import Commitment, Fact
from app.vocab import ActorKind, CoalitionScope, Role, Status

router = PrefixedRouter(prefix="/commitments", tags=["commitments"], route_class=AnswerRoute)


class CommitmentSort(StrEnum):
    id = "id"
    id_desc = "-id"
    role = "role"
    status = "status"
    nation = "nation"


_nation = func.coalesce(Commitment.nation_code, "")
SORTS = {
    CommitmentSort.id: SortKey([], Commitment.id, same_as=Fact.id),
    CommitmentSort.id_desc: SortKey([], Commitment.id, descending=True, same_as=Fact.id),
    CommitmentSort.role: SortKey([Commitment.role], Commitment.id),
    CommitmentSort.status: SortKey([Commitment.status], Commitment.id),
    CommitmentSort.nation: SortKey([_nation], Commitment.id),
}


LIST_STATEMENTS = ListStatements(
    Commitment,
    {
        "role": lambda: Commitment.role.in_(bindparam("role", expanding=True)),
        "status": lambda: Commitment.status.in_(bindparam("status", expanding=True)),
        "nation": lambda: Commitment.nation_code == bindparam("nation"),
        "actor": lambda: Commitment.actor == bindparam("actor"),
        "coalition_scope": lambda: Commitment.coalition_scope == bindparam("coalition_scope"),
        **evidence_filters(Commitment),
    },
)


@router.get("", responses=LIST_RESPONSES)
def list_commitments(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    role: Annotated[
        list[Role] | None, Query(description="Role (repeatable).", examples=["training"])
    ] = None,
    status: Annotated[
        list[Status] | None, Query(description="Status (repeatable).", examples=["ruled_out"])
    ] = None,
    nation: NationParam = None,
    actor: Annotated[
        ActorKind | None,
        Query(description="`nation`: a named nation's; `coalition`: the coalition's."),
    ] = None,
    coalition_scope: Annotated[
        CoalitionScope | None,
        Query(description="`whole` force or `some_members` the source does not name."),
    ] = None,
    certainty: CertaintyParam = None,
    source: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Only commitments with evidence from this source.",
            examples=["article-b"],
        ),
    ] = None,
    sort: Annotated[
        CommitmentSort, Query(description="Order; `-` for descending.")
    ] = CommitmentSort.id,
) -> Answer[Page[CommitmentRead]]:
    """List commitments — who does what, with status, conditions and evidence."""
    code = resolve_nation(session, nation) if nation is not None else None
    if source is not None:
        require_source(session, source)
    stmt, params = LIST_STATEMENTS(
        role=role, status=status, nation=code,
        actor=actor, coalition_scope=coalition_scope, certainty=certainty, source=source,
    )  # fmt: skip
    applied = applied_filters(
        role=role, status=status, nation=nation, actor=actor, coalition_scope=coalition_scope,
        certainty=certainty, source=source, sort=sort,
    )  # fmt: skip
    return answer_list(
        request,
        session,
        page,
        stmt,
        sort.value,
        SORTS[sort],
        "commitments",
        CommitmentRead,
        applied=applied,
        params=params,
    )


@router.get("/{commitment_id}", responses=PROBLEM_RESPONSES)
def get_commitment(
    request: Request,
    session: ReadSessionDep,
    commitment_id: Annotated[
        str,
        Path(
            max_length=80,
            description="Id of the resource, as given in lists.",
            examples=["it-troops-ruled-out"],
        ),
    ],
) -> Answer[CommitmentRead]:
    """One commitment with its conditions and evidence."""
    return respond_model(
        request,
        CommitmentRead.model_validate(get_or_404(session, Commitment, commitment_id, "commitment")),
    )


COMMITMENTS = FactResource(
    name="commitment",
    model=Commitment,
    spec=CommitmentIn,
    read=CommitmentRead,
    path="/commitments",
    make_id=lambda v: new_id(v.get("nation") or "coalition", v["role"], v["status"]),
)
WRITES = write_routes(COMMITMENTS)


@router.post("", **WRITES.create)
def create_commitment(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    body: CommitmentCreate,
) -> Answer[CommitmentRead]:
    """Every quote must be verbatim in a stored source; the commitment gets its id here."""
    return create_fact(request, session, key, COMMITMENTS, body)


@router.patch("/{commitment_id}", **WRITES.update)
def update_commitment(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    commitment_id: Annotated[str, WRITES.id_path],
    body: CommitmentUpdate,
) -> Answer[CommitmentRead]:
    """Needs If-Match with the ETag from your last GET; 412 if it changed since."""
    return correct_fact(request, session, key, COMMITMENTS, commitment_id, body)


@router.post("/{commitment_id}/retract", **WRITES.retract)
def retract_commitment(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    commitment_id: Annotated[str, WRITES.id_path],
    body: Retraction,
) -> Answer[CommitmentRead]:
    """The commitment and its evidence stay, marked retracted with the reason; lists hide it.
    Needs If-Match."""
    return withdraw_fact(request, session, key, COMMITMENTS, commitment_id, body)
