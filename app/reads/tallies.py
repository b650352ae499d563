"""The counts `/summary` and `/roles` show, kept per data revision and carried to the next by the
audit entries of the writes between (app.store.revisions.changes_between): a write re-reads the
facts it touched, not every commitment (34,000 at 1,000x the seed).

A tally holds what each standing fact adds to the counts, by id, beside the counts themselves:
carrying it takes off what a touched fact added and adds what it adds now (nothing once it is
retracted). Re-reading sets a fact's part from the database as it is, so a fact read newer than
the revision (a write committed meanwhile) is set right again by the next carry."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from app.reads.per_revision import PerRevision
from app.reads.queries import certainty_column, standing
from app.store.models import Commitment, Evidence, Membership, Nation
from app.store.visibility import not_retracted
from app.vocab import ActorKind, Basis, Certainty, MembershipStatus, Role, Status

C, M, E = Commitment.__table__.c, Membership.__table__.c, Evidence.__table__.c
# Ids bound by one statement: within what SQLite binds.
CHUNK = 500

# What a commitment adds: role, status, certainty, whether it is the coalition's, its nation.
CommitmentPart = tuple[Role, Status, Certainty, bool, str | None]
# What a membership adds: status, basis, certainty, its nation.
MembershipPart = tuple[MembershipStatus, Basis, Certainty, str]


@dataclass
class Tally:
    # What each standing fact adds, by id.
    commitments: dict[str, CommitmentPart]
    memberships: dict[str, MembershipPart]
    evidence: dict[str, tuple[Certainty, ...]]  # a fact's evidence, by its fact's id
    regions: dict[str, str]  # by nation code
    # The counts.
    by_commitment: Counter[tuple[Role, Status, Certainty, bool]]
    by_nation_commitment: Counter[tuple[Role, Status, str]]  # a nation's own, per role and status
    nations: Counter[tuple[Role, Status]]  # nations with their own, per role and status
    by_membership: Counter[tuple[MembershipStatus, Basis, Certainty]]
    members: Counter[str]  # standing memberships with status member, by nation
    by_certainty: Counter[Certainty]  # evidence of standing facts

    def add_commitment(self, part: CommitmentPart, sign: int) -> None:
        role, status, certainty, coalition, nation = part
        self.by_commitment[(role, status, certainty, coalition)] += sign
        if nation is not None:
            key = (role, status, nation)
            before = self.by_nation_commitment[key]
            self.by_nation_commitment[key] = before + sign
            if (before > 0) != (before + sign > 0):  # the nation came or went
                self.nations[(role, status)] += sign

    def add_membership(self, part: MembershipPart, sign: int) -> None:
        status, basis, certainty, nation = part
        self.by_membership[(status, basis, certainty)] += sign
        if status is MembershipStatus.member:
            self.members[nation] += sign

    def add_evidence(self, certainties: Iterable[Certainty], sign: int) -> None:
        for certainty in certainties:
            self.by_certainty[certainty] += sign

    def copy(self) -> "Tally":
        return Tally(
            dict(self.commitments), dict(self.memberships), dict(self.evidence),
            dict(self.regions), Counter(self.by_commitment), Counter(self.by_nation_commitment),
            Counter(self.nations), Counter(self.by_membership), Counter(self.members),
            Counter(self.by_certainty),
        )  # fmt: skip


def _commitments(session: Session, where: ColumnElement[bool] | None) -> dict[str, CommitmentPart]:
    stmt = select(
        C.id, C.role, C.status, certainty_column(C.id), C.actor == ActorKind.coalition,
        C.nation_code,
    ).where(not_retracted(C.id))  # fmt: skip
    if where is not None:
        stmt = stmt.where(where)
    return {
        id_: (role, status, Certainty(certainty), bool(coalition), nation)
        for id_, role, status, certainty, coalition, nation in session.execute(standing(stmt))
    }


def _memberships(session: Session, where: ColumnElement[bool] | None) -> dict[str, MembershipPart]:
    stmt = select(M.id, M.status, M.basis, certainty_column(M.id), M.nation_code).where(
        not_retracted(M.id)
    )
    if where is not None:
        stmt = stmt.where(where)
    return {
        id_: (status, basis, Certainty(certainty), nation)
        for id_, status, basis, certainty, nation in session.execute(standing(stmt))
    }


def _evidence(
    session: Session, where: ColumnElement[bool] | None
) -> dict[str, tuple[Certainty, ...]]:
    # Evidence is not a fact: the session's rule does not reach it. Its facts' retraction does.
    stmt = select(E.fact_id, E.certainty).where(not_retracted(E.fact_id))
    if where is not None:
        stmt = stmt.where(where)
    found: dict[str, list[Certainty]] = {}
    for fact_id, certainty in session.execute(standing(stmt)):
        found.setdefault(fact_id, []).append(certainty)
    return {fact_id: tuple(each) for fact_id, each in found.items()}


def _regions(session: Session, codes: list[str] | None) -> dict[str, str]:
    stmt = select(Nation.code, Nation.region)
    if codes is not None:
        stmt = stmt.where(Nation.code.in_(codes))
    return dict(session.execute(stmt).tuples().all())


def count(session: Session) -> Tally:
    """Every standing fact's part, and the counts, read whole."""
    tally = Tally(
        _commitments(session, None), _memberships(session, None), _evidence(session, None),
        _regions(session, None), Counter(), Counter(), Counter(), Counter(), Counter(), Counter(),
    )  # fmt: skip
    for commitment in tally.commitments.values():
        tally.add_commitment(commitment, 1)
    for membership in tally.memberships.values():
        tally.add_membership(membership, 1)
    for certainties in tally.evidence.values():
        tally.add_evidence(certainties, 1)
    return tally


