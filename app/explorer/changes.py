"""The audit log as a timeline (`GET /changes` with the page's filters): who changed what,
when and why, and each field that changed, before and after."""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.explorer.api import ApiDep
from app.explorer.pages import ApiCall, Here, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# Bookkeeping every write moves; the timeline says when, so these are no news.
BOOKKEEPING = frozenset({"version", "created_at", "updated_at"})
FACT_PATHS = {
    "membership": "/memberships",
    "commitment": "/commitments",
    "condition": "/conditions",
    "statement": "/statements",
    "event": "/events",
}
LONG = 160  # characters of a value shown before it folds away


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str | None
    after: str | None

    @property
    def long(self) -> bool:
        return max(len(self.before or ""), len(self.after or "")) > LONG


def shown(value: Any) -> str | None:
    """A field's value as text: evidence as its quotes, other nested values as JSON."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, dict) and "quote" in v for v in value):
        return "\n".join(f"“{v['quote']}” ({v.get('certainty')})" for v in value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """The fields that differ between the two states, in the order the entity lists them."""
    names = list(dict.fromkeys([*(after or {}), *(before or {})]))
    return [
        FieldChange(name, shown((before or {}).get(name)), shown((after or {}).get(name)))
        for name in names
        if name not in BOOKKEEPING and (before or {}).get(name) != (after or {}).get(name)
    ]


def links(change: dict[str, Any]) -> tuple[str | None, str | None]:
    """The explorer page and the API resource of what changed, where there are such."""
    state = change["after"] or change["before"] or {}
    entity, ident = change["entity"], quote(change["entity_id"], safe="")
    now = Here()  # a change is linked to what it changed as it is now
    if entity == "fact":
        kind = state.get("kind")
        nation = state.get("nation_code") or state.get("speaker_nation_code")
        page = now.href(f"/explore/nations/{nation}", fragment=f"fact-{ident}") if nation else None
        return page, f"{FACT_PATHS[kind]}/{ident}" if kind in FACT_PATHS else None
    if entity == "source":
        return now.href(f"/explore/sources/{ident}"), f"/sources/{ident}"
    if entity == "nation":
        return now.href(f"/explore/nations/{ident}"), f"/nations/{ident}"
    return None, None


@router.get("/explore/changes")
async def changes_page(
    request: Request,
    api: ApiDep,
    since: Annotated[str | None, Query()] = None,
    entity: Annotated[str | None, Query()] = None,
    entity_id: Annotated[str | None, Query()] = None,
    actor: Annotated[str | None, Query()] = None,
    offset: Annotated[str | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    """The audit log, oldest first, filtered as `GET /changes` filters."""
    given = {"since": since, "entity": entity, "entity_id": entity_id, "actor": actor}
    filters = [(k, v.strip()) for k, v in given.items() if v and v.strip()]
    paging = [(k, v) for k, v in (("offset", offset), ("cursor", cursor)) if v]
    call = ApiCall("Changes", "/changes", [*filters, *paging], csv=True)
    page = await api.get(call.path, call.query)
    entries = [
        {**change, "fields": field_changes(change["before"], change["after"]),
         "links": links(change)}
        for change in page["items"]
    ]  # fmt: skip
    here = Here()
    next_page = latest = None
    if page["next_cursor"]:
        next_page = here.href("/explore/changes", [*filters, ("cursor", page["next_cursor"])])
        last = max(page["total"] - page["limit"], 0)
        latest = here.href("/explore/changes", [*filters, ("offset", str(last))])
    return render(
        request,
        "changes.html",
        here,
        [call],
        page=page,
        entries=entries,
        given={k: v or "" for k, v in given.items()},
        entities=["", "fact", *FACT_PATHS, "source", "nation", "outlet"],
        next_page=next_page,
        latest=latest,
    )
