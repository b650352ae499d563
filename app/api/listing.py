"""How every list answers: its OpenAPI responses, the page body (items, total, next, the filters
it applied), rendered as JSON, flat CSV or NDJSON with a `Link` header, and the refusal of query
parameters the endpoint does not know. The paging itself is app.api.pages."""

from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import URL, URLPath

from app.api import flat_csv
from app.api.answer_formats import (
    CSV_MEDIA_TYPE,
    NDJSON_MEDIA_TYPE,
    disposition,
)
from app.api.pages import PageParams
from app.api.representation import Answer, represent, respond_model
from app.errors import PROBLEM_JSON, PROBLEM_RESPONSES, InvalidParameter, Problem
from app.schemas.common import Page

PageBody = TypeVar("PageBody", bound=Page[Any])

# OpenAPI for list endpoints: JSON (the response model), the same page as CSV, and problems.
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "A page of results, as JSON or (with `format=csv` or `Accept: text/csv`) "
        "as CSV; the whole filtered list, streamed, with `all=true` (JSON or CSV) or as NDJSON "
        "(`format=ndjson` or `Accept: application/x-ndjson`: one item a line).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
    406: {"model": Problem, "description": "Unsupported Accept", "content": {PROBLEM_JSON: {}}},
}


def render_page(
    request: Request,
    page: PageParams,
    body: PageBody,
    name: str,
    item_model: type[BaseModel],
) -> Answer[PageBody]:
    """The page as JSON, its items as flat CSV or NDJSON (same filters, same page), with a
    `Link` header. A list answered whole here (NDJSON, `all=true`) must fit one page: the
    nations, at most the 249 countries of ISO 3166 (app.api.streaming streams the other lists)."""
    if page.all and not page.explicit_limit and body.next_cursor is not None:
        raise RuntimeError(f"{name}: a whole list that does not fit one page")
    headers = {}
    if body.next:
        headers["Link"] = f'<{body.next}>; rel="next"'
    if page.format == "json":
        if page.download:
            headers["Content-Disposition"] = disposition(request, name, "json", True)
        return respond_model(request, body, headers=headers)
    headers["Content-Disposition"] = disposition(request, name, page.format, page.download)
    headers["X-Total-Count"] = str(body.total)
    if page.format == "csv":
        data = flat_csv.encode(item_model, body.items, with_header=True)
        return represent(request, body, data, CSV_MEDIA_TYPE, headers=headers)
    data = b"".join(item.model_dump_json().encode() + b"\n" for item in body.items)
    return represent(request, body, data, NDJSON_MEDIA_TYPE, headers=headers)


def applied_filters(**filters: Any) -> dict[str, Any]:
    """What a list answer applied — its filters, defaults included, and its sort — JSON-ready.
    A filter not given (None, or an empty list) is left out."""
    found: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None or (isinstance(value, list | tuple | set | frozenset) and not value):
            continue
        if isinstance(value, list | tuple | set | frozenset):
            value = [v.value if isinstance(v, Enum) else v for v in value]
        elif isinstance(value, Enum):
            value = value.value
        found[name] = value
    return found


def make_page(
    request: Request,
    page: PageParams,
    items: list[Any],
    total: int,
    next_cursor: str | None,
    applied: dict[str, Any],
) -> dict[str, Any]:
    next_url = None
    if next_cursor:
        next_url = str(
            request.url.remove_query_params("offset").include_query_params(cursor=next_cursor)
        )
    return {
        "items": items,
        "total": total,
        "limit": page.limit,
        "offset": None if page.cursor else page.offset,
        "next_cursor": next_cursor,
        "next": next_url,
        "applied": applied,
    }


_allowed_cache: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# What reject_unknown_query_params refuses, said in the OpenAPI document: a free-text parameter
# matches this, so a client or fuzzer that follows the schema never sends a NUL.
NO_NUL = "^[^\\u0000]*$"


def _forbid_nul(schema: dict[str, Any]) -> None:
    for branch in schema.get("anyOf", []):
        _forbid_nul(branch)
    if schema.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(schema):
        schema["pattern"] = NO_NUL


def document_no_nul(app: FastAPI) -> None:
    """Give every free-text query and path parameter of the OpenAPI document the NO_NUL pattern."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] in ("query", "path"):
                        _forbid_nul(parameter["schema"])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def reject_unknown_query_params(request: Request) -> None:
    """A misspelt filter must fail loudly, never silently return everything. NUL characters
    are refused too: PostgreSQL text cannot hold them and SQLite's LIKE stops at them."""
    for where, values in (("query", request.query_params), ("path", request.path_params)):
        for name, value in values.items():
            if isinstance(value, str) and "\x00" in value:
                raise InvalidParameter(f"{where}.{name}: NUL characters are not allowed.")
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _allowed_cache.get(id(route))
    if allowed is None:
        allowed = frozenset(_query_names(route.dependant))
        _allowed_cache[id(route)] = allowed
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise InvalidParameter(
            f"Unknown query parameter(s): {', '.join(unknown)}. "
            f"This endpoint accepts: {', '.join(sorted(allowed)) or 'none'}.",
            errors=[
                {"location": f"query.{name}", "message": "Unknown query parameter",
                 "allowed": sorted(allowed)}
                for name in unknown
            ],
        )  # fmt: skip


# Past this many route paths kept per app, the kept ones are let go (a path per route and
# path parameters: the lists, and one per dispute an answer links to).
ROUTE_PATHS_KEPT = 20_000


def route_url(request: Request, name: str, **path_params: str) -> URL:
    """`request.url_for`, with the route's path found once per app, route and parameters:
    Starlette finds a route by name by asking every route of the app in turn, a quarter of a
    nation page's time for its five links."""
    kept: dict[tuple[str, tuple[tuple[str, str], ...]], URLPath] = request.app.state.route_paths
    key = (name, tuple(path_params.items()))
    path = kept.get(key)
    if path is None:
        if len(kept) >= ROUTE_PATHS_KEPT:
            kept.clear()
        path = kept[key] = request.app.url_path_for(name, **path_params)
    return path.make_absolute_url(base_url=request.base_url)


def at_the_pages_moment(request: Request, url: URL, query: list[tuple[str, str]]) -> str:
    """A link with its query, keeping the page's `as_of`: following it answers at that moment."""
    if "as_of" in request.query_params:
        query = [*query, ("as_of", request.query_params["as_of"])]
    return str(url.replace(query=urlencode(query)))
