"""The facts the dispute rules read, as Core rows: commitments, statements on curated topics,
the memberships of named groups, sources and nation names; everything, or only what can name
one nation."""

import datetime as dt
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from app.errors import QueryTimeout
from app.facts.reference import GroupIn
from app.reads.inheritance import evidence_read
from app.reads.per_revision import PerRevision
from app.reads.queries import evidence_rows
from app.schemas.common import EvidenceRead
from app.schemas.disputes import DisputeRule
from app.store.models import (
    Commitment,
    Membership,
    Nation,
    Source,
    Statement,
)
from app.store.revisions import writes_touch
from app.store.visibility import FACTS, STANDING
from app.vocab import (
    ActorKind,
    Basis,
    CoalitionScope,
    Combat,
    Location,
    MembershipStatus,
    Role,
    StatementMode,
    Status,
)

# Roles only one nation or a few can hold: sources naming different holders contradict each
# other, whereas for any other role a nation missing from one source is mere silence.
EXCLUSIVE_ROLES: dict[Role, tuple[DisputeRule, str]] = {
    Role.leadership: (DisputeRule.leadership, "Who leads the coalition"),
}

C, S, M = Commitment.__table__.c, Statement.__table__.c, Membership.__table__.c


F = TypeVar("F", bound="Claimed")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    members: frozenset[str]


@dataclass(frozen=True)
class SourceInfo:
    id: str
    title: str
    published: dt.date | None


@dataclass(eq=False)
class Quoted:
    """An evidence item as the rules read it (a Core row), its read schema built once."""

    row: Any

    @property
    def source_id(self) -> str:
        return str(self.row["source_id"])

    @functools.cached_property
    def read(self) -> EvidenceRead:
        return evidence_read(self.row)


@dataclass(eq=False)
class Claimed:
    """What every fact the rules read shares: its id, its evidence and the sources quoted."""

    id: str
    evidence: list[Quoted]
    sources: frozenset[str]


@dataclass(eq=False)
class CommitmentFact(Claimed):
    actor: ActorKind
    nation_code: str | None
    coalition_scope: CoalitionScope | None
    role: Role
    status: Status
    location: Location
    combat: Combat
    group_name: str | None


@dataclass(eq=False)
class StatementFact(Claimed):
    speaker: str
    speaker_nation_code: str | None
    mode: StatementMode
    text: str
    topic: str | None


@dataclass(eq=False)
class MembershipFact(Claimed):
    nation_code: str
    status: MembershipStatus


@dataclass(frozen=True)
class Data:
    """Everything the rules read, loaded in a fixed number of statements."""

    commitments: Sequence[CommitmentFact]
    statements: Sequence[StatementFact]
    memberships: Sequence[MembershipFact]
    sources: dict[str, SourceInfo]
    names: dict[str, str]
    groups: dict[str, Group]
    # Every speaker with a statement on a topic, where `statements` holds only some of them
    # (one nation's disputes): statement ids shorten a speaker's name unless another shares it.
    speakers: frozenset[str] | None = None
    # When the rules must stop (the request's time limit, time.monotonic), if they must.
    deadline: float | None = None


COMMITMENT_COLUMNS = (
    C.id, C.actor, C.nation_code, C.coalition_scope, C.role, C.status, C.location, C.combat,
    C.group_name,
)  # fmt: skip


STATEMENT_COLUMNS = (S.id, S.speaker, S.speaker_nation_code, S.mode, S.text, S.topic)


MEMBERSHIP_COLUMNS = (M.id, M.nation_code, M.status)


def past_deadline(deadline: float | None) -> None:
    """Stop finding disputes past the request's time limit: 503 ``/problems/timeout``, as SQL
    does (the loads and the rules look at it as they go)."""
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeout("Finding the disputes took longer than the request time limit.")


