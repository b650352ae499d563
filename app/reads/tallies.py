"""The counts `/summary` and `/roles` show, kept per data revision and carried to the next by the
audit entries of the writes between (app.store.revisions.changes_between): a write re-reads the
facts it touched, not every commitment (34,000 at 1,000x the seed).

A tally holds what each standing fact adds to the counts, by id, beside the counts themselves:
carrying it takes off what a touched fact added and adds what it adds now (nothing once it is
retracted). Re-reading sets a fact's part from the database as it is, so a fact read newer than
the revision (a write committed meanwhile) is set right again by the next carry."""

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from app.reads.per_revision import PerRevision
from app.reads.queries import certainty_column, standing
from app.store.models import Commitment, Evidence, Membership, Nation
from app.store.visibility import OPEN_LIVE, not_retracted
from app.vocab import ActorKind, Basis, Certainty, MembershipStatus, Role, Status

C, M, E = Commitment.__table__.c, Membership.__table__.c, Evidence.__table__.c
# Ids bound by one statement: within what SQLite binds.
CHUNK = 500
# Equal parts, one tuple: a part holds enum members, so each tuple of its own stays tracked by
# the garbage collector, and every full collection walked them all (92,000 at 1,000x the seed,
# about a third of a collection's time). Few are distinct: a role, status and certainty, a
# nation.
_SHARED: dict[tuple[Any, ...], tuple[Any, ...]] = {}


P = TypeVar("P", bound=tuple[Any, ...])


def _shared(part: P) -> P:
    return cast(P, _SHARED.setdefault(part, part))


# What a commitment adds: role, status, certainty, whether it is the coalition's, its nation.
CommitmentPart = tuple[Role, Status, Certainty, bool, str | None]
# What a membership adds: status, basis, certainty, its nation.
MembershipPart = tuple[MembershipStatus, Basis, Certainty, str]


@dataclass
class FactParts:
    """What each standing fact adds, by id: read only to carry its tally forward, so handed to
    the next revision's tally, not copied (34,000 commitments at 1,000x: copying them took most
    of a carry)."""

    commitments: dict[str, CommitmentPart]
    memberships: dict[str, MembershipPart]
    evidence: dict[str, tuple[Certainty, ...]]  # a fact's evidence, by its fact's id
    by_nation: Counter[tuple[Role, Status, str]]  # a nation's own commitments, per role, status


@dataclass
class Tally:
    """The counts at one revision; a carry makes a new one and leaves these as they are
    (requests at that revision may still read them)."""

    parts: FactParts | None  # None once handed to the next revision's tally
    regions: dict[str, str]  # by nation code
    by_commitment: Counter[tuple[Role, Status, Certainty, bool]]
    nations: Counter[tuple[Role, Status]]  # nations with their own, per role and status
    by_membership: Counter[tuple[MembershipStatus, Basis, Certainty]]
    members: Counter[str]  # standing memberships with status member, by nation
    by_certainty: Counter[Certainty]  # evidence of standing facts

    def add_commitment(
        self, by_nation: Counter[tuple[Role, Status, str]], part: CommitmentPart, sign: int
    ) -> None:
        role, status, certainty, coalition, nation = part
        self.by_commitment[(role, status, certainty, coalition)] += sign
        if nation is not None:
            key = (role, status, nation)
            before = by_nation[key]
            by_nation[key] = before + sign
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

    def counts_with(self, parts: FactParts) -> "Tally":
        """A new tally holding ``parts`` and copies of these counts (a few hundred numbers)."""
        return Tally(
            parts, dict(self.regions), Counter(self.by_commitment), Counter(self.nations),
            Counter(self.by_membership), Counter(self.members), Counter(self.by_certainty),
        )  # fmt: skip


# Hands a tally's parts over to one carry, once.
_HANDOVER = threading.Lock()


def _commitments(session: Session, where: ColumnElement[bool] | None) -> dict[str, CommitmentPart]:
    stmt = select(
        C.id, C.role, C.status, certainty_column(C.id), C.actor == ActorKind.coalition,
        C.nation_code,
    ).where(not_retracted(C.id))  # fmt: skip
    if where is not None:
        stmt = stmt.where(where)
    return {
        id_: _shared((role, status, Certainty(certainty), bool(coalition), nation))
        for id_, role, status, certainty, coalition, nation in session.execute(standing(stmt))
    }


