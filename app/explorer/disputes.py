"""Where the sources disagree (`GET /disputes` with the page's filters): both claims side by
side, each with its quotes, and how they stand to each other."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.explorer.api import ApiDep, whole_page
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
    page_query = whole_page(request)
    if cursor:
        page_query.append(("cursor", cursor))
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
