"""Where the sources disagree (`GET /disputes` with the page's filters): both claims side by
side, each with its quotes, and how they stand to each other; a page of each dispute's claims
in the list, every one on the dispute's own page."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.explorer.api import ApiDep
from app.explorer.pages import ApiCall, HereDep, PageRoute, render
from app.schemas.disputes import DISPUTE_RULE_DEFINITIONS, DisputeKind

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/explore/disputes")
async def disputes_page(
    request: Request,
    api: ApiDep,
    here: HereDep,
    nation: Annotated[str | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    rule: Annotated[list[str] | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    """Disputes, filtered by nation, kind and rule as `GET /disputes` filters."""
    filters = [
        *([("nation", nation.strip())] if nation and nation.strip() else []),
        *[("kind", k) for k in kind or [] if k],
        *[("rule", r) for r in rule or [] if r],
    ]
    # The API's default page, with a link to the next: each dispute there is itself a page of
    # its claims, and the list grows with the data.
    page_query = [("cursor", cursor)] if cursor else []
    call = ApiCall("Disputes", "/disputes", [*filters, *page_query, *here.query], csv=True)
    page = await api.get(call.path, call.query)
    next_page = None
    if page["next_cursor"]:
        next_page = here.href("/explore/disputes", [*filters, ("cursor", page["next_cursor"])])
    return render(
        request,
        "disputes.html",
        here,
        [call],
        page=page,
        nation=nation or "",
        selected_kinds=kind or [],
        selected_rules=rule or [],
        kinds=[k.value for k in DisputeKind],
        rules=[(r.value, text) for r, text in DISPUTE_RULE_DEFINITIONS.items()],
        next_page=next_page,
    )


@router.get("/explore/disputes/{dispute_id}")
async def dispute_page(
    request: Request,
    api: ApiDep,
    here: HereDep,
    dispute_id: Annotated[str, Path(max_length=120)],
) -> Response:
    """One dispute whole (`GET /disputes/{id}`): every claim with its quotes, every difference;
    the list shows a page of each."""
    call = ApiCall("This dispute", f"/disputes/{quote(dispute_id, safe='')}", here.query)
    found = await api.get(call.path, call.query)
    return render(request, "dispute.html", here, [call], dispute=found)
