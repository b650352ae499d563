"""What the disputes are found in, stamped in a few numbers: a kept result stays good while its
stamp is the same, so a write elsewhere recomputes nothing (app.reads.per_revision).

Every write to a fact sets its `updated_at` and bumps its `version`, also when only its evidence
changed, and a retraction takes it out of what the rules read (app.curation.write). So the
standing facts a rule reads, counted with the latest `updated_at` and the sum of their versions,
change with every write to any of them, a fact that enters or leaves them included. The sources'
titles and dates and the nations' names are told in the claims: their audit entries are counted.
Each stamp is one statement.

After a write, the audit entries between two revisions (app.store.revisions.changes_between)
tell the same without a stamp: a fact's snapshots before and after say which parts it was read
in (`touched_parts`), so a result they do not touch is kept on, reading nothing."""

from collections.abc import Hashable, Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Row,
    Select,
    String,
    Subquery,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from app.facts.reference import GroupIn
from app.reads.disputes.facts import (
    EXCLUSIVE_HOLDERS,
    NATIONS_OWN,
    ON_TOPICS,
    UNNAMED_MEMBERS,
    WHOLE_FORCE,
    groups_by_name,
    nation_commitments,
    parts_of,
)
from app.store.models import Change, Commitment, Membership, Statement
from app.store.revisions import fact_states
from app.store.visibility import FACTS, STANDING
from app.vocab import ActorKind, CoalitionScope, Role

C, S, M = Commitment.__table__, Statement.__table__, Membership.__table__


def _facts_stamp(table: FromClause, where: Sequence[ColumnElement[bool]]) -> Subquery:
    """How many standing facts of ``table`` match, their latest change and their versions' sum:
    one row, the kind's table joined to `facts` once."""
    joined = table.join(FACTS, FACTS.c.id == table.c.id)
    aggregates = (func.count(), func.max(FACTS.c.updated_at), func.sum(FACTS.c.version))
    return select(*aggregates).select_from(joined).where(STANDING, *where).subquery()


def _reference_stamp() -> ColumnElement[object]:
    """The audit entries of sources and nations (their titles, dates and names are told)."""
    changed = Change.entity.in_(["source", "nation"])
    return select(func.count()).select_from(Change).where(changed).scalar_subquery()


def exclusive_roles_stamp(session: Session) -> Hashable:
    """What the `leadership` rule reads (`load_exclusive_roles`)."""
    return _stamp(session, [_facts_stamp(C, EXCLUSIVE_HOLDERS)])


def nation_stamp(
    session: Session, reference_groups: Mapping[str, GroupIn], nation: str
) -> Hashable:
    """What one nation's own disputes are read from (`load` with ``nation``), and more: every
    statement on a topic (a statement's id shortens its speaker's name unless another speaker
    shares it) and the memberships of every nation of its groups."""
    groups = groups_by_name(reference_groups)
    members = sorted({m for g in groups.values() if nation in g.members for m in g.members})
    return _stamp(
        session,
        [
            _facts_stamp(C, [nation_commitments(nation, groups)]),
            _facts_stamp(S, [S.c.topic.is_not(None)]),
            _facts_stamp(M, [M.c.nation_code.in_(members)]),
        ],
    )


def _stamp(session: Session, parts: Sequence[Subquery]) -> Hashable:
    """The parts (one row each) and the reference's audit entries, in one statement."""
    rows: FromClause = parts[0]
    for part in parts[1:]:
        rows = rows.join(part, true())  # one row each: side by side
    columns = [column for part in parts for column in part.c]
    stamp = select(*columns, _reference_stamp()).select_from(rows)
    return tuple(session.execute(stamp).one())


def parts_stamps(session: Session) -> dict[Hashable, Hashable]:
    """The stamp of every part of the whole list (app.reads.disputes.finding), in one statement:
    ``("nation", code)`` for each nation with commitments of its own, ``("coalition", role)``
    for each role of the coalition's force as a whole, and "exclusive", "participation" (with
    every membership) and "wording"."""
    parts = union_all(
        _part_stamp("nation", C, NATIONS_OWN, by=C.c.nation_code),
        _part_stamp("coalition", C, WHOLE_FORCE, by=C.c.role),
        _part_stamp("exclusive", C, EXCLUSIVE_HOLDERS),
        _part_stamp("participation", C, UNNAMED_MEMBERS),
        _part_stamp("memberships", M, []),
        _part_stamp("wording", S, ON_TOPICS),
        # The sources' titles and dates and the nations' names are told in every part.
        select(
            literal("reference", String), literal(None, String), func.count(), func.max(Change.at),
            func.count(),
        ).where(Change.entity.in_(["source", "nation"])),
    )  # fmt: skip
    rows = {(name, key): tuple(stamp) for name, key, *stamp in session.execute(parts)}
    reference = rows.pop(("reference", None))
    memberships = rows.pop(("memberships", None))
    found: dict[Hashable, Hashable] = {}
    for (name, key), stamp in rows.items():
        found[(name, key) if key is not None else name] = (stamp, reference)
    found["participation"] = (rows[("participation", None)], memberships, reference)
    return found


