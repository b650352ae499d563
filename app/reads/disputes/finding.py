"""Finding the disputes: the whole list is kept in parts that read apart (each nation's own
commitments, each role of the coalition's force as a whole, the holders of exclusive roles,
unnamed members of groups, statements on topics), each found again only when what it reads has
changed (a role of the coalition's force, in what it was found in, with only the facts written
since read again); one nation's, per nation and revision (a nation's page). The rules stop at
the request's time limit."""

import functools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from app.facts.reference import GroupIn
from app.reads.disputes.facts import (
    EXCLUSIVE_HOLDERS,
    EXCLUSIVE_ROLES,
    ON_TOPICS,
    UNNAMED_MEMBERS,
    CommitmentFact,
    Data,
    SourceInfo,
    load,
    load_exclusive_roles,
    load_where,
    nations_own,
    parts_of,
    past_deadline,
    sources_and_names,
    whole_force_in,
)
from app.reads.disputes.inputs import (
    Entries,
    exclusive_roles_stamp,
    nation_stamp,
    parts_stamps,
    touched_parts,
    touches_exclusive,
    touches_nation,
)
from app.reads.disputes.rules import (
    coalition_role_disputes,
    exclusive_role_disputes,
    nation_disputes,
    participation_disputes,
    wording_disputes,
)
from app.reads.per_revision import PerRevision
from app.schemas.disputes import DisputeRead
from app.store.guards import request_deadline
from app.store.models import Commitment


@dataclass(frozen=True)
class WholeList:
    """Every dispute, ordered by id, and the same by the part it was found in: after a write,
    the parts its audit entries touch are found again and the others taken as they are."""

    disputes: list[DisputeRead]
    parts: dict[Hashable, list[DisputeRead]]
    # What each role of the coalition's force as a whole was found in: after a write to some of
    # its commitments, only those are read again (at 1,000x the seed a role holds 2,000, with
    # 5,000 quotes: 65 ms to read whole, and each quote's read schema made again).
    read: dict[Hashable, Data] = field(default_factory=dict)


# The rules read every fact: the whole list is kept per data revision (app.reads.per_revision),
# assembled from parts that read apart (`PARTS`); one nation's, from that nation's facts only,
# kept per nation while they are unchanged (its stamp, app.reads.disputes.inputs).
FOUND: PerRevision[WholeList] = PerRevision(max_entries=1)


# The whole list's parts, each kept while its stamp is unchanged: after a write only the part
# it touched is found again (at 1,000x the seed, a nation's own disputes read 240 commitments;
# the whole list, 34,000 commitments and 12,000 statements with 111,000 quotes: seconds).
PARTS: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1024)


FOUND_FOR_NATION: PerRevision[list[DisputeRead]] = PerRevision(max_entries=512)


EXCLUSIVE: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)
EXCLUSIVE_RULES = frozenset(rule for rule, _ in EXCLUSIVE_ROLES.values())


def find_disputes(session: Session, groups: Mapping[str, GroupIn]) -> list[DisputeRead]:
    """Every dispute in the data, ordered by id (the list is shared: do not change it)."""
    return FOUND.get(
        session, "disputes", lambda: _assemble(session, groups),
        carry=lambda kept, entries: _carry(session, groups, kept, entries),
    ).disputes  # fmt: skip


COMMITMENT_ID = Commitment.__table__.c.id
Rule = Callable[[Data], Iterator[DisputeRead]]
Filter = list[ColumnElement[bool]] | None

# The parts that are one of a kind (the others: a nation's own, a role of the coalition's force
# as a whole): each one's rule, and the commitments and statements it reads (None: none).
PART_RULES: dict[str, tuple[Rule, Filter, Filter]] = {
    "exclusive": (exclusive_role_disputes, list(EXCLUSIVE_HOLDERS), None),
    "participation": (participation_disputes, list(UNNAMED_MEMBERS), None),
    "wording": (wording_disputes, None, list(ON_TOPICS)),
}


def _part_reads(key: Hashable) -> tuple[Rule, Filter, Filter]:
    if not isinstance(key, tuple):
        return PART_RULES[str(key)]
    kind, value = key
    if kind == "nation":  # the rules role, stance and role set on the nation's own
        return nation_disputes, nations_own(value), None
    return coalition_role_disputes, whole_force_in(value), None


# Past this many parts to find again (the first request, a source renamed), the facts are read at
# once and split (`parts_of`): a fixed number of statements, whatever the number of parts. A
# write touches one part, or two (a commitment given to another nation).
PARTS_READ_APART = 2
# Past this many facts written since, a role of the coalition's force is read whole again: the
# ids are bound in one statement.
WRITTEN_READ_AGAIN = 500


