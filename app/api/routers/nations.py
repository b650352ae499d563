"""Nations (`/nations`, `/nations/{code}`): who will or may do what, with the status set that
matches the question, inheritance of the coalition's commitments (never over a nation's own
word), and a nation's page with everything the sources say about it."""

from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy import select

from app.api.dispute_items import embedded_dispute
from app.api.filters import CertaintyParam
from app.api.listing import LIST_RESPONSES, applied_filters, make_page, render_page
from app.api.nation_items import page_items
from app.api.nation_list import (
    NationFilters,
    NationSort,
    groups_matching,
    prepared_nation_list,
    resolve_group,
)
from app.api.nation_page import (
    COALITION_PART,
    coalition_list_url,
    coalition_part,
    named_nation,
    own_facts,
    own_lists,
    touches_coalition_part,
    whole_force_url,
)
from app.api.pages import PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.api.state import ReferenceDep, app_reference
from app.errors import PROBLEM_RESPONSES, InvalidParameter, NotFound
from app.facts.reference import GroupIn
from app.reads.disputes.finding import disputes_for_nation
from app.reads.fact_items import fact_items
from app.reads.queries import like_pattern, nation_suggestions
from app.schemas.common import CommitmentRef
from app.schemas.nations import (
    CoalitionCommitment,
    MembershipRead,
    NationDetail,
    NationDispute,
    NationItem,
    NationPage,
)
from app.store.models import (
    Membership,
    Nation,
)
from app.vocab import MembershipStatus, Role, Status

router = PrefixedRouter(prefix="/nations", tags=["nations"], route_class=AnswerRoute)
# With `role` and no `status`: what the question "who will do it?" means — the nation will or
# may do it. Hesitant and ruled-out commitments only when asked for.
WILL_OR_MAY = [Status.pledged, Status.open_to, Status.considering, Status.pending]


@router.get("", responses=LIST_RESPONSES)
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
            description="Commitment status (repeatable). With `role`, the default is the "
            "statuses that mean the nation will or may do it: pledged, open_to, considering "
            "and pending (ask for hesitant or ruled_out by name); without `role`, nations with "
            "any commitment of it. `applied` in the answer says which were used.",
            examples=["ruled_out"],
        ),
    ] = None,
    membership: Annotated[
        list[MembershipStatus] | None,
        Query(description="member, potential or non_member (repeatable).", examples=["member"]),
    ] = None,
    certainty: CertaintyParam = None,
    nato: Annotated[bool | None, Query(description="NATO members on 2025-09-04.")] = None,
    eu: Annotated[bool | None, Query(description="EU members on 2025-09-04.")] = None,
    region: Annotated[
        str | None,
        Query(
            max_length=60, description="UN M49 sub-region, any case.", examples=["Northern Europe"]
        ),
    ] = None,
    group: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=100,
            description="Nations of a named group (data/reference/groups.yaml): its id, its "
            "name or a word of it, any case (`nordic`, `baltic-countries`, `Asia-Pacific`).",
            examples=["nordic"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Search in name, official name, ISO codes and the names of groups "
            "(`nordic` finds the Nordic states), any case.",
            examples=["czech"],
        ),
    ] = None,
    include_coalition: Annotated[
        bool,
        Query(
            description="With `role`: also list members that carry the role only through a "
            "commitment of the coalition's force as a whole; such items have inherited=true. "
            "A member does not inherit a role where its own commitment is ruled out or "
            "hesitant, or that a source leaves out of the roles it limits the member to."
        ),
    ] = False,
    include_excluded: Annotated[
        bool,
        Query(
            description="With include_coalition=true: also list the members that do not "
            "inherit the role, with inherited=false and `excluded_by`: their own commitments "
            "that say why."
        ),
    ] = False,
    sort: Annotated[NationSort, Query(description="Order; `-` for descending.")] = NationSort.name,
) -> Answer[NationPage]:
    """List nations in the story, filtered by role, status, membership, alliance, region or name."""
    statuses = status or (WILL_OR_MAY if role else None)
    groups: dict[str, GroupIn] = app_reference(request).groups
    if region is not None:
        # Any M49 sub-region of the reference data is a valid filter, even one with no nation
        # (at `as_of`): an empty list. A name that is no sub-region is a mistake: 422.
        regions = session.scalars(select(Nation.region).distinct()).all()
        m49 = app_reference(request).nations.regions.members
        if region.lower() not in {r.lower() for r in [*regions, *m49]}:
            raise InvalidParameter(
                f"query.region: {region!r} is not a UN M49 sub-region.", allowed=sorted(m49)
            )
    in_group = resolve_group(groups, group) if group is not None else None
    coalition = bool(role) and include_coalition
    shape = NationFilters(
        role=bool(role),
        coalition=coalition,
        excluded=coalition and include_excluded,
        status=bool(statuses),
        membership=bool(membership),
        certainty=bool(certainty),
        nato=nato is not None,
        eu=eu is not None,
        region=region is not None,
        group=in_group is not None,
        q=q is not None,
        sort=sort,
    )
    params = {
        "roles": role or [],
        "statuses": statuses or [],
        "memberships": membership or [],
        "certainties": certainty or [],
        "nato": nato,
        "eu": eu,
        "region": (region or "").lower(),
        "group_members": sorted(in_group.members) if in_group else [],
        "pattern": like_pattern(q or ""),
        "q_group_members": groups_matching(groups, q) if q else [],
    }
    rows, total, next_cursor = prepared_nation_list(shape).fetch(session, params, page, sort.value)
    items, listed = page_items(session, rows, role, statuses or [], include_coalition)
    applied = applied_filters(
        role=role, status=statuses, membership=membership, certainty=certainty, nato=nato,
        eu=eu, region=region, group=in_group.id if in_group else None, q=q,
        include_coalition=include_coalition, include_excluded=include_excluded, sort=sort,
    )  # fmt: skip
    body = NationPage(
        **make_page(request, page, items, total, next_cursor, applied),
        coalition_commitments=[CommitmentRef.model_validate(c._mapping) for c in listed],
        coalition_commitments_total=int(listed[0].listed_total) if listed else 0,
        coalition_commitments_all=(
            coalition_list_url(request, role, statuses or WILL_OR_MAY) if role else None
        ),
    )
    return render_page(request, page, body, "nations", NationItem)


