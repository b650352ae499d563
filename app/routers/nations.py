import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Exists,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import selectinload

from app.db import ReadSessionDep
from app.disputes import disputes_for_nation
from app.errors import PROBLEM_RESPONSES, InvalidParameter, NotFound
from app.listing import (
    LIST_RESPONSES,
    PageDep,
    PreparedPage,
    SortKey,
    make_page,
    render_page,
)
from app.models import (
    Commitment,
    Condition,
    Evidence,
    Membership,
    Nation,
    Statement,
)
from app.queries import (
    FACTS,
    coalition_wide,
    condition_options,
    evidence_options,
    like_pattern,
    not_retracted,
)
from app.representation import respond_model
from app.schemas.common import CommitmentRef
from app.schemas.nations import (
    EMBEDDED_LIMIT,
    NationDetail,
    NationItem,
    NationPage,
    NationRole,
)
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


@dataclass(frozen=True)
class NationFilters:
    """Which filters a nation list request uses (not their values): its query's shape."""

    role: bool
    coalition: bool
    status: bool
    membership: bool
    nato: bool
    eu: bool
    region: bool
    q: bool
    sort: NationSort


NATION_COLUMNS = (
    Nation.code,
    Nation.alpha3,
    Nation.name,
    Nation.official_name,
    Nation.nato,
    Nation.eu,
    Nation.region,
    Membership.status.label("membership"),
    Membership.part,
    Membership.basis,
    Membership.group_name,
)


class Bucket(StrEnum):
    """Which part of a nation page a commitment row of `page_commitments` is for."""

    own = "own"  # a page nation's own, in its item's roles
    listed = "listed"  # the coalition's, of the roles asked for: coalition_commitments
    inherited = "inherited"  # the whole force's, inherited by members with include_coalition

    def column(self) -> ColumnElement[str]:
        """The bucket as a constant `bucket` column (an SQL literal: typed in a UNION)."""
        return literal_column(f"'{self.value}'").label("bucket")


COMMITMENTS = Commitment.__table__


@functools.lru_cache(maxsize=4)
def page_commitments(role: bool, include_coalition: bool) -> Select[Any]:
    """In one query, the first EMBEDDED_LIMIT commitments of each list the page embeds, each
    row with the size of its whole list (`listed_total`): the page's nations' own (per nation,
    those that match the filter first, then by id), the coalition's of the roles and statuses
    asked for, and with include_coalition those of the force as a whole (of the roles asked
    for, if any) that members inherit.

    Each list is ranked and counted on the commitments table alone, and only the rows shown
    are joined to `facts` for their summaries: at 1,000x the seed, the coalition has thousands
    of commitments of a role."""
    c = COMMITMENTS.c
    roles: BindParameter[Any] = bindparam("roles", expanding=True)
    statuses: BindParameter[Any] = bindparam("statuses", expanding=True)
    matches_filter = case((and_(c.role.in_(roles), c.status.in_(statuses)), 0), else_=1)
    own_order = [matches_filter, c.id] if role else [c.id]
    parts: list[Select[Any]] = [
        select(
            Bucket.own.column(),
            c.id,
            func.row_number()
            .over(partition_by=c.nation_code, order_by=own_order)
            .label("position"),
            func.count().over(partition_by=c.nation_code).label("listed_total"),
        ).where(not_retracted(c.id), c.nation_code.in_(bindparam("codes", expanding=True)))
    ]

    def coalition_list(bucket: Bucket, *criteria: ColumnElement[bool]) -> Select[Any]:
        """The first EMBEDDED_LIMIT by id, each with the number of them all."""
        where = [not_retracted(c.id), c.actor == ActorKind.coalition, *criteria]
        total = select(func.count()).select_from(COMMITMENTS).where(*where).scalar_subquery()
        first = (
            select(bucket.column(), c.id, literal_column("0").label("position"))
            .add_columns(total.label("listed_total"))
            .where(*where)
            .order_by(c.id)
            .limit(EMBEDDED_LIMIT)
            .subquery()
        )
        return select(first)

    if role:
        parts.append(coalition_list(Bucket.listed, c.role.in_(roles), c.status.in_(statuses)))
    if include_coalition:
        whole = [c.coalition_scope == CoalitionScope.whole]
        parts.append(
            coalition_list(Bucket.inherited, *whole, *([c.role.in_(roles)] if role else []))
        )
    ranked = union_all(*parts).subquery()
    return (
        select(
            ranked.c.bucket,
            ranked.c.listed_total,
            c.id,
            c.actor,
            c.nation_code,
            c.coalition_scope,
            c.role,
            c.status,
            FACTS.c.summary,
        )
        .join_from(ranked, COMMITMENTS, c.id == ranked.c.id)
        .join(FACTS, FACTS.c.id == c.id)
        .where(ranked.c.position <= EMBEDDED_LIMIT)
        .order_by(ranked.c.bucket, c.nation_code, ranked.c.position, c.id)
    )


