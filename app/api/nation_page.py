"""What a nation's page embeds beyond its own facts, kept to a page each: the coalition's
commitments and each dispute's claims, with how many there are and links to them all, at the
page's `as_of`."""

import itertools
from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import URL

from app.reads.queries import coalition_wide, standing
from app.schemas.disputes import DisputeRead
from app.schemas.nations import (
    EMBEDDED_LIMIT,
    NationDispute,
)
from app.store.models import Commitment
from app.store.visibility import not_retracted
from app.vocab import ActorKind, CoalitionScope, Role, Status


def at_the_pages_moment(request: Request, url: URL, query: list[tuple[str, str]]) -> str:
    """A link with its query, keeping the page's `as_of`: following it answers at that moment."""
    if "as_of" in request.query_params:
        query = [*query, ("as_of", request.query_params["as_of"])]
    return str(url.replace(query=urlencode(query)))


def coalition_list_url(request: Request, roles: list[Role], statuses: Sequence[Status]) -> str:
    """/commitments filtered to a nation page's coalition_commitments, every one of them (the
    page shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query: list[tuple[str, str]] = [("actor", ActorKind.coalition.value)]
    query += [("role", r.value) for r in roles] + [("status", s.value) for s in statuses]
    return at_the_pages_moment(request, request.url_for("list_commitments"), query)


def whole_force_url(request: Request) -> str:
    """/commitments of the coalition's force as a whole, every one of them (a nation's page
    shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query = [("actor", ActorKind.coalition.value), ("coalition_scope", CoalitionScope.whole.value)]
    return at_the_pages_moment(request, request.url_for("list_commitments"), query)


def count_whole_force(session: Session) -> int:
    """How many commitments the coalition's force as a whole has: on the commitments' own table
    with `not_retracted`, not joined to `facts` row by row (11,000 rows at 1,000x the seed)."""
    count = select(func.count()).select_from(Commitment.__table__).where(coalition_wide())
    return session.scalar(standing(count.where(not_retracted(Commitment.__table__.c.id)))) or 0


def nation_dispute(request: Request, found: DisputeRead, code: str) -> NationDispute:
    """A dispute as the page of nation ``code`` embeds it, bounded whatever the data: at most
    EMBEDDED_LIMIT claims, those that name the nation first, then the dispute's others (the
    other side), in the dispute's claim order; its differences only where the dispute is about
    this nation alone (a dispute about a role few can hold names every claimant in every
    difference); how many of each there are, and the link to it whole."""
    naming = [i for i, c in enumerate(found.claims) if code in c.nations]
    shown = set(naming[:EMBEDDED_LIMIT])
    others = (i for i in range(len(found.claims)) if i not in shown)
    shown.update(itertools.islice(others, EMBEDDED_LIMIT - len(shown)))
    about_it_alone = found.nations == [code]
    fields = {name: getattr(found, name) for name in DisputeRead.model_fields}
    return NationDispute.model_construct(
        **{
            **fields,
            "claims": [found.claims[i] for i in sorted(shown)],
            "differences": found.differences[:EMBEDDED_LIMIT] if about_it_alone else [],
        },
        claims_total=len(found.claims),
        claims_naming_total=len(naming),
        differences_total=len(found.differences),
        dispute=at_the_pages_moment(
            request, request.url_for("get_dispute", dispute_id=found.id), []
        ),
    )
