"""A page of `GET /nations`: each nation's item (its own roles, what it inherits from the
coalition's force as a whole, why it does not, its membership's certainty) and the coalition's
commitments of the roles asked for. Kept per data revision by the page's nations and filters,
and past the writes the audit entries show touch neither (`touches_items`); what the items are
assembled from besides the force's roles is kept apart (`PAGE_READS`), past writes that change
only what members inherit, and carried past a write to some of its nations by reading theirs
again."""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.api.nation_list import Bucket, ForceRole, force_roles, page_commitments
from app.facts.certainty import certainty_of
from app.reads.inheritance import Limits, evidence_of, limits_of
from app.reads.per_revision import PerRevision
from app.schemas.common import EMBEDDED_LIMIT
from app.schemas.nations import ExcludedBy, NationItem, NationRole
from app.store.revisions import changed, fact_states, reference_changed
from app.vocab import ActorKind, MembershipStatus, Role, Status


def excluded_by(limits: Limits, roles: Iterable[Role]) -> list[ExcludedBy]:
    """Why a member inherits none of the coalition's commitments in ``roles``: each of its own
    commitments that says so, once."""
    found = {e.commitment: e for role in roles for e in limits.excluded_by(role)}
    return list(found.values())


def inherited_roles(
    force: dict[Role, ForceRole], limits: Limits, roles: list[Role] | None
) -> tuple[list[NationRole], int]:
    """The force's commitments a member inherits (of the roles asked for, if any): the first
    EMBEDDED_LIMIT by id, and how many in all."""
    wanted = [r for r in (roles or force) if r in force and limits.inherits(r)]
    rows = sorted(itertools.chain.from_iterable(force[r].first for r in wanted), key=lambda c: c.id)
    shown = [
        NationRole(role=c.role, status=c.status, via="coalition", commitment=c.id)
        for c in rows[:EMBEDDED_LIMIT]
    ]
    return shown, sum(force[r].total for r in wanted)


# A page's items and the coalition's commitments it embeds, by its nations and filters.
NATION_ITEMS: PerRevision[tuple[list[NationItem], list[Any]]] = PerRevision(max_entries=512)
# What the items are assembled from besides the force's roles: the page's nations' own
# commitments, the coalition's commitments of the roles asked for, the members' limits and the
# memberships' evidence. Kept past writes that change what members inherit and nothing else
# (a coalition commitment's status, at 1,000x the seed: the items of 50 nations read again).
PAGE_READS: PerRevision["PageReads"] = PerRevision(max_entries=512)


@dataclass(frozen=True)
class PageReads:
    own_by_nation: dict[str, list[Any]]
    listed: list[Any]
    limits: dict[str, Limits]
    evidence: dict[str, list[Any]]


def page_items(
    session: Session,
    rows: Sequence[Any],
    role: list[Role] | None,
    statuses: list[Status],
    include_coalition: bool,
) -> tuple[list[NationItem], list[Any]]:
    """The page's items and the coalition's commitments of the roles asked for (the first
    EMBEDDED_LIMIT), in a fixed number of statements: derived from its nations and the
    filters alone, so kept per data revision, and past writes that touch neither."""
    codes = tuple(r.code for r in rows)
    key = (codes, tuple(role or ()), tuple(statuses), include_coalition)

    def read(shown: Sequence[Any]) -> PageReads:
        return _read_page(session, shown, role, statuses, include_coalition)

    def carry(kept: PageReads, entries: Sequence[Any]) -> PageReads:
        # A write to some of the page's nations reads theirs again, the others' are kept.
        touched = nations_touched(entries, set(codes), set(role or ()))
        if touched is None:
            return read(rows)
        if not touched:
            return kept
        again = [r for r in rows if r.code in touched]
        fresh, ids = read(again), {r.membership_id for r in again}
        return PageReads(
            {c: v for c, v in kept.own_by_nation.items() if c not in touched} | fresh.own_by_nation,
            kept.listed,
            {c: v for c, v in kept.limits.items() if c not in touched} | fresh.limits,
            {i: v for i, v in kept.evidence.items() if i not in ids} | fresh.evidence,
        )

    def reads() -> PageReads:
        return PAGE_READS.get(session, key, lambda: read(rows), carry=carry)

    return NATION_ITEMS.get(
        session,
        key,
        lambda: _assemble(session, rows, role, statuses, include_coalition, reads()),
        touched_by=lambda entries: touches_items(entries, set(codes), set(role or ())),
    )