def _assemble(session: Session, groups: Mapping[str, GroupIn]) -> WholeList:
    """The whole list from its parts: each kept while its stamp is the same, else found again
    in what it reads. Past the request's time limit, 503 as a whole list's rules are."""
    deadline = request_deadline(session)
    stamps = parts_stamps(session)
    missing = [key for key in stamps if PARTS.stamp_kept(session, key) != stamps[key]]
    split: dict[Hashable, Data] = {}
    nothing: Data | None = None  # with everything read at once: a part with no facts
    if len(missing) > PARTS_READ_APART:
        everything = load(session, groups, deadline=deadline)
        split = _split(everything)
        nothing = replace(everything, commitments=[], statements=[], memberships=[])
    read: dict[Hashable, Data] = {}
    find = _part_finder(session, groups, split, nothing, read)
    parts = {
        key: PARTS.get(
            session, key, functools.partial(find, key), functools.partial(stamps.__getitem__, key)
        )
        for key in stamps
    }
    return _whole(parts, read)


def _carry(
    session: Session, groups: Mapping[str, GroupIn], kept: WholeList, entries: Entries
) -> WholeList:
    """``kept`` brought forward by the audit entries since: the parts they touch (their facts'
    snapshots say which, `touched_parts`) found again in what each reads, the others as they
    were; with more to find (a source renamed touches every part), assembled anew."""
    touched = _few_parts_touched(entries)
    if touched is None:
        return _assemble(session, groups)
    read = {key: data for key, data in kept.read.items() if key not in touched}
    written = {e.entity_id for e in entries if e.entity == "fact"}
    find = _part_finder(session, groups, {}, None, read, (kept.read, written))
    return _whole({**kept.parts, **{key: find(key) for key in touched}}, read)


def _few_parts_touched(entries: Entries) -> set[Hashable] | None:
    """The parts the entries touch, if few enough to find again apart (`PARTS_READ_APART`);
    None when they touch more: the whole list is then assembled anew."""
    touched = touched_parts(entries)
    return touched if touched is not None and len(touched) <= PARTS_READ_APART else None


def _whole(parts: dict[Hashable, list[DisputeRead]], read: dict[Hashable, Data]) -> WholeList:
    return WholeList(
        sorted((d for found in parts.values() for d in found), key=lambda d: d.id), parts, read
    )


def _part_finder(
    session: Session,
    groups: Mapping[str, GroupIn],
    split: dict[Hashable, Data],
    nothing: Data | None,
    read: dict[Hashable, Data],
    carried: tuple[dict[Hashable, Data], set[str]] | None = None,
) -> Callable[[Hashable], list[DisputeRead]]:
    """Finds one part's disputes: in its share of everything read at once (``split``; a part
    with no share, in ``nothing``), or else in what it reads, read apart; a role of the
    coalition's force found before (``carried``: what it was found in, and the facts written
    since), in that with only the written facts read again. What a role of the coalition's
    force is found in goes into ``read``."""
    deadline = request_deadline(session)
    within = time_limit(session)
    told: list[tuple[dict[str, SourceInfo], dict[str, str]]] = []  # read once, if needed
    before, written = carried or ({}, set())

    def find(key: Hashable) -> list[DisputeRead]:
        rule, commitments, statements = _part_reads(key)
        data = split.get(key, nothing)
        if data is None:
            if not told:
                told.append(sources_and_names(session))
            if key in before and commitments is not None and len(written) <= WRITTEN_READ_AGAIN:
                # The written facts, as they are now, if still in the part; the rest as read.
                again = load_where(
                    session, groups, [*commitments, COMMITMENT_ID.in_(sorted(written))], statements,
                    deadline, told=told[0],
                )  # fmt: skip
                unwritten = [c for c in before[key].commitments if c.id not in written]
                data = replace(
                    again, commitments=sorted([*unwritten, *again.commitments], key=lambda c: c.id)
                )
            else:
                data = load_where(session, groups, commitments, statements, deadline, told=told[0])
        if isinstance(key, tuple) and key[0] == "coalition":
            read[key] = data
        return list(within(rule(data)))

    return find