def _facts(
    connection: Connection,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    make: Callable[..., F],
    deadline: float | None = None,
) -> list[F]:
    """The standing facts of one kind (columns of its own table) that match ``where``, each
    with its evidence in curated order: two statements, Core rows, no ORM identity map. Past
    ``deadline`` it stops (111,000 evidence rows at 1,000x the seed: seconds of Python)."""
    table = columns[0].table
    ids = select(table.c.id).join(FACTS, FACTS.c.id == table.c.id).where(STANDING, *where)
    rows = connection.execute(
        select(*columns).join(FACTS, FACTS.c.id == table.c.id).where(STANDING, *where)
        .order_by(*order_by)
    ).all()  # fmt: skip
    evidence: dict[str, list[Quoted]] = defaultdict(list)
    for i, item in enumerate(connection.execute(evidence_rows(ids)).mappings()):
        if not i & 4095:
            past_deadline(deadline)
        evidence[item["fact_id"]].append(Quoted(item))
    found = []
    for i, row in enumerate(rows):
        if not i & 4095:
            past_deadline(deadline)
        quoted = evidence.get(row.id, [])
        found.append(
            make(**row._mapping, evidence=quoted, sources=frozenset(q.source_id for q in quoted))
        )
    return found


def groups_by_name(groups: Mapping[str, GroupIn]) -> dict[str, Group]:
    """The reference's groups by name (the name is what a commitment stores)."""
    return {g.name: Group(g.id, g.name, frozenset(g.members)) for g in groups.values()}


def load(
    session: Session,
    reference_groups: Mapping[str, GroupIn],
    nation: str | None = None,
    deadline: float | None = None,
) -> Data:
    """What the rules read: everything, or with ``nation`` (an alpha-2 code) only what that
    nation's disputes are found in (`disputes_for_nation`), but for the holders of exclusive
    roles: every nation's page shares those (`load_exclusive_roles`)."""
    if nation is None:
        return load_where(session, reference_groups, [], list(ON_TOPICS), deadline)
    groups = groups_by_name(reference_groups)
    speakers = frozenset(
        session.execute(select(S.speaker).where(S.topic.is_not(None)).distinct()).scalars()
    )
    return load_where(
        session,
        reference_groups,
        [nation_commitments(nation, groups)],
        [nation_statements(nation)],
        deadline,
        speakers=speakers,
    )


def load_where(
    session: Session,
    reference_groups: Mapping[str, GroupIn],
    commitment_filter: list[ColumnElement[bool]] | None,
    statement_filter: list[ColumnElement[bool]] | None,
    deadline: float | None = None,
    *,
    speakers: frozenset[str] | None = None,
    told: "tuple[dict[str, SourceInfo], dict[str, str]] | None" = None,
) -> Data:
    """The commitments and statements that match (none of a kind whose filter is None), the
    memberships of the groups those commitments name, and the sources and nation names
    (``told``, if already read)."""
    connection = session.connection()
    groups = groups_by_name(reference_groups)
    commitments: list[CommitmentFact] = []
    if commitment_filter is not None:
        commitments = _facts(
            connection, COMMITMENT_COLUMNS, commitment_filter, [C.id], CommitmentFact, deadline
        )
        # By id in code point order on either backend (a collation may order ids otherwise),
        # as a part carried past a write orders them (app.reads.disputes.finding).
        commitments.sort(key=lambda c: c.id)
    statements: list[StatementFact] = []
    if statement_filter is not None:
        statements = _facts(
            connection, STATEMENT_COLUMNS, statement_filter, [S.id], StatementFact, deadline
        )
    # Memberships only matter to the participation rule: load those of the groups' nations.
    members: set[str] = set()
    for c in commitments:
        if c.group_name is not None and c.group_name in groups:
            members |= groups[c.group_name].members
    memberships: Sequence[MembershipFact] = []
    if members:
        memberships = _facts(
            connection,
            MEMBERSHIP_COLUMNS,
            [
                M.nation_code.in_(sorted(members)),
                M.status.in_([MembershipStatus.member, MembershipStatus.potential]),
                M.basis.in_([Basis.named, Basis.implied]),
            ],
            [M.nation_code],
            MembershipFact,
            deadline,
        )
    sources, names = told if told is not None else sources_and_names(session)
    return Data(commitments, statements, memberships, sources, names, groups, speakers, deadline)