def _read_page(
    session: Session,
    rows: Sequence[Any],
    role: list[Role] | None,
    statuses: list[Status],
    include_coalition: bool,
) -> PageReads:
    connection = session.connection()
    own_by_nation: dict[str, list[Any]] = {}
    listed: list[Any] = []
    for c in connection.execute(
        page_commitments(bool(role)),
        {"codes": [row.code for row in rows], "roles": role or [], "statuses": statuses},
    ):
        if c.bucket == Bucket.own:
            own_by_nation.setdefault(c.nation_code, []).append(c)
        else:
            listed.append(c)
    members = [r.code for r in rows if r.membership == MembershipStatus.member]
    limits = limits_of(connection, members) if include_coalition else {}
    evidence = evidence_of(connection, [r.membership_id for r in rows])
    return PageReads(own_by_nation, listed, limits, evidence)


def _assemble(
    session: Session,
    rows: Sequence[Any],
    role: list[Role] | None,
    statuses: list[Status],
    include_coalition: bool,
    reads: PageReads,
) -> tuple[list[NationItem], list[Any]]:
    own_by_nation, listed, limits, evidence = (
        reads.own_by_nation, reads.listed, reads.limits, reads.evidence
    )  # fmt: skip
    force = force_roles(session) if include_coalition else {}
    items = []
    for nation in rows:
        own = own_by_nation.get(nation.code, [])
        roles = [
            NationRole(role=c.role, status=c.status, via="nation", commitment=c.id) for c in own
        ]
        roles_total = int(own[0].listed_total) if own else 0
        nation_limits = limits.get(nation.code, Limits())
        if include_coalition and nation.membership == MembershipStatus.member:
            inherited, inherited_total = inherited_roles(force, nation_limits, role)
            roles = (roles + inherited)[:EMBEDDED_LIMIT]
            roles_total += inherited_total
        matched_via = None
        excluded: list[ExcludedBy] = []
        if role:
            # A nation's commitments that match the filter come first in its roles: shown,
            # if it has any.
            if any(r.via == "nation" and r.role in role and r.status in statuses for r in roles):
                matched_via = "nation"
            elif include_coalition and nation.membership == MembershipStatus.member:
                offered = [
                    r for r in role
                    if any(force.get(r, ForceRole()).by_status.get(s, 0) for s in statuses)
                ]  # fmt: skip
                if any(nation_limits.inherits(r) for r in offered):
                    matched_via = "coalition"
                else:
                    excluded = excluded_by(nation_limits, offered)
        certainty = certainty_of(evidence.get(nation.membership_id, []))
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
                certainty=certainty.certainty,
                hedge=certainty.hedge,
                roles=roles,
                roles_total=roles_total,
                matched_via=matched_via,
                inherited=matched_via == "coalition",
                excluded_by=excluded,
            )
        )
    return items, listed


# A commitment's fields an item's roles and inheritance depend on (its summary is not shown).
SHAPE = ("actor", "nation_code", "coalition_scope", "role", "status", "exclusive", "retracted_at")


def nations_touched(entries: Sequence[Any], codes: set[str], roles: set[Role]) -> set[str] | None:
    """Which of a page's nations ``codes`` the audit entries since touch what `_read_page`
    reads of (their commitments, memberships with their evidence, limits); None when they
    touch what it reads for the whole page: a commitment of the coalition of a role asked for
    (the page lists those, summaries included), a nation's (or an outlet's) entry."""
    if reference_changed(entries):
        return None
    touched: set[str] = set()
    for before, after in fact_states(entries):
        states = [s for s in (before, after) if s is not None]
        coalition = any(s.get("actor") == ActorKind.coalition for s in states)
        if coalition and any(s["role"] in roles for s in states):
            return None
        touched.update(s["nation_code"] for s in states if s.get("nation_code") in codes)
    return touched


def touches_items(entries: Sequence[Any], codes: set[str], roles: set[Role]) -> bool:
    """Whether the audit entries since change a page's items: what `_read_page` reads, or a
    commitment of the coalition whose role, status or standing changed (what members
    inherit)."""
    if nations_touched(entries, codes, roles) != set():
        return True
    return any(
        changed(before, after, SHAPE)
        for before, after in fact_states(entries)
        if any(s is not None and s.get("actor") == ActorKind.coalition for s in (before, after))
    )
