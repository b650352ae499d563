"""The nations table (`GET /`, the call `GET /nations` with the page's filters) and a nation's
page (`GET /explore/nations/{code}`, the call `GET /nations/{code}`)."""

from collections import Counter
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from app.api.state import app_reference
from app.explorer.api import ApiDep, whole_page
from app.explorer.pages import ApiCall, HereDep, PageRoute, render
from app.vocab import (
    CERTAINTY_DEFINITIONS,
    ROLE_DEFINITIONS,
    STATUS_DEFINITIONS,
    Certainty,
    MembershipStatus,
    Role,
    Status,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Repeated = Annotated[list[str] | None, Query()]
Single = Annotated[str | None, Query()]
SORTS = {"name": "name", "-name": "name, Z to A", "code": "code", "region": "region"}


async def nation_filters(
    request: Request,
    q: Single = None,
    role: Repeated = None,
    status: Repeated = None,
    membership: Repeated = None,
    certainty: Repeated = None,
    region: Single = None,
    nato: Single = None,
    eu: Single = None,
    group: Single = None,
    include_coalition: Single = None,
    include_excluded: Single = None,
    sort: Single = None,
    limit: Single = None,
    cursor: Single = None,
) -> list[tuple[str, str]]:
    """The page's filters as the query of its `GET /nations` call, in the form's order, blank
    fields left out (a form sends them empty). The API checks the values."""
    given: dict[str, list[str] | str | None] = {
        "q": q, "role": role, "status": status, "membership": membership,
        "certainty": certainty, "region": region, "nato": nato, "eu": eu, "group": group,
        "include_coalition": include_coalition, "include_excluded": include_excluded,
        "sort": sort, "limit": limit, "cursor": cursor,
    }  # fmt: skip
    query = []
    for name, value in given.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None and one.strip():
                query.append((name, one.strip()))
    if limit is None or not limit.strip():
        # The whole story on one page: the API's largest page, named in the call's URL.
        query += whole_page(request)
    return query


NationFiltersDep = Annotated[list[tuple[str, str]], Depends(nation_filters)]


def role_summary(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A nation item's roles, each (role, status, own or inherited) once, with how many
    commitments carry it: the coalition's force has two troops commitments, say."""
    counts = Counter((r["role"], r["status"], r["via"]) for r in roles)
    return [
        {"role": role, "status": status, "via": via, "count": n}
        for (role, status, via), n in counts.items()
    ]


def kept_out(coalition: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The coalition's commitments a member does not inherit, grouped by what keeps them out:
    the same few commitments of its own usually say so for many."""
    groups: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for c in coalition:
        if not c["inherited"]:
            key = tuple((e["commitment"], e["reason"]) for e in c["excluded_by"])
            group = groups.setdefault(key, {"reasons": c["excluded_by"], "commitments": []})
            group["commitments"].append(c)
    return list(groups.values())


@router.get("/")
async def nations_page(
    request: Request, api: ApiDep, here: HereDep, filters: NationFiltersDep
) -> Response:
    """Every nation in the story, filtered as `GET /nations` filters."""
    call = ApiCall("Nations", "/nations", [*filters, *here.query], csv=True)
    page = await api.get(call.path, call.query)
    selected: dict[str, list[str]] = {}
    for name, value in filters:
        selected.setdefault(name, []).append(value)
    reference, groups = app_reference(request)
    next_page = None
    if page["next_cursor"]:
        kept = [(k, v) for k, v in filters if k != "cursor"]
        next_page = here.href("/", [*kept, ("cursor", page["next_cursor"])])
    return render(
        request,
        "nations.html",
        here,
        [call],
        page=page,
        items=[{**item, "role_summary": role_summary(item["roles"])} for item in page["items"]],
        selected=selected,
        next_page=next_page,
        roles=[(r.value, ROLE_DEFINITIONS[r]) for r in Role],
        statuses=[(s.value, STATUS_DEFINITIONS[s]) for s in Status],
        memberships=[m.value for m in MembershipStatus],
        certainties=[(c.value, CERTAINTY_DEFINITIONS[c]) for c in Certainty],
        regions=sorted(reference.regions.members),
        groups=sorted((g.id, g.name) for g in groups.values()),
        sorts=SORTS,
    )


@router.get("/explore/nations/{code}")
async def nation_page(
    request: Request,
    api: ApiDep,
    here: HereDep,
    code: Annotated[str, Path(max_length=60)],
) -> Response:
    """One nation: membership, commitments, inheritance, conditions, quotes and disputes."""
    call = ApiCall("This nation", f"/nations/{quote(code, safe='')}", here.query)
    nation = await api.get(call.path, call.query)
    return render(
        request, "nation.html", here, [call], nation=nation,
        kept_out=kept_out(nation["coalition_commitments"]),
    )  # fmt: skip
