"""The story in numbers (`GET /summary`): the 26 claimed nations against those the sources
identify, and the roles by status, as charts drawn on the server beside tables of the same
numbers."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.explorer.api import ApiDep, whole_page
from app.explorer.chart import Bar, stacked_bars, unit_squares
from app.explorer.pages import ApiCall, HereDep, PageRoute, render, words
from app.vocab import Certainty, Role, Status

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CERTAINTY_ORDER = [c.value for c in Certainty]


@router.get("/explore/summary")
async def summary_page(request: Request, api: ApiDep, here: HereDep) -> Response:
    """Counts by role and status, and who of the claimed 26 the sources identify."""
    summary_call = ApiCall("Summary", "/summary", here.query)
    members_call = ApiCall(
        "Members",
        "/nations",
        [("membership", "member"), *whole_page(request), *here.query],
        csv=True,
    )
    summary = await api.get(summary_call.path, summary_call.query)
    members = (await api.get(members_call.path, members_call.query))["items"]

    members.sort(key=lambda n: (CERTAINTY_ORDER.index(n["certainty"]), n["name"]))
    units = [
        (n["certainty"], f"{n['name']}: {words(n['basis'])}, {n['certainty']}"
         + (f" ({n['hedge']})" if n["hedge"] else ""))
        for n in members
    ]  # fmt: skip
    identified = summary["identified"]
    units += [("unidentified", "not identified by the sources")] * max(
        identified["unidentified"], 0
    )
    claimed = summary["claimed_nation_count"]
    squares = unit_squares(
        "claimed-chart",
        f"{claimed} nations claimed, {identified['total']} identified",
        f"One square per nation: {identified['by_certainty']['stated']} identified in plain "
        f"words, {identified['by_certainty']['reported']} as reported by an outlet, "
        f"{identified['by_certainty']['hedged']} only in hedged words, "
        f"{max(identified['unidentified'], 0)} not identified.",
        units,
        per_row=13,
    )
    statuses = [s.value for s in Status]
    by_role = summary["by_role"]
    roles = [r.value for r in Role if r.value in by_role]
    commitments_chart = stacked_bars(
        "commitments-chart",
        "Commitments by role and status",
        "For each role, the number of commitments (a nation's or the coalition's) per status.",
        [Bar(r, words(r), by_role[r]["commitments_by_status"]) for r in roles],
        statuses,
    )
    nations_chart = stacked_bars(
        "nations-chart",
        "Nations by role and status of their own commitments",
        "For each role, the nations whose own commitment in it has each status; coalition "
        "commitments are no nation's.",
        [Bar(r, words(r), by_role[r]["nations_by_status"]) for r in roles],
        statuses,
    )
    return render(
        request,
        "summary.html",
        here,
        [summary_call, members_call],
        summary=summary,
        squares=squares,
        commitments_chart=commitments_chart,
        nations_chart=nations_chart,
        roles=roles,
        statuses=statuses,
        certainties=CERTAINTY_ORDER,
    )