# What each part of the rules reads (app.reads.disputes.finding): a nation's own commitments
# but in exclusive roles (rules role, stance, role set; by nation), the coalition's force as a
# whole (role), the holders of exclusive roles (leadership), unnamed members of a named group
# (participation, with the memberships), statements on a curated topic (wording).
NATIONS_OWN = (
    C.actor == ActorKind.nation, C.nation_code.is_not(None), C.role.not_in(list(EXCLUSIVE_ROLES))
)  # fmt: skip
WHOLE_FORCE = (C.actor == ActorKind.coalition, C.coalition_scope == CoalitionScope.whole)
EXCLUSIVE_HOLDERS = (C.actor == ActorKind.nation, C.role.in_(list(EXCLUSIVE_ROLES)))
UNNAMED_MEMBERS = (C.coalition_scope == CoalitionScope.some_members, C.group_name.is_not(None))
ON_TOPICS = (S.topic.is_not(None),)


def parts_of(c: CommitmentFact) -> list[Hashable]:
    """The parts a commitment is read in, as the filters above select it (the whole list read
    at once and then split: app.reads.disputes.finding)."""
    found: list[Hashable] = []
    if c.actor is ActorKind.nation and c.nation_code is not None:
        found.append("exclusive" if c.role in EXCLUSIVE_ROLES else ("nation", c.nation_code))
    if c.actor is ActorKind.coalition and c.coalition_scope is CoalitionScope.whole:
        found.append(("coalition", c.role.value))
    if c.coalition_scope is CoalitionScope.some_members and c.group_name is not None:
        found.append("participation")
    return found


def nations_own(nation: str) -> list[ColumnElement[bool]]:
    """One nation's own commitments, but in exclusive roles."""
    return [*NATIONS_OWN, C.nation_code == nation]


def whole_force_in(role: str) -> list[ColumnElement[bool]]:
    """The commitments of the coalition's force as a whole in one role."""
    return [*WHOLE_FORCE, C.role == role]


def nation_commitments(nation: str, groups: Mapping[str, Group]) -> ColumnElement[bool]:
    """The commitments one nation's disputes are found in: its own (but in exclusive roles,
    shared by every nation's page), those of unnamed members of the groups it belongs to."""
    its_groups = sorted(g.name for g in groups.values() if nation in g.members)
    return or_(
        and_(*nations_own(nation)),
        and_(C.coalition_scope == CoalitionScope.some_members, C.group_name.in_(its_groups)),
    )


def nation_statements(nation: str) -> ColumnElement[bool]:
    """The statements on the topics the nation's speakers spoke on."""
    own = select(S.speaker, S.topic).where(S.speaker_nation_code == nation, S.topic.is_not(None))
    return tuple_(S.speaker, S.topic).in_(own)


def load_exclusive_roles(
    session: Session, reference_groups: Mapping[str, GroupIn], deadline: float | None = None
) -> Data:
    """What the `leadership` rule reads: every nation's commitments in an exclusive role."""
    return load_where(session, reference_groups, list(EXCLUSIVE_HOLDERS), None, deadline)


# The sources' titles and dates and the nations' names, told in every claim (2,000 sources at
# 1,000x the seed): read once, and again only after a write to the sources or the nations.
NAMES: PerRevision[tuple[dict[str, SourceInfo], dict[str, str]]] = PerRevision(max_entries=8)
_NAMES_READ = frozenset({"sources", "nations"})


def sources_and_names(session: Session) -> tuple[dict[str, SourceInfo], dict[str, str]]:
    """The sources by id and the nations' names by code (not to be changed: they are kept)."""
    return NAMES.get(
        session,
        "names",
        lambda: _read_sources_and_names(session),
        touched_by=lambda entries: writes_touch(_NAMES_READ, entries),
    )


def _read_sources_and_names(session: Session) -> tuple[dict[str, SourceInfo], dict[str, str]]:
    sources = {
        row.id: SourceInfo(row.id, row.title, row.published)
        for row in session.execute(select(Source.id, Source.title, Source.published))
    }
    names = {row.code: row.name for row in session.execute(select(Nation.code, Nation.name))}
    return sources, names
