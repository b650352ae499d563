from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Exists, and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.db import ReadSessionDep
from app.disputes import disputes_for_nation
from app.errors import PROBLEM_RESPONSES, InvalidParameter, NotFound
from app.listing import LIST_RESPONSES, PageDep, SortKey, fetch_page, make_page, render_page
from app.models import Commitment, Condition, Evidence, Membership, Nation, Statement
from app.queries import (
    coalition_wide,
    condition_options,
    evidence_options,
    like_pattern,
)
from app.representation import respond_model
from app.schemas.common import CommitmentRef
from app.schemas.nations import NationDetail, NationItem, NationPage, NationRole
from app.vocab import ActorKind, CoalitionScope, MembershipStatus, Role, Status

router = APIRouter(prefix="/nations", tags=["nations"])


class NationSort(StrEnum):
    name = "name"
    name_desc = "-name"
    code = "code"
    code_desc = "-code"
    region = "region"
    region_desc = "-region"


SORTS = {
    NationSort.name: SortKey([Nation.name], Nation.code),
    NationSort.name_desc: SortKey([Nation.name], Nation.code, descending=True),
    NationSort.code: SortKey([], Nation.code),
    NationSort.code_desc: SortKey([], Nation.code, descending=True),
    NationSort.region: SortKey([Nation.region, Nation.name], Nation.code),
    NationSort.region_desc: SortKey([Nation.region, Nation.name], Nation.code, descending=True),
}
NOT_RULED_OUT = [s for s in Status if s is not Status.ruled_out]


def standing_commitments(*criteria: ColumnElement[bool]) -> Exists:
    """EXISTS over commitments that are not retracted. (The read session hides retracted facts
    from ORM queries, but not inside a hand-built EXISTS: say it here.)"""
    return select(Commitment.id).where(Commitment.retracted_at.is_(None), *criteria).exists()


@router.get("", response_model=NationPage, responses=LIST_RESPONSES)
def list_nations(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    role: Annotated[
        list[Role] | None,
        Query(
            description="Nations with a commitment in this role (repeat for any of several). "
            "Tasks the sources give to the coalition as a whole (e.g. naval patrols) are not "
            "attributed to any nation: see `coalition_commitments` and `include_coalition`.",
            examples=["training"],
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        Query(
            description="Commitment status (repeatable). With `role`, the default is every "
            "status except `ruled_out`; without `role`, nations with any commitment of it.",
            examples=["ruled_out"],
        ),
    ] = None,
    membership: Annotated[
        list[MembershipStatus] | None,
        Query(description="member, potential or non_member (repeatable).", examples=["member"]),
    ] = None,
    nato: Annotated[bool | None, Query(description="NATO members on 2025-09-04.")] = None,
    eu: Annotated[bool | None, Query(description="EU members on 2025-09-04.")] = None,
    region: Annotated[
        str | None,
        Query(
            max_length=60, description="UN M49 sub-region, any case.", examples=["Northern Europe"]
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Search in name, official name and ISO codes, any case.",
            examples=["czech"],
        ),
    ] = None,
    include_coalition: Annotated[
        bool,
        Query(
            description="With `role`: also list members that carry the role only through a "
            "commitment of the coalition's force as a whole; such items have inherited=true."
        ),
    ] = False,
    sort: Annotated[NationSort, Query(description="Order; `-` for descending.")] = NationSort.name,
) -> Response:
    """List nations in the story, filtered by role, status, membership, alliance, region or name."""
    statuses = status or (NOT_RULED_OUT if role else None)
    stmt = (
        select(Nation)
        .join(Membership, Membership.nation_code == Nation.code)
        .options(contains_eager(Nation.membership))
    )
    if role:
        own = standing_commitments(
            Commitment.nation_code == Nation.code,
            Commitment.role.in_(role),
            Commitment.status.in_(statuses or NOT_RULED_OUT),
        )
        if include_coalition:
            inherited = standing_commitments(
                coalition_wide(), Commitment.role.in_(role), Commitment.status.in_(statuses or [])
            )
            stmt = stmt.where(
                or_(own, and_(Membership.status == MembershipStatus.member, inherited))
            )
        else:
            stmt = stmt.where(own)
    elif statuses:
        stmt = stmt.where(
            standing_commitments(
                Commitment.nation_code == Nation.code, Commitment.status.in_(statuses)
            )
        )
    if membership:
        stmt = stmt.where(Membership.status.in_(membership))
    if nato is not None:
        stmt = stmt.where(Nation.nato == nato)
    if eu is not None:
        stmt = stmt.where(Nation.eu == eu)
    if region is not None:
        # Any M49 sub-region of the reference data is a valid filter, even one with no nation
        # (at `as_of`): an empty list. A name that is no sub-region is a mistake: 422.
        regions = session.scalars(select(Nation.region).distinct()).all()
        m49 = request.app.state.reference[0].regions.members
        if region.lower() not in {r.lower() for r in [*regions, *m49]}:
            raise InvalidParameter(
                f"query.region: {region!r} is not a UN M49 sub-region.", allowed=sorted(m49)
            )
        stmt = stmt.where(func.lower(Nation.region) == region.lower())
    if q is not None:
        pattern = like_pattern(q)
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Nation.name, Nation.official_name, Nation.code, Nation.alpha3)
                )
            )
        )
    nations, total, next_cursor = fetch_page(session, stmt, page, sort.value, SORTS[sort])

    codes = [n.code for n in nations]
    own_commitments = session.scalars(
        select(Commitment).where(Commitment.nation_code.in_(codes)).order_by(Commitment.id)
    ).all()
    coalition_commitments = session.scalars(
        select(Commitment).where(Commitment.actor == ActorKind.coalition).order_by(Commitment.id)
    ).all()
    whole = [c for c in coalition_commitments if c.coalition_scope is CoalitionScope.whole]
    items = []
    for nation in nations:
        membership_row = nation.membership
        assert membership_row is not None  # noqa: S101 - the inner join guarantees it
        roles = [
            NationRole(role=c.role, status=c.status, via="nation", commitment=c.id)
            for c in own_commitments
            if c.nation_code == nation.code
        ]
        is_member = membership_row.status is MembershipStatus.member
        if include_coalition and is_member:
            roles += [
                NationRole(role=c.role, status=c.status, via="coalition", commitment=c.id)
                for c in whole
                if not role or c.role in role
            ]
        matched_via = None
        if role:
            direct = any(
                r.via == "nation" and r.role in role and r.status in (statuses or NOT_RULED_OUT)
                for r in roles
            )
            matched_via = "nation" if direct else "coalition"
        items.append(
            NationItem(
                code=nation.code,
                alpha3=nation.alpha3,
                name=nation.name,
                official_name=nation.official_name,
                membership=membership_row.status,
                part=membership_row.part,
                basis=membership_row.basis,
                group=membership_row.group_name,
                nato=nation.nato,
                eu=nation.eu,
                region=nation.region,
                roles=roles,
                matched_via=matched_via,
                inherited=matched_via == "coalition",
            )
        )
    body = NationPage(
        **make_page(request, page, items, total, next_cursor),
        coalition_commitments=[
            CommitmentRef.model_validate(c)
            for c in coalition_commitments
            if role and c.role in role and c.status in (statuses or NOT_RULED_OUT)
        ],
    )
    return render_page(request, page, body, "nations", NationItem)


