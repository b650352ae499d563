"""What a nation's page embeds, kept to a page each: its own commitments, conditions and
statements, the coalition's commitments and each dispute's claims, with how many there are and
links to them all, at the page's `as_of`. What it lists is kept per data revision (by nation),
so a page read again runs a few lookups whatever the size of the data; the facts themselves
come from app.reads.fact_items."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.api.listing import at_the_pages_moment, route_url
from app.reads.fact_items import fact_items
from app.reads.inheritance import Limits, limits_of
from app.reads.per_revision import PerRevision
from app.reads.queries import coalition_wide, find_nation, standing
from app.schemas.commitments import CommitmentRead
from app.schemas.common import EMBEDDED_LIMIT, CommitmentRef
from app.schemas.conditions import ConditionRead
from app.schemas.nations import CoalitionCommitment
from app.schemas.statements import StatementRead
from app.store.models import (
    Commitment,
    Condition,
    Fact,
    Membership,
    Nation,
    Statement,
    condition_gates,
)
from app.store.revisions import changed, fact_snapshots, fact_states, reference_changed
from app.store.visibility import leaving_retracted_out, not_retracted
from app.vocab import ActorKind, CoalitionScope, Role, Status


def coalition_list_url(request: Request, roles: list[Role], statuses: Sequence[Status]) -> str:
    """/commitments filtered to a nation page's coalition_commitments, every one of them (the
    page shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query: list[tuple[str, str]] = [("actor", ActorKind.coalition.value)]
    query += [("role", r.value) for r in roles] + [("status", s.value) for s in statuses]
    return at_the_pages_moment(request, route_url(request, "list_commitments"), query)


def whole_force_url(request: Request) -> str:
    """/commitments of the coalition's force as a whole, every one of them (a nation's page
    shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query = [("actor", ActorKind.coalition.value), ("coalition_scope", CoalitionScope.whole.value)]
    return at_the_pages_moment(request, route_url(request, "list_commitments"), query)


# The page's statements, built once; a request binds the nation. Each reads the first
# EMBEDDED_LIMIT ids by id (the rest are a link away), and leaves retracted facts out itself, as
# every read session does (app.store.visibility).
_CODE: BindParameter[str] = bindparam("code")
MEMBERSHIP_ID = leaving_retracted_out(select(Membership.id).where(Membership.nation_code == _CODE))
_OWN = Commitment.__table__.c
_STANDING_OWN = select(_OWN.id).where(_OWN.nation_code == _CODE, not_retracted(_OWN.id))
# Conditions tied to the nation, or gating one of its standing commitments. Not `gates.any()`:
# a correlated probe per condition (60 ms at 1,000x the seed) where this reads the gates of the
# nation's commitments by index.
_ITS_CONDITION = or_(
    Condition.nation_code == _CODE,
    Condition.id.in_(
        select(condition_gates.c.condition_id).where(
            condition_gates.c.commitment_id.in_(_STANDING_OWN)
        )
    ),
)
# The nation's own lists: their name on the page, kind, item model and which facts they hold
# (columns of the kind's own table, so the counts below need not join `facts`).
_OWN_LISTS: tuple[tuple[str, type[Fact], type[BaseModel], ColumnElement[bool]], ...] = (
    ("commitments", Commitment, CommitmentRead, Commitment.nation_code == _CODE),
    ("conditions", Condition, ConditionRead, _ITS_CONDITION),
    ("statements", Statement, StatementRead, Statement.speaker_nation_code == _CODE),
)
OWN_IDS: dict[str, Select[tuple[str]]] = {
    name: leaving_retracted_out(
        select(kind.id).where(where).order_by(kind.id).limit(EMBEDDED_LIMIT)
    )
    for name, kind, _, where in _OWN_LISTS
}
_TOTALS = standing(
    select(
        *(
            select(func.count())
            .select_from(kind.__table__)
            .where(where, not_retracted(kind.__table__.c.id))
            .scalar_subquery()
            for _, kind, _, where in _OWN_LISTS
        )
    )
)


@dataclass(frozen=True)
class OwnFacts:
    """What a nation's page lists of its own, by id: its membership (none: no such nation in the
    data), and the first EMBEDDED_LIMIT of its commitments, conditions and statements with how
    many there are of each."""

    membership: list[str]
    ids: dict[str, list[str]]
    totals: dict[str, int]


# By nation, per data revision: a page read again runs none of these statements.
OWN_FACTS: PerRevision[OwnFacts] = PerRevision(max_entries=512)


@dataclass(frozen=True)
class NamedNation:
    """What a page's path names (`find_nation`): the alpha-2 code it resolves to (None: no
    country), and that nation's own fields, if the data holds it."""

    code: str | None
    fields: dict[str, Any] | None


_NATION_FIELDS = select(
    Nation.code, Nation.alpha3, Nation.name, Nation.official_name, Nation.nato, Nation.eu,
    Nation.region,
).where(Nation.code == bindparam("code"))  # fmt: skip

# By the path as asked, per data revision, kept past writes to no nation (or outlet): a page
# read again runs neither the lookup of its name nor the read of its nation.
NAMED: PerRevision[NamedNation] = PerRevision(max_entries=512)


def named_nation(session: Session, asked: str) -> NamedNation:
    """The nation a page's path names, at the session's revision."""

    def read() -> NamedNation:
        code = find_nation(session, asked)
        row = session.execute(_NATION_FIELDS, {"code": code}).one_or_none() if code else None
        return NamedNation(code, dict(row._mapping) if row is not None else None)

    return NAMED.get(session, asked, read, touched_by=reference_changed)


