"""The queries behind `GET /nations`: the page of nations for a shape of filters, the
commitments each page embeds, and the coalition's commitments that members inherit — each
built once per shape, with the values bound at execution."""

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
from sqlalchemy.orm import Session

from app.api.cursors import SortKey
from app.api.pages import PreparedPage
from app.errors import InvalidParameter
from app.facts.reference import GroupIn
from app.reads.inheritance import inherits
from app.reads.per_revision import PerRevision
from app.reads.queries import certainty_column, coalition_wide
from app.schemas.common import EMBEDDED_LIMIT
from app.store.models import Commitment, Membership, Nation
from app.store.revisions import fact_snapshots
from app.store.visibility import FACTS, not_retracted
from app.vocab import ActorKind, CoalitionScope, MembershipStatus, Role


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


def standing_commitments(*criteria: ColumnElement[bool]) -> Exists:
    """EXISTS over commitments that are not retracted. (The read session hides retracted facts
    from ORM queries, but not inside a hand-built EXISTS: say it here.)"""
    return select(Commitment.id).where(Commitment.retracted_at.is_(None), *criteria).exists()


@dataclass(frozen=True)
class NationFilters:
    """Which filters a nation list request uses (not their values): its query's shape."""

    role: bool
    coalition: bool  # include_coalition, with role
    excluded: bool  # include_excluded, with include_coalition
    status: bool
    membership: bool
    certainty: bool
    nato: bool
    eu: bool
    region: bool
    group: bool
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
    Membership.id.label("membership_id"),
    Membership.status.label("membership"),
    Membership.part,
    Membership.basis,
    Membership.group_name,
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
            # Members carry the force's commitments, except where their own word says
            # otherwise (app.reads.inheritance) — unless those members are asked for too.
            limit = [] if shape.excluded else [inherits(Nation.code, Commitment.role)]
            inherited = standing_commitments(
                coalition_wide(), Commitment.role.in_(roles), Commitment.status.in_(statuses),
                *limit,
            )  # fmt: skip
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
    if shape.certainty:
        stmt = stmt.where(
            certainty_column(Membership.id).in_(bindparam("certainties", expanding=True))
        )
    if shape.nato:
        stmt = stmt.where(Nation.nato == bindparam("nato"))
    if shape.eu:
        stmt = stmt.where(Nation.eu == bindparam("eu"))
    if shape.region:
        stmt = stmt.where(func.lower(Nation.region) == bindparam("region"))
    if shape.group:
        stmt = stmt.where(Nation.code.in_(bindparam("group_members", expanding=True)))
    if shape.q:
        pattern: BindParameter[str] = bindparam("pattern")
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Nation.name, Nation.official_name, Nation.code, Nation.alpha3)
                ),
                # Nations of a group whose name matches ("nordic" finds the Nordic states).
                Nation.code.in_(bindparam("q_group_members", expanding=True)),
            )
        )
    return PreparedPage.build(stmt, SORTS[shape.sort])


class Bucket(StrEnum):
    """Which part of a nation page a commitment row of `page_commitments` is for."""

    own = "own"  # a page nation's own, in its item's roles
    listed = "listed"  # the coalition's, of the roles asked for: coalition_commitments

    def column(self) -> ColumnElement[str]:
        """The bucket as a constant `bucket` column (an SQL literal: typed in a UNION)."""
        return literal_column(f"'{self.value}'").label("bucket")


COMMITMENTS = Commitment.__table__


