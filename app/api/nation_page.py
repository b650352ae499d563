"""What a nation's page embeds beyond its own facts, kept to a page each: the coalition's
commitments and each dispute's claims, with how many there are and links to them all, at the
page's `as_of`."""

from urllib.parse import urlencode

from fastapi import Request
from starlette.datastructures import URL

from app.schemas.disputes import DisputeRead
from app.schemas.nations import (
    EMBEDDED_LIMIT,
    NationDispute,
)
from app.vocab import ActorKind, CoalitionScope


def at_the_pages_moment(request: Request, url: URL, query: list[tuple[str, str]]) -> str:
    """A link with its query, keeping the page's `as_of`: following it answers at that moment."""
    if "as_of" in request.query_params:
        query = [*query, ("as_of", request.query_params["as_of"])]
    return str(url.replace(query=urlencode(query)))


def whole_force_url(request: Request) -> str:
    """/commitments of the coalition's force as a whole, every one of them (a nation's page
    shows the first EMBEDDED_LIMIT), at the same `as_of`."""
    query = [("actor", ActorKind.coalition.value), ("coalition_scope", CoalitionScope.whole.value)]
    return at_the_pages_moment(request, request.url_for("list_commitments"), query)


def nation_dispute(request: Request, found: DisputeRead) -> NationDispute:
    """A dispute as a nation's page embeds it: its first EMBEDDED_LIMIT claims and differences
    (a dispute about a role few can hold names every claimant, in every source), how many there
    are, and the link to it whole."""
    fields = {name: getattr(found, name) for name in DisputeRead.model_fields}
    return NationDispute.model_construct(
        **{
            **fields,
            "claims": found.claims[:EMBEDDED_LIMIT],
            "differences": found.differences[:EMBEDDED_LIMIT],
        },
        claims_total=len(found.claims),
        differences_total=len(found.differences),
        dispute=at_the_pages_moment(
            request, request.url_for("get_dispute", dispute_id=found.id), []
        ),
    )
