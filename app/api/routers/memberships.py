"""Memberships (`/memberships`): each nation's place in the story and how the sources establish it
(named, implied, inferred from a group), with the write routes."""

from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy import bindparam

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
from app.schemas.common import Page
from app.schemas.memberships import MembershipCreate, MembershipIn, MembershipUpdate
from app.schemas.nations import MembershipRead
from app.store.models import Fact, Membership
from app.vocab import Basis, MembershipStatus, Part

router = PrefixedRouter(prefix="/memberships", tags=["memberships"], route_class=AnswerRoute)
SORT = SortKey([], Membership.id, same_as=Fact.id)
LIST_STATEMENTS = ListStatements(
    Membership,
    {
        "status": lambda: Membership.status.in_(bindparam("status", expanding=True)),
        "part": lambda: Membership.part == bindparam("part"),
        "basis": lambda: Membership.basis == bindparam("basis"),
        "nation": lambda: Membership.nation_code == bindparam("nation"),
        **evidence_filters(Membership),
    },
)


@router.get("", responses=LIST_RESPONSES)
def list_memberships(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    status: Annotated[
        list[MembershipStatus] | None,
        Query(description="member, potential or non_member (repeatable).", examples=["member"]),
    ] = None,
    part: Annotated[
        Part | None, Query(description="guarantor, beneficiary, adversary or third_country.")
    ] = None,
    basis: Annotated[
        Basis | None,
        Query(description="named, implied or inferred_from_group.", examples=["named"]),
    ] = None,
    nation: NationParam = None,
    certainty: CertaintyParam = None,
    source: Annotated[
        str | None, Query(max_length=40, description="Only memberships with evidence from it.")
    ] = None,
) -> Answer[Page[MembershipRead]]:
    """Each nation's place in the story, with evidence."""
    code = resolve_nation(session, nation) if nation is not None else None
    if source is not None:
        require_source(session, source)
    stmt, params = LIST_STATEMENTS(
        status=status, part=part, basis=basis, nation=code, certainty=certainty, source=source
    )
    applied = applied_filters(
        status=status, part=part, basis=basis, nation=nation, certainty=certainty, source=source,
        sort="id",
    )  # fmt: skip
    return answer_list(
        request, session, page, stmt, "id", SORT, "memberships", MembershipRead,
        applied=applied, params=params,
    )  # fmt: skip


@router.get("/{membership_id}", responses=PROBLEM_RESPONSES)
def get_membership(
    request: Request,
    session: ReadSessionDep,
    membership_id: Annotated[
        str, Path(max_length=80, description="Id of the membership.", examples=["membership-it"])
    ],
) -> Answer[MembershipRead]:
    """One membership with its evidence."""
    found = get_or_404(session, Membership, membership_id, "membership")
    return respond_model(request, MembershipRead.model_validate(found))


MEMBERSHIPS = FactResource(
    name="membership",
    model=Membership,
    spec=MembershipIn,
    read=MembershipRead,
    path="/memberships",
    make_id=lambda v: new_id("membership", v["nation"]),
)
WRITES = write_routes(MEMBERSHIPS)


@router.post("", **WRITES.create)
def create_membership(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    body: MembershipCreate,
) -> Answer[MembershipRead]:
    """Every quote must be verbatim in a stored source; the membership gets its id here."""
    return create_fact(request, session, key, MEMBERSHIPS, body)


@router.patch("/{membership_id}", **WRITES.update)
def update_membership(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    membership_id: Annotated[str, WRITES.id_path],
    body: MembershipUpdate,
) -> Answer[MembershipRead]:
    """Needs If-Match with the ETag from your last GET; 412 if it changed since."""
    return correct_fact(request, session, key, MEMBERSHIPS, membership_id, body)


@router.post("/{membership_id}/retract", **WRITES.retract)
def retract_membership(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    membership_id: Annotated[str, WRITES.id_path],
    body: Retraction,
) -> Answer[MembershipRead]:
    """The membership and its evidence stay, marked retracted with the reason; lists hide it.
    Needs If-Match."""
    return withdraw_fact(request, session, key, MEMBERSHIPS, membership_id, body)
