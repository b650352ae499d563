"""A dispute as a list or a nation's page embeds it, bounded whatever the data: a page of its
claims and differences, how many there are, and the link to it whole (at the page's `as_of`).
At 1,000x the seed, the dispute over who leads has 2,000 claims (7 MB): a list of disputes
embedding them whole grew with the data."""

import itertools
from typing import TypeVar, cast

from fastapi import Request

from app.api.listing import at_the_pages_moment, route_url
from app.schemas.common import EMBEDDED_LIMIT
from app.schemas.disputes import DisputeItem, DisputeRead

Item = TypeVar("Item", bound=DisputeItem)


def embedded_dispute(
    request: Request,
    found: DisputeRead,
    nation: str | None,
    as_item: type[Item],
    *,
    with_differences: bool = True,
) -> Item:
    """At most EMBEDDED_LIMIT claims, in the dispute's claim order; with ``nation`` (an alpha-2
    code), those that name it first, then the others (the other side). The first
    EMBEDDED_LIMIT differences, or none without ``with_differences``."""
    naming: list[int] = []
    if nation is None:
        shown = set(range(min(EMBEDDED_LIMIT, len(found.claims))))
    else:
        naming = [i for i, c in enumerate(found.claims) if nation in c.nations]
        shown = set(naming[:EMBEDDED_LIMIT])
        others = (i for i in range(len(found.claims)) if i not in shown)
        shown.update(itertools.islice(others, EMBEDDED_LIMIT - len(shown)))
    fields = {name: getattr(found, name) for name in DisputeRead.model_fields}
    item = as_item.model_construct(
        **{
            **fields,
            "claims": [found.claims[i] for i in sorted(shown)],
            "differences": found.differences[:EMBEDDED_LIMIT] if with_differences else [],
        },
        claims_total=len(found.claims),
        claims_naming_total=len(naming) if nation is not None else None,
        differences_total=len(found.differences),
        dispute=at_the_pages_moment(
            request, route_url(request, "get_dispute", dispute_id=found.id), []
        ),
    )
    return cast(Item, item)  # model_construct is typed as the base class's