def _part_stamp(
    name: str,
    table: FromClause,
    where: Sequence[ColumnElement[bool]],
    by: ColumnElement[str] | None = None,
) -> Select[Any]:
    """One row (or one per ``by``): the part's name, its key, and the stamp of its facts."""
    joined = table.join(FACTS, FACTS.c.id == table.c.id)
    aggregates = (func.count(), func.max(FACTS.c.updated_at), func.sum(FACTS.c.version))
    key = by if by is not None else literal(None, String)
    rows = select(literal(name, String), key, *aggregates).select_from(joined)
    rows = rows.where(STANDING, *where)
    return rows.group_by(by) if by is not None else rows


# --- what a write touches, from its audit entries ---------------------------------------------

# Entities whose audit entries change what every part tells: the sources' titles and dates, the
# nations' names, the outlets' names (with each quote).
TOLD = frozenset({"source", "nation", "outlet"})
Entries = Sequence[Row[Any]]


# A fact's fields the rules do not read (app.reads.disputes.facts): an entry changing only
# these (a corrected summary) touches no dispute.
UNREAD = frozenset({"summary", "version", "updated_at", "created_at", "origin"})


def _fact_snapshots(entries: Entries) -> Iterator[dict[str, Any]]:
    """Each fact's states before and after each entry that changed what the rules read."""
    for before, after in fact_states(entries):
        if before is not None and after is not None and _read(before) == _read(after):
            continue
        yield from (s for s in (before, after) if s is not None)


def _read(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k not in UNREAD}


def _parts_of_snapshot(snapshot: dict[str, Any]) -> list[Hashable]:
    """The parts a fact is read in, by its snapshot: a commitment's as `parts_of` says; a
    statement on a topic, wording; a membership, participation."""
    kind = snapshot.get("kind")
    if kind == "statement":
        return ["wording"] if snapshot["topic"] is not None else []
    if kind == "membership":
        return ["participation"]
    if kind != "commitment":
        return []
    scope = snapshot["coalition_scope"]
    return parts_of(
        SimpleNamespace(  # type: ignore[arg-type]  # the fields parts_of reads
            actor=ActorKind(snapshot["actor"]), nation_code=snapshot["nation_code"],
            role=Role(snapshot["role"]), group_name=snapshot["group_name"],
            coalition_scope=CoalitionScope(scope) if scope is not None else None,
        )
    )  # fmt: skip


def touched_parts(entries: Entries) -> set[Hashable] | None:
    """The parts of the whole list the entries touch; None when they touch every part."""
    if any(e.entity in TOLD for e in entries):
        return None
    return {part for s in _fact_snapshots(entries) for part in _parts_of_snapshot(s)}


def touches_exclusive(entries: Entries) -> bool:
    """Whether the entries change what the `leadership` rule reads (`exclusive_roles_stamp`)."""
    parts = touched_parts(entries)
    return parts is None or "exclusive" in parts


def touches_nation(entries: Entries, reference_groups: Mapping[str, GroupIn], nation: str) -> bool:
    """Whether the entries change what one nation's own disputes read (`nation_stamp`): its own
    commitments, those of unnamed members of its groups, any statement on a topic, the
    memberships of its groups' nations."""
    if any(e.entity in TOLD for e in entries):
        return True
    groups = [g for g in groups_by_name(reference_groups).values() if nation in g.members]
    names = {g.name for g in groups}
    members = {m for g in groups for m in g.members}
    for snapshot in _fact_snapshots(entries):
        kind = snapshot.get("kind")
        if kind == "statement" and snapshot["topic"] is not None:
            return True
        if kind == "membership" and snapshot["nation_code"] in members:
            return True
        if kind == "commitment" and (
            ("nation", nation) in _parts_of_snapshot(snapshot)
            or (snapshot["coalition_scope"] == CoalitionScope.some_members
                and snapshot["group_name"] in names)
        ):  # fmt: skip
            return True
    return False
