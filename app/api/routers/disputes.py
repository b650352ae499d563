"""Disputes (`/disputes`): where the sources disagree (contradiction, refinement, wording), paged
like every list; derived per data revision by app.reads.disputes."""

from typing import Annotated

from fastapi import Path, Query, Request

from app.api.dispute_items import embedded_dispute
from app.api.filters import NationParam
from app.api.listing import LIST_RESPONSES, applied_filters, make_page, render_page
from app.api.pages import PageDep, page_of_list
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.api.state import app_reference
from app.errors import PROBLEM_RESPONSES, NotFound
from app.reads.disputes.finding import disputes_for_nation, find_disputes
from app.reads.queries import resolve_nation
from app.schemas.disputes import (
    DISPUTE_KIND_DEFINITIONS,
    DISPUTE_RULE_DEFINITIONS,
    DisputeItem,
    DisputeKind,
    DisputePage,
    DisputeRead,
    DisputeRule,
)

router = PrefixedRouter(prefix="/disputes", tags=["disputes"], route_class=AnswerRoute)


@router.get("", responses=LIST_RESPONSES)
def list_disputes(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    nation: NationParam = None,
    kind: Annotated[
        list[DisputeKind] | None,
        Query(
            description="Only disputes of this kind (repeatable): "
            + "; ".join(f"`{k.value}`: {text}" for k, text in DISPUTE_KIND_DEFINITIONS.items()),
            examples=["contradiction"],
        ),
    ] = None,
    rule: Annotated[
        list[DisputeRule] | None,
        Query(
            description="Only disputes found by this rule (repeatable): "
            + "; ".join(f"`{k.value}`: {text}" for k, text in DISPUTE_RULE_DEFINITIONS.items()),
            examples=["stance"],
        ),
    ] = None,
) -> Answer[DisputePage]:
    """List the places where the sources disagree, each with a page of its claims (those that
    name `nation` first, with it), their evidence and differences, how many there are, and
    the link to it whole."""
    code = resolve_nation(session, nation) if nation is not None else None
    # One nation's: found in its own facts (the same as the whole list's that name it).
    groups = app_reference(request).groups
    every = (
        find_disputes(session, groups)
        if code is None
        else disputes_for_nation(session, groups, code)
    )
    found = [
        d
        for d in every
        if (code is None or code in d.nations)
        and (not kind or d.kind in kind)
        and (not rule or d.rule in rule)
    ]
    shown, total, next_cursor = page_of_list(found, page)
    items = [embedded_dispute(request, d, code, DisputeItem) for d in shown]
    applied = applied_filters(nation=nation, kind=kind, rule=rule, sort="id")
    body = DisputePage(**make_page(request, page, items, total, next_cursor, applied))
    return render_page(request, page, body, "disputes", DisputeItem)


@router.get("/{dispute_id}", responses=PROBLEM_RESPONSES)
def get_dispute(
    request: Request,
    session: ReadSessionDep,
    dispute_id: Annotated[
        str,
        Path(
            max_length=120,
            description="Id of the dispute, as given in the list.",
            examples=["nation-de-stance"],
        ),
    ],
) -> Answer[DisputeRead]:
    """One dispute: the subject, each source's claim and its evidence."""
    for found in find_disputes(session, app_reference(request).groups):
        if found.id == dispute_id:
            return respond_model(request, found)
    raise NotFound(f"No dispute {dispute_id!r}.")
