"""A source's proposals, for review: the article's text with every candidate quote marked, each
candidate with what it claims, how sure the engine is and why, how it stands to the facts held,
and — while pending — a form to accept or reject it.

Reading is the API's `GET /sources/{id}/proposals`, like every page. Deciding is a plain HTML
form (no script needed) posted to `POST /explore/proposals/{id}`, which passes the decision on
to the API's own `POST /proposals/{id}/accept` or `/reject`, in process, with the curator key
the form carried as the API's `Authorization: Bearer` header and the client's own address (the
API's write limits count it). So the write, its checks and its audit entry are the API's: one
code path. The key is never kept: not in the page, the address, a cookie or a log. The answer
is a redirect back to the page (303), or the page again with the API's refusal in plain words
and the status the API answered."""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

import httpx
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.errors import InvalidParameter
from app.explorer.api import Api, ApiDep
from app.explorer.highlight import Span, highlight
from app.explorer.pages import ApiCall, Here, PageRoute, render, words
from app.explorer.sources import FACT_LISTS, fact_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# The explorer's one write route: an HTML form's target, not part of the API (so not in its
# OpenAPI document). It writes nothing itself: every write is the API's own accept or reject,
# with the key the form carried (tests/test_proposals_review.py: refused without a valid key).
FORM_WRITES = frozenset({("POST", "/explore/proposals/{proposal_id}")})

SourceIdPath = Annotated[str, Path(max_length=80)]
ProposalIdPath = Annotated[int, Path(ge=1, le=2**53)]
DECISIONS = ("accept", "reject")
MAX_FORM_BYTES = 8192  # a key, a reason of up to 1,000 characters, a button: far less
# The page reads the review as it is now (never `as_of`), and is always revalidated: a
# decision just made shows at once, also on the way back to it.
NO_CACHE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Candidate:
    """A proposal as the page shows it: its number (its footnote's), the marks of its quotes,
    and where the fact it relates to (and the fact it wrote) can be read."""

    number: int
    p: dict[str, Any]
    spans: list[Span]
    title: str
    actor: str
    related_page: str | None
    related_api: str | None
    written_page: str | None
    written_api: str | None


@dataclass(frozen=True)
class Refusal:
    """The API's refusal of a decision, in plain words, shown at the proposal."""

    proposal: int
    decision: str
    message: str
    reason: str  # what the curator wrote, given back to edit (the key never is)


def actor_of(kind: str, fact: dict[str, Any]) -> str:
    """Who the candidate is about: a nation, the coalition, or a speaker."""
    if kind == "statement":
        speaker = str(fact.get("speaker") or "an unnamed speaker")
        nation = fact.get("speaker_nation")
        return f"{speaker} ({nation})" if nation else speaker
    if fact.get("nation"):
        return str(fact["nation"])
    if kind in ("commitment", "condition"):
        scope = fact.get("coalition_scope")
        return "the coalition" + (" (some members)" if scope == "some_members" else "")
    return "—"


def title_of(kind: str, fact: dict[str, Any], actor: str) -> str:
    """The candidate in a few words, for its heading."""
    if kind == "membership":
        return f"Membership of {actor}: {words(fact.get('status', '?'))}"
    if kind == "commitment":
        return (
            f"{actor[:1].upper()}{actor[1:]}: {words(fact.get('role', '?'))} — "
            f"{words(fact.get('status', '?'))}"
        )
    if kind == "condition":
        return f"Condition of {actor}: {words(fact.get('kind', '?'))} ({fact.get('nature', '?')})"
    return f"Quote of {actor}"


def fact_links(kind: str, fact_id: str | None, like: dict[str, Any]) -> tuple[str | None, ...]:
    """The explorer page and the API address of the fact ``fact_id`` of ``kind``, read as about
    the same actor as ``like`` (a proposal relates only to facts of its own actor): a nation's
    page at the fact, or the coalition's commitments in the role."""
    if not fact_id:
        return None, None
    path, _ = FACT_LISTS[kind]
    page: str | None
    if kind == "commitment" and not like.get("nation"):
        page = Here().href("/", [("role", str(like.get("role", "")))], "coalition")
    else:
        page = fact_page(Here(), kind, {**like, "id": fact_id})
    return page, f"{path}/{quote(fact_id, safe='')}"


def candidates_of(proposals: list[dict[str, Any]], text: str) -> tuple[Any, list[Candidate]]:
    """The text with every candidate's quotes marked, and the candidates in the order their
    notes come (the order of the text)."""
    spans: dict[int, list[Span]] = {}
    for p in proposals:
        spans[p["id"]] = [
            Span(e["start"], e["end"], id=f"cand-{p['id']}-{i}",
                 kind=f"candidate cand-{p['status']}", note=f"proposal-{p['id']}")
            for i, e in enumerate(p["evidence"])
        ]  # fmt: skip
    marked, in_order = highlight(text, [s for group in spans.values() for s in group])
    order: list[int] = []
    for span in in_order:
        pid = int(span.note.removeprefix("proposal-"))
        if pid not in order:
            order.append(pid)
    by_id = {p["id"]: p for p in proposals}
    order += [p["id"] for p in proposals if p["id"] not in order]  # none: every one has a quote
    out = []
    for number, pid in enumerate(order, 1):
        p = by_id[pid]
        actor = actor_of(p["kind"], p["fact"])
        related = fact_links(p["kind"], p["relation"]["fact_id"], p["fact"])
        written = fact_links(p["kind"], p["fact_id"], p["fact"])
        out.append(
            Candidate(number, p, spans[pid], title_of(p["kind"], p["fact"], actor), actor,
                      related[0], related[1], written[0], written[1])
        )  # fmt: skip
    return marked, out


