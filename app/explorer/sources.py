"""The sources: the list (`GET /sources`), and each article's full text with every evidence
span marked and linked to its fact (`GET /sources/{id}` and the fact lists filtered to it).

An annotation is a span of the text and the note under the text that explains it. Evidence is
one kind; another (a proposal's candidate quote, with its accept and reject buttons) is added
by giving its spans a kind of its own and its notes a template block."""

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.explorer.api import Api, ApiDep, whole_page
from app.explorer.highlight import Span, highlight
from app.explorer.pages import ApiCall, Here, HereDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The lists of facts that quote a source, each with the API path of one fact of it. Events
# cannot be filtered by source: there are few, and their evidence is picked here.
FACT_LISTS = {
    "membership": ("/memberships", True),
    "commitment": ("/commitments", True),
    "condition": ("/conditions", True),
    "statement": ("/statements", True),
    "event": ("/events", False),
}


@dataclass(frozen=True)
class Note:
    """What a marked span is: the evidence, the fact it supports, and where that fact is."""

    span: Span
    evidence: dict[str, Any]
    kind: str
    fact: dict[str, Any]
    title: str
    page: str | None  # the explorer page that shows the fact, if one does
    api: str  # the fact in the API


def describe(kind: str, fact: dict[str, Any]) -> str:
    """A fact in a few words, for its note."""
    if kind == "membership":
        return f"Membership of {fact['nation']}: {fact['status']}"
    if kind == "commitment":
        actor = fact["nation"] or "The coalition"
        return f"{actor}: {fact['role']} — {fact['status']}"
    if kind == "condition":
        return f"Condition: {fact['kind']} ({fact['nature']})"
    if kind == "statement":
        return f"Quote of {fact['speaker']}"
    return f"Event: {fact['name']}"


def fact_page(here: Here, kind: str, fact: dict[str, Any]) -> str | None:
    """The explorer page that shows the fact, at its anchor: the nation's page for a nation's
    fact, the nations table filtered to the role for the coalition's."""
    nation = {
        "membership": fact.get("nation"),
        "commitment": fact.get("nation"),
        "condition": fact.get("nation"),
        "statement": fact.get("speaker_nation"),
    }.get(kind)
    if nation:
        return here.href(f"/explore/nations/{nation}", fragment=f"fact-{fact['id']}")
    if kind == "commitment":
        return here.href("/", [("role", fact["role"]), ("status", fact["status"])], "coalition")
    return None


async def annotations(api: Api, here: Here, source: str) -> tuple[list[ApiCall], list[Note]]:
    """Every standing fact's evidence in ``source``, each as a span and its note."""
    calls = [
        ApiCall(f"{kind.capitalize()}s" + (" quoting it" if by_source else ""), path,
                [*([("source", source)] if by_source else []), *here.query])
        for kind, (path, by_source) in FACT_LISTS.items()
    ]  # fmt: skip
    found = await asyncio.gather(*(api.get_all(call.path, call.query) for call in calls))
    notes = []
    for (kind, (path, _)), facts in zip(FACT_LISTS.items(), found, strict=True):
        for fact in facts:
            for evidence in fact["evidence"]:
                if evidence["source"] != source:
                    continue
                span = Span(
                    evidence["start"],
                    evidence["end"],
                    id=f"ev-{evidence['id']}",
                    kind=f"evidence ev-{evidence['certainty']}",
                    note=f"note-{evidence['id']}",
                )
                notes.append(
                    Note(span, evidence, kind, fact, describe(kind, fact),
                         fact_page(here, kind, fact), f"{path}/{quote(fact['id'], safe='')}")
                )  # fmt: skip
    return calls, notes


@router.get("/explore/sources")
async def sources_page(request: Request, api: ApiDep, here: HereDep) -> Response:
    """The articles, with how much evidence each gives and the outlets it cites."""
    call = ApiCall("Sources", "/sources", [*whole_page(request), *here.query], csv=True)
    page = await api.get(call.path, call.query)
    return render(request, "sources.html", here, [call], page=page)


@router.get("/explore/sources/{source_id}")
async def source_page(
    request: Request,
    api: ApiDep,
    here: HereDep,
    source_id: Annotated[str, Path(max_length=80)],
) -> Response:
    """An article's text, every evidence span marked, each linked to the fact it supports."""
    call = ApiCall("This source", f"/sources/{quote(source_id, safe='')}", here.query)
    source = await api.get(call.path, call.query)
    fact_calls, notes = await annotations(api, here, source["id"])
    text, in_order = highlight(source["text"], [note.span for note in notes])
    by_span = {note.span.id: note for note in notes}
    return render(
        request,
        "source.html",
        here,
        [call, *fact_calls],
        source=source,
        text=text,
        notes=[by_span[span.id] for span in in_order],
    )
