"""Finding the disputes: the rules run over the facts once per data revision (the whole list)
or per nation and revision (a nation's page), and stop at the request's time limit."""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from sqlalchemy.orm import Session

from app.facts.reference import GroupIn
from app.reads.disputes.facts import Data, load, load_exclusive_roles
from app.reads.disputes.rules import (
    coalition_role_disputes,
    exclusive_role_disputes,
    nation_disputes,
    participation_disputes,
    past_deadline,
    wording_disputes,
)
from app.reads.per_revision import PerRevision
from app.schemas.disputes import DisputeRead
from app.store.guards import GUARD

# The rules read every fact: found once per data revision (app.reads.per_revision); one nation's,
# from that nation's facts only, kept per nation.
FOUND: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)


FOUND_FOR_NATION: PerRevision[list[DisputeRead]] = PerRevision(max_entries=512)


EXCLUSIVE: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)


def find_disputes(session: Session, groups: Mapping[str, GroupIn]) -> list[DisputeRead]:
    """Every dispute in the data, ordered by id (the list is shared: do not change it)."""
    return FOUND.get(session, "disputes", lambda: _find_disputes(session, groups))


def _find_disputes(
    session: Session, groups: Mapping[str, GroupIn], nation: str | None = None
) -> list[DisputeRead]:
    data = replace(load(session, groups, nation), deadline=request_deadline(session))
    within = time_limit(session)
    if nation is None:
        found = [*within(exclusive_role_disputes(data)), *within(coalition_role_disputes(data))]
    else:  # who holds an exclusive role: found once for every nation's page
        found = [d for d in exclusive_disputes(session, data) if nation in d.nations]
    found += [
        *within(nation_disputes(data)),
        *within(participation_disputes(data)),
        *within(wording_disputes(data)),
    ]
    if nation is not None:
        found = [d for d in found if nation in d.nations]
    return sorted(found, key=lambda d: d.id)


def exclusive_disputes(session: Session, data: Data) -> list[DisputeRead]:
    """Rule ``leadership``: the same for every nation that holds the role, and read in every
    holder's facts (at 1,000x the seed, 3,000 commitments): found once per data revision, with
    the sources and names of ``data``."""

    def find() -> list[DisputeRead]:
        holders = replace(load_exclusive_roles(session, data), deadline=data.deadline)
        return list(time_limit(session)(exclusive_role_disputes(holders)))

    return EXCLUSIVE.get(session, "exclusive", find)


def disputes_for_nation(
    session: Session, groups: Mapping[str, GroupIn], code: str
) -> list[DisputeRead]:
    """The disputes about one nation (alpha-2 code), for its page: the same as those of
    `find_disputes` that name it, found in what concerns that nation only (`load`), unless the
    whole list is at hand already."""
    code = code.upper()

    def find() -> list[DisputeRead]:
        every = FOUND.kept(session, "disputes")
        if every is not None:  # the whole list is at hand: the same answer, no rules to run
            return [d for d in every if code in d.nations]
        return _find_disputes(session, groups, code)

    return FOUND_FOR_NATION.get(session, code, find)


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