async def review_page(
    request: Request,
    api: Api,
    source_id: str,
    decided: int | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> Response:
    source_call = ApiCall("This source", f"/sources/{quote(source_id, safe='')}")
    source = await api.get(source_call.path)
    list_call = ApiCall("Its proposals", f"/sources/{quote(source_id, safe='')}/proposals")
    proposals = await api.get_all(list_call.path)
    text, candidates = candidates_of(proposals, source["text"])
    outlets = {o["id"]: o["name"] for o in source.get("outlets_cited") or []}
    counts = {
        state: sum(c.p["status"] == state for c in candidates)
        for state in ("pending", "accepted", "rejected")
    }
    just_decided = next(
        (c for c in candidates if c.p["id"] == decided and c.p["status"] != "pending"), None
    )
    response = render(
        request,
        "proposals.html",
        Here(),
        [source_call, list_call],
        source=source,
        text=text,
        candidates=candidates,
        outlets=outlets,
        counts=counts,
        just_decided=just_decided,
        refusal=refusal,
    )
    response.status_code = status
    response.headers.update(NO_CACHE)
    return response


@router.get("/explore/sources/{source_id}/proposals")
async def proposals_page(
    request: Request,
    api: ApiDep,
    source_id: SourceIdPath,
    decided: Annotated[
        int | None, Query(ge=1, le=2**53, description="The proposal just decided: say so.")
    ] = None,
) -> Response:
    """A source's text with every candidate quote marked, and each proposal to review."""
    return await review_page(request, api, source_id, decided)


def plain_words(decision: str, key: str, status: int, problem: dict[str, Any]) -> str:
    """The API's refusal as a curator reads it."""
    detail = str(problem.get("detail") or problem.get("title") or "")
    unchanged = "Nothing was changed."
    if status == 401:
        if not key:
            return f"Enter your curator key to {decision} this proposal. {unchanged}"
        return f"That curator key was not accepted: check it and try again. {unchanged}"
    if status == 403:
        return f"That key may not decide proposals: it needs the curator scope. {unchanged}"
    if status == 409:
        return f"{detail} {unchanged}"
    if status == 422 and "body.reason" in detail:
        if decision == "reject":
            return f"Say why you reject it: a reason of at least 3 characters. {unchanged}"
        return f"The reason is too long (at most 1,000 characters). {unchanged}"
    if status == 422:
        return f"The fact could not be written as proposed: {detail} {unchanged}"
    if status == 429:
        return f"Too many writes: {detail} {unchanged}"
    return f"The API refused ({status}): {detail} {unchanged}"


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields (application/x-www-form-urlencoded; the last of a repeated name)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidParameter(f"The form is larger than {MAX_FORM_BYTES} bytes.")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidParameter("The form could not be read.") from exc


async def send_decision(
    request: Request, proposal_id: int, decision: str, key: str, reason: str
) -> httpx.Response:
    """The decision, sent to the API in process as the client's own request: its key as the
    API's bearer credential, its address for the API's write limits."""
    client = request.client or None
    transport = httpx.ASGITransport(
        app=request.app, client=(client.host, client.port) if client else ("unknown", 0)
    )
    headers = {"accept": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    body: dict[str, Any] = {"reason": reason} if reason or decision == "reject" else {}
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as api:
        return await api.post(f"/proposals/{proposal_id}/{decision}", json=body, headers=headers)


@router.post("/explore/proposals/{proposal_id}")
async def decide(request: Request, api: ApiDep, proposal_id: ProposalIdPath) -> Response:
    """Accept or reject a proposal from the review page's form (fields: decision, reason,
    key), through the API's own accept and reject."""
    form = await read_form(request)
    decision = form.get("decision", "")
    key = form.get("key", "").strip()
    reason = form.get("reason", "").strip()
    # The source to come back to (and a 404 page for a proposal that does not exist).
    proposal = await api.get(f"/proposals/{proposal_id}")
    source_id = str(proposal["source"])
    if decision not in DECISIONS:
        refusal = Refusal(
            proposal_id, "decide", "Choose Accept or Reject. Nothing was changed.", reason
        )
        return await review_page(request, api, source_id, refusal=refusal, status=422)
    answer = await send_decision(request, proposal_id, decision, key, reason)
    if answer.status_code == 200:
        target = (
            f"/explore/sources/{quote(source_id, safe='')}/proposals?decided={proposal_id}"
            f"#proposal-{proposal_id}"
        )
        return RedirectResponse(target, status_code=303)
    try:
        problem = answer.json()
    except ValueError:
        problem = {"detail": answer.reason_phrase}
    message = plain_words(decision, key, answer.status_code, problem)
    refusal = Refusal(proposal_id, decision, message, reason)
    page = await review_page(request, api, source_id, refusal=refusal, status=answer.status_code)
    if "retry-after" in answer.headers:
        page.headers["Retry-After"] = answer.headers["retry-after"]
    return page