@functools.lru_cache(maxsize=4)
def page_commitments(role: bool) -> Select[Any]:
    """In one query, the first EMBEDDED_LIMIT commitments of each list the page embeds, each
    row with the size of its whole list (`listed_total`): the page's nations' own (per nation,
    those that match the filter first, then by id), and the coalition's of the roles and
    statuses asked for.

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
    if role:
        where = [
            not_retracted(c.id), c.actor == ActorKind.coalition, c.role.in_(roles),
            c.status.in_(statuses),
        ]  # fmt: skip
        total = select(func.count()).select_from(COMMITMENTS).where(*where).scalar_subquery()
        first = (
            select(Bucket.listed.column(), c.id, literal_column("0").label("position"))
            .add_columns(total.label("listed_total"))
            .where(*where)
            .order_by(c.id)
            .limit(EMBEDDED_LIMIT)
            .subquery()
        )
        parts.append(select(first))
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


@dataclass
class ForceRole:
    """The commitments of the coalition's force as a whole in one role: the first
    EMBEDDED_LIMIT by id, how many there are, and how many of each status."""

    first: list[Any] = field(default_factory=list)
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def _force_roles_query() -> Select[Any]:
    c = COMMITMENTS.c
    ranked = (
        select(
            c.id,
            c.role,
            c.status,
            func.row_number().over(partition_by=c.role, order_by=c.id).label("position"),
        )
        .where(
            not_retracted(c.id),
            c.actor == ActorKind.coalition,
            c.coalition_scope == CoalitionScope.whole,
        )
        .subquery()
    )
    return (
        select(ranked.c.id, ranked.c.role, ranked.c.status, ranked.c.position, FACTS.c.summary)
        .join(FACTS, FACTS.c.id == ranked.c.id)
        .where(ranked.c.position <= EMBEDDED_LIMIT)  # a page shows no more of a role
        .order_by(ranked.c.role, ranked.c.position)
    )


_FORCE_ROLES = _force_roles_query()
_FORCE_COUNTS = (
    select(COMMITMENTS.c.role, COMMITMENTS.c.status, func.count())
    .where(
        not_retracted(COMMITMENTS.c.id),
        COMMITMENTS.c.actor == ActorKind.coalition,
        COMMITMENTS.c.coalition_scope == CoalitionScope.whole,
    )
    .group_by(COMMITMENTS.c.role, COMMITMENTS.c.status)
)
# The same for every page and every nation: read once per data revision (app.reads.per_revision).
FORCE_ROLES: PerRevision[dict[Role, ForceRole]] = PerRevision(max_entries=1)


def force_roles(session: Session) -> dict[Role, ForceRole]:
    """What members may inherit, by role: read once per data revision, and kept on while the
    writes since touch no commitment of the coalition's force as a whole."""
    return FORCE_ROLES.get(
        session, "force_roles", lambda: _read_force_roles(session), touched_by=_touches_force
    )


def _touches_force(entries: Sequence[Any]) -> bool:
    return any(
        s.get("actor") == ActorKind.coalition and s.get("coalition_scope") == CoalitionScope.whole
        for s in fact_snapshots(entries)
    )


def _read_force_roles(session: Session) -> dict[Role, ForceRole]:
    found: dict[Role, ForceRole] = defaultdict(ForceRole)
    connection = session.connection()
    for role, status, count in connection.execute(_FORCE_COUNTS):
        found[Role(role)].by_status[status] = count
        found[Role(role)].total += count
    for row in connection.execute(_FORCE_ROLES):
        found[Role(row.role)].first.append(row)
    return dict(found)


def resolve_group(groups: dict[str, GroupIn], value: str) -> GroupIn:
    """A group by id or name, or by a word of them that names one group only ("nordic")."""
    wanted = value.strip().lower()
    for group in groups.values():
        if wanted in (group.id, group.name.lower()):
            return group
    close = [g for g in groups.values() if wanted in g.id or wanted in g.name.lower()]
    if len(close) == 1:
        return close[0]
    raise InvalidParameter(
        f"query.group: {value!r} names no group of nations; one of: "
        + ", ".join(f"{g.id} ({g.name})" for g in groups.values()),
        allowed=sorted(groups),
    )


def groups_matching(groups: dict[str, GroupIn], q: str) -> list[str]:
    """The members of every group whose id or name contains ``q``, any case."""
    wanted = q.strip().lower()
    return sorted(
        {
            m
            for g in groups.values()
            if wanted in g.id or wanted in g.name.lower()
            for m in g.members
        }
    )
