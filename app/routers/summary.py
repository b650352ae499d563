from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import ReadSessionDep
from app.models import Commitment, Event, Evidence, Membership, Nation
from app.per_revision import PerRevision
from app.queries import evidence_options
from app.representation import respond_model
from app.schemas.common import EvidenceRead
from app.schemas.meta import Identified, RoleCounts, Summary
from app.vocab import ActorKind, Basis, Certainty, MembershipStatus, Role, Status

router = APIRouter(prefix="/summary", tags=["summary"])


# Every count reads whole tables: counted once per data revision (app.per_revision).
SUMMARIES: PerRevision[Summary] = PerRevision(max_entries=1)


@router.get("", response_model=Summary)
def get_summary(request: Request, session: ReadSessionDep) -> Response:
    """Counts for dashboards: claimed and identified nations; by role, status, region."""
    return respond_model(request, SUMMARIES.get(session, "summary", lambda: summarise(session)))


def summarise(session: Session) -> Summary:
    event = session.scalar(
        select(Event)
        .where(Event.pledging_nation_count.is_not(None))
        .options(*evidence_options(Event))
        .order_by(Event.date, Event.id)
    )
    claimed = event.pledging_nation_count if event else None
    by_basis = dict(
        session.execute(
            select(Membership.basis, func.count())
            .where(Membership.status == MembershipStatus.member)
            .group_by(Membership.basis)
        )
        .tuples()
        .all()
    )
    by_membership = dict(
        session.execute(select(Membership.status, func.count()).group_by(Membership.status))
        .tuples()
        .all()
    )
    role_rows = session.execute(
        select(
            Commitment.role,
            func.count(),
            func.count(Commitment.nation_code.distinct()).filter(
                Commitment.status != Status.ruled_out
            ),
            func.count().filter(Commitment.actor == ActorKind.coalition),
        ).group_by(Commitment.role)
    ).all()
    roles = {r: RoleCounts(nations=0, commitments=0, coalition_commitments=0) for r in Role}
    for role, count, nations, coalition in role_rows:
        roles[role] = RoleCounts(
            nations=nations, commitments=count, coalition_commitments=coalition
        )
    by_status = dict.fromkeys(Status, 0) | dict(
        session.execute(select(Commitment.status, func.count()).group_by(Commitment.status))
        .tuples()
        .all()
    )
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
    by_certainty = dict.fromkeys(Certainty, 0) | dict(
        session.execute(select(Evidence.certainty, func.count()).group_by(Evidence.certainty))
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
            named=by_basis.get(Basis.named, 0),
            implied=by_basis.get(Basis.implied, 0),
            inferred_from_group=by_basis.get(Basis.inferred_from_group, 0),
            unidentified=max((claimed or 0) - identified, 0),
        ),
        potential_members=by_membership.get(MembershipStatus.potential, 0),
        by_membership={s.value: by_membership.get(s, 0) for s in MembershipStatus},
        by_role=roles,
        by_status=by_status,
        by_region=by_region,
        by_certainty=by_certainty,
    )