def carry(session: Session, kept: Tally, entries: Sequence[Row[Any]]) -> Tally:
    """``kept`` brought forward by the audit entries since: each fact they name read again (a
    nation's region too), the rest as it was. Sources and outlets count for nothing here."""
    facts = sorted({e.entity_id for e in entries if e.entity == "fact"})
    nations = sorted({e.entity_id for e in entries if e.entity == "nation"})
    tally = kept.copy()
    for start in range(0, len(facts), CHUNK):
        ids = facts[start : start + CHUNK]
        commitments = _commitments(session, C.id.in_(ids))
        memberships = _memberships(session, M.id.in_(ids))
        evidence = _evidence(session, E.fact_id.in_(ids))
        for id_ in ids:
            if (old_c := tally.commitments.pop(id_, None)) is not None:
                tally.add_commitment(old_c, -1)
            if (new_c := commitments.get(id_)) is not None:
                tally.commitments[id_] = new_c
                tally.add_commitment(new_c, 1)
            if (old_m := tally.memberships.pop(id_, None)) is not None:
                tally.add_membership(old_m, -1)
            if (new_m := memberships.get(id_)) is not None:
                tally.memberships[id_] = new_m
                tally.add_membership(new_m, 1)
            tally.add_evidence(tally.evidence.pop(id_, ()), -1)
            if (new_e := evidence.get(id_)) is not None:
                tally.evidence[id_] = new_e
                tally.add_evidence(new_e, 1)
        # A new member's nation, if the entries did not name it (written with the membership).
        nations += [m[3] for m in memberships.values() if m[3] not in tally.regions]
    if nations:
        tally.regions.update(_regions(session, sorted(set(nations))))
    return tally


# One tally a database: the live one's, and each past state's (`as_of`) kept.
TALLIES: PerRevision[Tally] = PerRevision(max_entries=1)


def tally_of(session: Session) -> Tally:
    """The counts at the session's revision: kept, carried forward from the last kept, or read."""
    return TALLIES.get(
        session,
        "tally",
        lambda: count(session),
        carry=lambda kept, entries: carry(session, kept, entries),
    )