@router.get("/{code}", response_model=NationDetail, responses=PROBLEM_RESPONSES)
def get_nation(
    request: Request,
    session: ReadSessionDep,
    code: Annotated[
        str,
        Path(
            pattern="^[A-Za-z]{2,3}$",
            description="ISO 3166-1 alpha-2 or alpha-3 code, any case.",
            examples=["IT", "ita"],
        ),
    ],
) -> Response:
    """One nation's record: membership, commitments, conditions, statements, with evidence."""
    column = Nation.code if len(code) == 2 else Nation.alpha3
    nation = session.scalar(
        select(Nation)
        .where(column == code.upper())
        .options(
            selectinload(Nation.membership)
            .selectinload(Membership.evidence)
            .joinedload(Evidence.outlet),
            selectinload(Nation.commitments)
            .selectinload(Commitment.evidence)
            .joinedload(Evidence.outlet),
            selectinload(Nation.commitments).selectinload(Commitment.conditions),
        )
    )
    if nation is None or nation.membership is None:
        raise NotFound(f"No nation with code {code!r} in the data.")
    coalition: Sequence[Commitment] = []
    if nation.membership.status is MembershipStatus.member:
        coalition = session.scalars(
            select(Commitment).where(coalition_wide()).order_by(Commitment.id)
        ).all()
    commitment_ids = [c.id for c in nation.commitments]
    conditions = session.scalars(
        select(Condition)
        .where(
            or_(
                Condition.nation_code == nation.code,
                Condition.gates.any(Commitment.id.in_(commitment_ids)),
            )
        )
        .options(*condition_options())
        .order_by(Condition.id)
    ).all()
    statements = session.scalars(
        select(Statement)
        .where(Statement.speaker_nation_code == nation.code)
        .options(*evidence_options(Statement))
        .order_by(Statement.id)
    ).all()
    return respond_model(
        request,
        NationDetail.model_validate(
            {
                "code": nation.code,
                "alpha3": nation.alpha3,
                "name": nation.name,
                "official_name": nation.official_name,
                "nato": nation.nato,
                "eu": nation.eu,
                "region": nation.region,
                "membership": nation.membership,
                "commitments": nation.commitments,
                "coalition_commitments": coalition,
                "conditions": conditions,
                "statements": statements,
                "disputes": disputes_for_nation(session, nation.code),
            }
        ),
    )