def own_facts(session: Session, code: str) -> OwnFacts:
    """What the page of nation ``code`` lists of its own, at the session's revision."""

    def read() -> OwnFacts:
        bound = {"code": code}
        row = session.execute(_TOTALS, bound).one()
        return OwnFacts(
            membership=list(session.scalars(MEMBERSHIP_ID, bound)),
            ids={name: list(session.scalars(stmt, bound)) for name, stmt in OWN_IDS.items()},
            totals=dict(zip(OWN_IDS, row, strict=True)),
        )

    return OWN_FACTS.get(
        session, code, read, touched_by=lambda entries: _touches_own(entries, code)
    )


# What decides which facts a nation's own lists hold (their ids and totals), not what they say.
_LISTED_BY = ("kind", "nation_code", "speaker_nation_code", "retracted_at", "gates")


def _touches_own(entries: Sequence[Any], code: str) -> bool:
    """Whether the audit entries since change which facts nation ``code`` lists of its own: a
    fact of the nation created, retracted or given to another nation; any condition whose gates
    changed (it may gate one of the nation's commitments); a nation's (or outlet's) entry."""
    if reference_changed(entries):
        return True
    for before, after in fact_states(entries):
        if not changed(before, after, _LISTED_BY):
            continue
        state = after or before
        if state is not None and state.get("kind") == "condition":
            return True
        if code in {s.get(f) for s in (before, after) if s for f in _LISTED_BY[1:3]}:
            return True
    return False


# A member's limits (what keeps it from inheriting), by nation: read from its own commitments
# (thousands at 1,000x the seed), kept past writes to others'.
LIMITS: PerRevision[Limits] = PerRevision(max_entries=512)


def _touches_own_commitments(entries: Sequence[Any], code: str) -> bool:
    if reference_changed(entries):
        return True
    return any(
        s.get("kind") == "commitment" and s["nation_code"] == code for s in fact_snapshots(entries)
    )


def touches_coalition_part(entries: Sequence[Any], code: str) -> bool:
    """Whether the audit entries since change what a member's page shows of the coalition's
    force as a whole: one of its commitments (their summaries are shown), or one of the
    member's own (its limits)."""
    if reference_changed(entries):
        return True
    return any(
        s.get("kind") == "commitment"
        and (
            s["nation_code"] == code
            or (s["actor"] == ActorKind.coalition and s["coalition_scope"] == CoalitionScope.whole)
        )
        for s in fact_snapshots(entries)
    )


def own_lists(request: Request, session: Session, listed: OwnFacts, code: str) -> dict[str, Any]:
    """The page's fields of its own lists: the first EMBEDDED_LIMIT of each, how many there
    are and the link to them all (/commitments, /conditions or /statements of the nation, at
    the page's `as_of`): a nation's page stays the same size whatever the data holds."""
    fields: dict[str, Any] = {}
    for name, kind, item_model, _ in _OWN_LISTS:
        total = listed.totals[name]
        fields[name] = fact_items(session, kind, item_model, listed.ids[name])
        fields[f"{name}_total"] = total
        url = route_url(request, f"list_{name}")
        fields[f"{name}_all"] = (
            at_the_pages_moment(request, url, [("nation", code)]) if total else None
        )
    return fields


# A member's coalition_commitments and their total, by nation, per data revision.
COALITION_PART: PerRevision[tuple[list[CoalitionCommitment], int]] = PerRevision(max_entries=512)


def coalition_part(session: Session, code: str) -> tuple[list[CoalitionCommitment], int]:
    """What a member's page shows of the coalition's force as a whole: the first
    EMBEDDED_LIMIT of its commitments by id (as the nations list embeds them), each with whether
    the member inherits it, and how many there are (the rest by the link)."""
    limits = LIMITS.get(
        session, code, lambda: limits_of(session.connection(), [code]).get(code, Limits()),
        touched_by=lambda entries: _touches_own_commitments(entries, code),
    )  # fmt: skip
    shown = []
    for c in session.scalars(
        select(Commitment).where(coalition_wide()).order_by(Commitment.id).limit(EMBEDDED_LIMIT)
    ):
        excluded = limits.excluded_by(c.role)
        shown.append(
            CoalitionCommitment.model_validate(
                {**CommitmentRef.model_validate(c).model_dump(), "nation_code": None,
                 "inherited": not excluded, "excluded_by": excluded}
            )
        )  # fmt: skip
    return shown, count_whole_force(session)


# How many commitments the coalition's force as a whole has: kept past writes that neither add
# one nor take one away (11,000 rows to count at 1,000x the seed): a fact that is no such
# commitment before or after its write changes nothing.
WHOLE_FORCE_TOTAL: PerRevision[int] = PerRevision(max_entries=1)
_WHOLE_FORCE_BY = ("actor", "coalition_scope", "retracted_at")


def count_whole_force(session: Session) -> int:
    """How many commitments the coalition's force as a whole has: on the commitments' own table
    with `not_retracted`, not joined to `facts` row by row."""
    count = select(func.count()).select_from(Commitment.__table__).where(coalition_wide())
    count = standing(count.where(not_retracted(Commitment.__table__.c.id)))
    return WHOLE_FORCE_TOTAL.get(
        session, "total", lambda: session.scalar(count) or 0,
        touched_by=lambda entries: any(
            changed(before, after, _WHOLE_FORCE_BY)
            for before, after in fact_states(entries)
            if any(_whole_force(s) for s in (before, after))
        ) or reference_changed(entries),
    )  # fmt: skip


def _whole_force(snapshot: dict[str, Any] | None) -> bool:
    """Whether a fact's state is a commitment of the coalition's force as a whole."""
    return (
        snapshot is not None
        and snapshot.get("actor") == ActorKind.coalition
        and snapshot.get("coalition_scope") == CoalitionScope.whole
    )