@router.get("/{code}", responses=PROBLEM_RESPONSES)
def get_nation(
    request: Request,
    session: ReadSessionDep,
    reference: ReferenceDep,
    code: Annotated[
        str,
        Path(
            min_length=2,
            max_length=60,
            description="ISO 3166-1 alpha-2 or alpha-3 code, or the nation's name, any case.",
            examples=["IT", "ita", "Italy"],
        ),
    ],
) -> Answer[NationDetail]:
    """One nation's record: membership, commitments, conditions, statements, with evidence."""
    named = named_nation(session, code)
    nation = named.fields
    listed = own_facts(session, nation["code"]) if nation else None
    shown = listed.membership if listed else []
    memberships = fact_items(session, Membership, MembershipRead, shown)
    if nation is None or listed is None or not memberships:
        close = nation_suggestions(code) if named.code is None else []
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise NotFound(f"No nation {code!r} in the data.{hint}")
    nation_code: str = nation["code"]
    membership = memberships[0]
    coalition: list[CoalitionCommitment] = []
    coalition_total = 0
    if membership.status is MembershipStatus.member:
        coalition, coalition_total = COALITION_PART.get(
            session, nation_code, lambda: coalition_part(session, nation_code),
            touched_by=lambda entries: touches_coalition_part(entries, nation_code),
        )  # fmt: skip
    return respond_model(
        request,
        NationDetail.model_validate(
            {
                **nation,
                "membership": membership,
                **own_lists(request, session, listed, nation_code),
                "coalition_commitments": coalition,
                "coalition_commitments_total": coalition_total,
                "coalition_commitments_all": whole_force_url(request) if coalition else None,
                "disputes": [
                    embedded_dispute(
                        request,
                        d,
                        nation_code,
                        NationDispute,
                        with_differences=d.nations == [nation_code],
                    )
                    for d in disputes_for_nation(session, reference.groups, nation_code)
                ],
            }
        ),
    )
