"""The dashboard summary (`/summary`): membership and role counts, split by status and certainty,
and the claimed-versus-identified story in numbers."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.reads.per_revision import PerRevision
from app.reads.queries import evidence_options
from app.reads.tallies import tally_of
from app.schemas.common import EvidenceRead
from app.schemas.meta import Identified, RoleCounts, Summary
from app.store.models import Event
from app.store.revisions import fact_snapshots, reference_changed
from app.vocab import Basis, Certainty, MembershipStatus, Role, Status

router = PrefixedRouter(prefix="/summary", tags=["summary"], route_class=AnswerRoute)
# Built once per data revision from the tally (app.reads.tallies), itself carried forward.
SUMMARIES: PerRevision[Summary] = PerRevision(max_entries=1)


@router.get("")
def get_summary(request: Request, session: ReadSessionDep) -> Answer[Summary]:
    """Counts for dashboards: claimed and identified nations; by role, status, region."""
    return respond_model(request, SUMMARIES.get(session, "summary", lambda: summarise(session)))


# The claimed count and its evidence: kept past writes that change no event (its query sorts
# every event that claims a count: 1,000 at 1,000x the seed).
CLAIMS: PerRevision[tuple[int | None, list[EvidenceRead]]] = PerRevision(max_entries=1)


def _claimed(session: Session) -> tuple[int | None, list[EvidenceRead]]:
    event = session.scalar(
        select(Event)
        .where(Event.pledging_nation_count.is_not(None))
        .options(*evidence_options(Event))
        .order_by(Event.date, Event.id)
        .limit(1)  # else every such event is loaded with its evidence (1,000 at 1,000x)
    )
    claimed = event.pledging_nation_count if event else None
    # Only the evidence that states the count, not everything said about the event.
    return claimed, [
        EvidenceRead.model_validate(e)
        for e in (event.evidence if event else [])
        if claimed is not None and str(claimed) in e.quote
    ]


def _touches_events(entries: Sequence[Any]) -> bool:
    if reference_changed(entries):
        return True  # an outlet's name, shown with the evidence
    return any(s.get("kind") == "event" for s in fact_snapshots(entries))


def summarise(session: Session) -> Summary:
    claimed, claimed_by = CLAIMS.get(
        session, "claimed", lambda: _claimed(session), touched_by=_touches_events
    )
    tally = tally_of(session)
    by_membership = {s.value: 0 for s in MembershipStatus}
    by_membership_certainty = {s.value: dict.fromkeys(Certainty, 0) for s in MembershipStatus}
    by_basis = dict.fromkeys(Basis, 0)
    member_certainty = dict.fromkeys(Certainty, 0)
    for (membership_status, basis, certainty), count in tally.by_membership.items():
        by_membership[membership_status] += count
        by_membership_certainty[membership_status][certainty] += count
        if membership_status is MembershipStatus.member:
            by_basis[basis] += count
            member_certainty[certainty] += count
    roles = {
        r: RoleCounts(
            nations=0, nations_by_status=dict.fromkeys(Status, 0), commitments=0,
            commitments_by_status=dict.fromkeys(Status, 0),
            commitments_by_certainty=dict.fromkeys(Certainty, 0), coalition_commitments=0,
        )
        for r in Role
    }  # fmt: skip
    by_status = dict.fromkeys(Status, 0)
    for (role, status, certainty, coalition), count in tally.by_commitment.items():
        counts = roles[role]
        counts.commitments += count
        counts.commitments_by_status[status] += count
        counts.commitments_by_certainty[certainty] += count
        counts.coalition_commitments += count if coalition else 0
        by_status[status] += count
    for (role, status), nations in tally.nations.items():
        roles[role].nations_by_status[status] = nations
        if status is Status.pledged:
            roles[role].nations = nations
    by_region: Counter[str] = Counter()
    for nation, members in tally.members.items():
        if members:
            by_region[tally.regions[nation]] += members
    by_certainty = dict.fromkeys(Certainty, 0) | dict(tally.by_certainty)
    identified = sum(by_basis.values())
    return Summary(
        claimed_nation_count=claimed,
        claimed_by=claimed_by,
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
        by_region=dict(sorted(by_region.items())),
        by_certainty=by_certainty,
    )