def _memberships(session: Session, where: ColumnElement[bool] | None) -> dict[str, MembershipPart]:
    stmt = select(M.id, M.status, M.basis, certainty_column(M.id), M.nation_code).where(
        not_retracted(M.id)
    )
    if where is not None:
        stmt = stmt.where(where)
    return {
        id_: _shared((status, basis, Certainty(certainty), nation))
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
    return {fact_id: _shared(tuple(each)) for fact_id, each in found.items()}


def _regions(session: Session, codes: list[str] | None) -> dict[str, str]:
    stmt = select(Nation.code, Nation.region)
    if codes is not None:
        stmt = stmt.where(Nation.code.in_(codes))
    return dict(session.execute(stmt).tuples().all())


def count(session: Session) -> Tally:
    """Every standing fact's part, and the counts, read whole."""
    parts = FactParts(
        _commitments(session, None), _memberships(session, None), _evidence(session, None),
        Counter(),
    )  # fmt: skip
    tally = Tally(None, _regions(session, None), *(Counter() for _ in range(5)))
    for commitment in parts.commitments.values():
        tally.add_commitment(parts.by_nation, commitment, 1)
    for membership in parts.memberships.values():
        tally.add_membership(membership, 1)
    for certainties in parts.evidence.values():
        tally.add_evidence(certainties, 1)
    tally.parts = parts
    return tally


def carry(session: Session, kept: Tally, entries: Sequence[Row[Any]]) -> Tally:
    """``kept`` brought forward by the audit entries since: each fact they name read again (a
    nation's region too), the rest as it was. Sources and outlets count for nothing here. The
    facts are read before ``kept``'s parts are taken: a read that fails (past the time limit)
    leaves them to the next request."""
    facts = sorted({e.entity_id for e in entries if e.entity == "fact"})
    nations = sorted({e.entity_id for e in entries if e.entity == "nation"})
    read = []
    for start in range(0, len(facts), CHUNK):
        ids = facts[start : start + CHUNK]
        where = (C.id.in_(ids), M.id.in_(ids), E.fact_id.in_(ids))
        read.append((ids, _commitments(session, where[0]), _memberships(session, where[1]),
                     _evidence(session, where[2])))  # fmt: skip
    for _ids, _c, memberships, _e in read:
        # A new member's nation, if the entries did not name it (written with the membership).
        nations += [m[3] for m in memberships.values() if m[3] not in kept.regions]
    regions = _regions(session, sorted(set(nations))) if nations else {}
    with _HANDOVER:
        parts, kept.parts = kept.parts, None
    if parts is None:  # already carried (by a request that then failed): read whole
        return count(session)
    tally = kept.counts_with(parts)
    for ids, commitments, memberships, evidence in read:
        for id_ in ids:
            if (old_c := parts.commitments.pop(id_, None)) is not None:
                tally.add_commitment(parts.by_nation, old_c, -1)
            if (new_c := commitments.get(id_)) is not None:
                parts.commitments[id_] = new_c
                tally.add_commitment(parts.by_nation, new_c, 1)
            if (old_m := parts.memberships.pop(id_, None)) is not None:
                tally.add_membership(old_m, -1)
            if (new_m := memberships.get(id_)) is not None:
                parts.memberships[id_] = new_m
                tally.add_membership(new_m, 1)
            tally.add_evidence(parts.evidence.pop(id_, ()), -1)
            if (new_e := evidence.get(id_)) is not None:
                parts.evidence[id_] = new_e
                tally.add_evidence(new_e, 1)
    tally.regions.update(regions)
    return tally


# The live database's tally.
TALLIES: PerRevision[Tally] = PerRevision(max_entries=1)


def tally_of(session: Session) -> Tally:
    """The counts at the session's revision: kept, carried forward from the last kept, or read.
    A past state's (`as_of`) never changes: read, not kept (the answers built from it are), so
    a process holds one tally (20 MB at 1,000x the seed), not one per moment read."""
    if session.info.get(OPEN_LIVE) is not None:
        return count(session)
    return TALLIES.get(
        session,
        "tally",
        lambda: count(session),
        carry=lambda kept, entries: carry(session, kept, entries),
    )