@functools.lru_cache(maxsize=512)
def prepared_nation_list(shape: NationFilters) -> PreparedPage:
    """The list query for one shape of filters, values bound at execution. Retracted facts are
    left out here in so many words: these are column queries, which the read session's
    retraction filter (for ORM entities) does not reach."""
    roles: BindParameter[Any] = bindparam("roles", expanding=True)
    statuses: BindParameter[Any] = bindparam("statuses", expanding=True)
    stmt = (
        select(*NATION_COLUMNS)
        .join(Membership, Membership.nation_code == Nation.code)
        .where(Membership.retracted_at.is_(None))
    )
    if shape.role:
        own = standing_commitments(
            Commitment.nation_code == Nation.code,
            Commitment.role.in_(roles),
            Commitment.status.in_(statuses),
        )
        if shape.coalition:
            inherited = standing_commitments(
                coalition_wide(), Commitment.role.in_(roles), Commitment.status.in_(statuses)
            )
            stmt = stmt.where(
                or_(own, and_(Membership.status == MembershipStatus.member, inherited))
            )
        else:
            stmt = stmt.where(own)
    elif shape.status:
        stmt = stmt.where(
            standing_commitments(
                Commitment.nation_code == Nation.code, Commitment.status.in_(statuses)
            )
        )
    if shape.membership:
        stmt = stmt.where(Membership.status.in_(bindparam("memberships", expanding=True)))
    if shape.nato:
        stmt = stmt.where(Nation.nato == bindparam("nato"))
    if shape.eu:
        stmt = stmt.where(Nation.eu == bindparam("eu"))
    if shape.region:
        stmt = stmt.where(func.lower(Nation.region) == bindparam("region"))
    if shape.q:
        pattern: BindParameter[str] = bindparam("pattern")
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Nation.name, Nation.official_name, Nation.code, Nation.alpha3)
                )
            )
        )
    return PreparedPage.build(stmt, SORTS[shape.sort])


def total_of(rows: Sequence[Any]) -> int:
    """The size of the whole list that `rows` (its first EMBEDDED_LIMIT) come from."""
    return int(rows[0].listed_total) if rows else 0


def coalition_list_url(request: Request, roles: list[Role], statuses: Sequence[Status]) -> str:
    """/commitments filtered to a nation page's coalition_commitments, every one of them (the
    page shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query: list[tuple[str, str]] = [("actor", ActorKind.coalition.value)]
    query += [("role", r.value) for r in roles] + [("status", s.value) for s in statuses]
    if "as_of" in request.query_params:
        query.append(("as_of", request.query_params["as_of"]))
    return str(request.url_for("list_commitments").replace(query=urlencode(query)))


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
    if region is not None:
        # Any M49 sub-region of the reference data is a valid filter, even one with no nation
        # (at `as_of`): an empty list. A name that is no sub-region is a mistake: 422.
        regions = session.scalars(select(Nation.region).distinct()).all()
        m49 = request.app.state.reference[0].regions.members
        if region.lower() not in {r.lower() for r in [*regions, *m49]}:
            raise InvalidParameter(
                f"query.region: {region!r} is not a UN M49 sub-region.", allowed=sorted(m49)
            )
    shape = NationFilters(
        role=bool(role),
        coalition=bool(role) and include_coalition,
        status=bool(statuses),
        membership=bool(membership),
        nato=nato is not None,
        eu=eu is not None,
        region=region is not None,
        q=q is not None,
        sort=sort,
    )
    params = {
        "roles": role or [],
        "statuses": statuses or [],
        "memberships": membership or [],
        "nato": nato,
        "eu": eu,
        "region": (region or "").lower(),
        "pattern": like_pattern(q or ""),
    }
    rows, total, next_cursor = prepared_nation_list(shape).fetch(session, params, page, sort.value)
    own_by_nation: dict[str, list[Any]] = {}
    listed: list[Any] = []
    inherited_rows: list[Any] = []
    for c in session.connection().execute(
        page_commitments(bool(role), include_coalition),
        {"codes": [row.code for row in rows], "roles": role or [], "statuses": statuses or []},
    ):
        if c.bucket == Bucket.own:
            own_by_nation.setdefault(c.nation_code, []).append(c)
        else:
            (listed if c.bucket == Bucket.listed else inherited_rows).append(c)
    inherited = [
        NationRole(role=c.role, status=c.status, via="coalition", commitment=c.id)
        for c in inherited_rows
    ]
    inherited_total = total_of(inherited_rows)
    items = []
    for nation in rows:
        own = own_by_nation.get(nation.code, [])
        roles = [
            NationRole(role=c.role, status=c.status, via="nation", commitment=c.id) for c in own
        ]
        roles_total = total_of(own)
        if include_coalition and nation.membership is MembershipStatus.member:
            roles = (roles + inherited)[:EMBEDDED_LIMIT]
            roles_total += inherited_total
        matched_via = None
        if role:
            # A nation's commitments that match the filter come first in its roles: shown,
            # if it has any.
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
                membership=nation.membership,
                part=nation.part,
                basis=nation.basis,
                group=nation.group_name,
                nato=nation.nato,
                eu=nation.eu,
                region=nation.region,
                roles=roles,
                roles_total=roles_total,
                matched_via=matched_via,
                inherited=matched_via == "coalition",
            )
        )
    body = NationPage(
        **make_page(request, page, items, total, next_cursor),
        coalition_commitments=[CommitmentRef.model_validate(c._mapping) for c in listed],
        coalition_commitments_total=total_of(listed),
        coalition_commitments_all=(
            coalition_list_url(request, role, statuses or NOT_RULED_OUT) if role else None
        ),
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
