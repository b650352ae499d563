"""Finding the disputes: the rules run over the facts once per data revision (the whole list)
or per nation and revision (a nation's page), and stop at the request's time limit."""

from collections.abc import Callable, Iterator, Mapping

from sqlalchemy.orm import Session

from app.facts.reference import GroupIn
from app.reads.disputes.facts import EXCLUSIVE_ROLES, load, load_exclusive_roles, past_deadline
from app.reads.disputes.inputs import exclusive_roles_stamp, nation_stamp
from app.reads.disputes.rules import (
    coalition_role_disputes,
    exclusive_role_disputes,
    nation_disputes,
    participation_disputes,
    wording_disputes,
)
from app.reads.per_revision import PerRevision
from app.schemas.disputes import DisputeRead
from app.store.guards import GUARD

# The rules read every fact: found once per data revision (app.reads.per_revision); one nation's,
# from that nation's facts only, kept per nation while they are unchanged (its stamp,
# app.reads.disputes.inputs).
FOUND: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)


FOUND_FOR_NATION: PerRevision[list[DisputeRead]] = PerRevision(max_entries=512)


EXCLUSIVE: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)
EXCLUSIVE_RULES = frozenset(rule for rule, _ in EXCLUSIVE_ROLES.values())


def find_disputes(session: Session, groups: Mapping[str, GroupIn]) -> list[DisputeRead]:
    """Every dispute in the data, ordered by id (the list is shared: do not change it)."""
    return FOUND.get(session, "disputes", lambda: _find_disputes(session, groups))


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

    return EXCLUSIVE.get(session, "exclusive", find, lambda: exclusive_roles_stamp(session))


def disputes_for_nation(
    session: Session, groups: Mapping[str, GroupIn], code: str
) -> list[DisputeRead]:
    """The disputes about one nation (alpha-2 code), for its page: the same as those of
    `find_disputes` that name it, found in what concerns that nation only (`load`), or taken
    from the whole list if it is at hand, and kept while what they are read from is unchanged
    (a write about another nation recomputes nothing here)."""
    code = code.upper()
    every = FOUND.kept(session, "disputes")

    def find() -> list[DisputeRead]:
        if every is not None:  # the whole list is at hand: the same answer, no rules to run
            return [d for d in every if code in d.nations and d.rule not in EXCLUSIVE_RULES]
        return _find_disputes(session, groups, code)

    own = FOUND_FOR_NATION.get(session, code, find, lambda: nation_stamp(session, groups, code))
    exclusive = [d for d in exclusive_disputes(session, groups, every) if code in d.nations]
    return sorted([*exclusive, *own], key=lambda d: d.id)


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


def request_deadline(session: Session) -> float | None:
    guard = session.info.get(GUARD)
    return getattr(guard, "deadline", None)
