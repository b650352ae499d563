"""The dashboard summary (`/summary`): membership and role counts, split by status and certainty,
and the claimed-versus-identified story in numbers."""

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.reads.per_revision import PerRevision
from app.reads.queries import certainty_column, evidence_options, standing
from app.schemas.common import EvidenceRead
from app.schemas.meta import Identified, RoleCounts, Summary
from app.store.models import Commitment, Event, Evidence, Membership, Nation
from app.store.visibility import not_retracted
from app.vocab import ActorKind, Basis, Certainty, MembershipStatus, Role, Status

router = PrefixedRouter(prefix="/summary", tags=["summary"], route_class=AnswerRoute)
# The kinds' own tables: counted with `not_retracted`, not joined to `facts` row by row.
C, M = Commitment.__table__.c, Membership.__table__.c


# Every count reads whole tables: counted once per data revision (app.reads.per_revision).
SUMMARIES: PerRevision[Summary] = PerRevision(max_entries=1)


@router.get("")
def get_summary(request: Request, session: ReadSessionDep) -> Answer[Summary]:
    """Counts for dashboards: claimed and identified nations; by role, status, region."""
    return respond_model(request, SUMMARIES.get(session, "summary", lambda: summarise(session)))


def summarise(session: Session) -> Summary:
    event = session.scalar(
        select(Event)
        .where(Event.pledging_nation_count.is_not(None))
        .options(*evidence_options(Event))
        .order_by(Event.date, Event.id)
        .limit(1)  # else every such event is loaded with its evidence (1,000 at 1,000x)
    )
    claimed = event.pledging_nation_count if event else None
    membership_certainty = certainty_column(M.id)
    memberships = session.execute(
        standing(
            select(M.status, M.basis, membership_certainty, func.count())
            .where(not_retracted(M.id))
            .group_by(M.status, M.basis, membership_certainty)
        )
    ).all()
    by_membership = {s.value: 0 for s in MembershipStatus}
    by_membership_certainty = {s.value: dict.fromkeys(Certainty, 0) for s in MembershipStatus}
    by_basis = dict.fromkeys(Basis, 0)
    member_certainty = dict.fromkeys(Certainty, 0)
    for status, basis, certainty, count in memberships:
        by_membership[status] += count
        by_membership_certainty[status][Certainty(certainty)] += count
        if status is MembershipStatus.member:
            by_basis[basis] += count
            member_certainty[Certainty(certainty)] += count
    commitment_certainty = certainty_column(C.id)
    role_rows = session.execute(
        standing(
            select(
                C.role,
                C.status,
                commitment_certainty,
                func.count(),
                func.count().filter(C.actor == ActorKind.coalition),
            )
            .where(not_retracted(C.id))
            .group_by(C.role, C.status, commitment_certainty)
        )
    ).all()
    nation_rows = session.execute(
        standing(
            select(C.role, C.status, func.count(C.nation_code.distinct()))
            .where(C.nation_code.is_not(None), not_retracted(C.id))
            .group_by(C.role, C.status)
        )
    ).all()
    roles = {
        r: RoleCounts(
            nations=0, nations_by_status=dict.fromkeys(Status, 0), commitments=0,
            commitments_by_status=dict.fromkeys(Status, 0),
            commitments_by_certainty=dict.fromkeys(Certainty, 0), coalition_commitments=0,
        )
        for r in Role
    }  # fmt: skip
    by_status = dict.fromkeys(Status, 0)
    for role, status, certainty, count, coalition in role_rows:
        counts = roles[role]
        counts.commitments += count
        counts.commitments_by_status[status] += count
        counts.commitments_by_certainty[Certainty(certainty)] += count
        counts.coalition_commitments += coalition
        by_status[status] += count
    for role, status, nations in nation_rows:
        roles[role].nations_by_status[status] = nations
        if status is Status.pledged:
            roles[role].nations = nations
    by_region = dict(
        session.execute(
            select(Nation.region, func.count())
            .join(Membership, Membership.nation_code == Nation.code)
            .where(Membership.status == MembershipStatus.member)
            .group_by(Nation.region)
            .order_by(Nation.region)
        )
        .tuples()
        .all()
    )
    # Evidence is not a fact: the session's rule does not reach it. Its facts' retraction does.
    by_certainty = dict.fromkeys(Certainty, 0) | dict(
        session.execute(
            standing(
                select(Evidence.certainty, func.count())
                .where(not_retracted(Evidence.__table__.c.fact_id))
                .group_by(Evidence.certainty)
            )
        )
        .tuples()
        .all()
    )
    identified = sum(by_basis.values())
    return Summary(
        claimed_nation_count=claimed,
        # Only the evidence that states the count, not everything said about the event.
        claimed_by=[
            EvidenceRead.model_validate(e)
            for e in (event.evidence if event else [])
            if claimed is not None and str(claimed) in e.quote
        ],
        identified=Identified(
            total=identified,
            named=by_basis[Basis.named],
            implied=by_basis[Basis.implied],
            inferred_from_group=by_basis[Basis.inferred_from_group],
            unidentified=max((claimed or 0) - identified, 0),
            by_certainty=member_certainty,
        ),
        potential_members=by_membership[MembershipStatus.potential],
        by_membership=by_membership,
        by_membership_certainty=by_membership_certainty,
        by_role=roles,
        by_status=by_status,
        by_region=by_region,
        by_certainty=by_certainty,
    )