def _split(data: Data) -> dict[Hashable, Data]:
    """Everything the rules read, split into the parts' data."""
    commitments: dict[Hashable, list[CommitmentFact]] = defaultdict(list)
    for c in data.commitments:
        for key in parts_of(c):
            commitments[key].append(c)
    found = {
        key: replace(data, commitments=facts, statements=[], memberships=[])
        for key, facts in commitments.items()
    }
    found["wording"] = replace(data, commitments=[], memberships=[])
    if "participation" in found:
        found["participation"] = replace(found["participation"], memberships=data.memberships)
    return found


def _find_disputes(
    session: Session, groups: Mapping[str, GroupIn], nation: str | None = None
) -> list[DisputeRead]:
    """Every dispute, or with ``nation`` those of its own facts (not who holds an exclusive
    role: `exclusive_disputes`), that name it."""
    data = load(session, groups, nation, request_deadline(session))
    within = time_limit(session)
    found = [] if nation is not None else [
        *within(exclusive_role_disputes(data)), *within(coalition_role_disputes(data)),
    ]  # fmt: skip
    found += [
        *within(nation_disputes(data)),
        *within(participation_disputes(data)),
        *within(wording_disputes(data)),
    ]
    if nation is not None:
        found = [d for d in found if nation in d.nations]
    return sorted(found, key=lambda d: d.id)


def exclusive_disputes(
    session: Session, groups: Mapping[str, GroupIn], every: list[DisputeRead] | None = None
) -> list[DisputeRead]:
    """Rule ``leadership``: the same for every nation that holds the role, and read in every
    holder's facts (at 1,000x the seed, 3,000 commitments): found once (or taken from the whole
    list ``every``, if at hand), kept while what it reads is unchanged (its stamp)."""

    def find() -> list[DisputeRead]:
        if every is not None:
            return [d for d in every if d.rule in EXCLUSIVE_RULES]
        holders = load_exclusive_roles(session, groups, request_deadline(session))
        return list(time_limit(session)(exclusive_role_disputes(holders)))

    return EXCLUSIVE.get(
        session, "exclusive", find, lambda: exclusive_roles_stamp(session),
        touched_by=touches_exclusive,
    )  # fmt: skip


def disputes_for_nation(
    session: Session, groups: Mapping[str, GroupIn], code: str
) -> list[DisputeRead]:
    """The disputes about one nation (alpha-2 code), for its page: the same as those of
    `find_disputes` that name it, taken from the whole list if it is at hand (`_whole_list`),
    else found in what concerns that nation only (`load`), and kept while what they are read
    from is unchanged (a write about another nation recomputes nothing here)."""
    code = code.upper()

    def find() -> list[DisputeRead]:
        every = _whole_list(session, groups)
        if every is not None:  # the whole list is at hand: the same answer, no rules to run
            return [d for d in every if code in d.nations and d.rule not in EXCLUSIVE_RULES]
        return _find_disputes(session, groups, code)

    own = FOUND_FOR_NATION.get(
        session, code, find, lambda: nation_stamp(session, groups, code),
        touched_by=lambda entries: touches_nation(entries, groups, code),
    )  # fmt: skip
    whole = FOUND.kept(session, "disputes")
    every = whole.disputes if whole is not None else None
    exclusive = [d for d in exclusive_disputes(session, groups, every) if code in d.nations]
    return sorted([*exclusive, *own], key=lambda d: d.id)


def _whole_list(session: Session, groups: Mapping[str, GroupIn]) -> list[DisputeRead] | None:
    """The whole list, if it is kept at this revision, or kept at an older one that the writes
    since carry cheaply: they touch at most `PARTS_READ_APART` of its parts, found again as
    `/disputes` would find them (at 1,000x the seed, after a nation's commitment was created:
    about 5 ms, against 34 ms to find that nation's own disputes in its facts). Else None: the
    whole list found anew takes seconds at that size, a nation's own a few milliseconds."""
    whole = FOUND.kept(session, "disputes")
    if whole is not None:
        return whole.disputes
    entries = FOUND.changes_since_kept(session, "disputes")
    if entries is None or _few_parts_touched(entries) is None:
        return None
    return find_disputes(session, groups)


def time_limit(session: Session) -> Callable[[Iterator[DisputeRead]], Iterator[DisputeRead]]:
    """Python work under the request's time limit, as SQL is (app.api.sessions): past it, the rules
    stop and the request answers 503 ``/problems/timeout``. Counted from the request's start
    (its guard's deadline); the rules that compare sources pairwise look at it as they go."""
    deadline = request_deadline(session)

    def within(found: Iterator[DisputeRead]) -> Iterator[DisputeRead]:
        for dispute in found:
            past_deadline(deadline)
            yield dispute

    return within
