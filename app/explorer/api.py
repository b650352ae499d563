"""The explorer's only way to data: the API itself, called in process.

A page is a reading of one or more API answers. Each call goes through the whole application
(middleware, validation, the handler, the response cache) exactly as an outside client's
would, so a page can never show other rows than the API call it names, and the API's own
checks (unknown parameters, bad values, `as_of`) and problems apply to it unchanged."""

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from app.api.state import app_settings

QueryPairs = Sequence[tuple[str, str]]


class ApiProblem(Exception):
    """The API answered a problem (RFC 9457): the page shows it, with the same status."""

    def __init__(self, status: int, problem: dict[str, Any], headers: dict[str, str]) -> None:
        super().__init__(problem.get("detail") or problem.get("title"))
        self.status = status
        self.problem = problem
        self.headers = headers


def whole_page(request: Request) -> list[tuple[str, str]]:
    """The API's largest page: a page that shows a whole list names it in its call."""
    return [("limit", str(app_settings(request).max_page_size))]


def api_url(path: str, query: QueryPairs = ()) -> str:
    """The API call as a relative URL, the way a page names it in its links."""
    return path + ("?" + str(httpx.QueryParams(list(query))) if query else "")


class Api:
    """GET calls to this application's own API, answered as parsed JSON."""

    def __init__(self, client: httpx.AsyncClient, whole_page: list[tuple[str, str]]) -> None:
        self.client = client
        self.whole_page = whole_page

    async def get(self, path: str, query: QueryPairs = ()) -> Any:
        response = await self.client.get(path, params=list(query))
        if response.status_code >= 400:
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                problem = response.json()
            else:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            kept = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
            raise ApiProblem(response.status_code, problem, kept)
        return response.json()

    async def get_all(self, path: str, query: QueryPairs = ()) -> list[Any]:
        """Every item of a list, page by page (the API caps a page, never the list)."""
        limit = self.whole_page
        page = await self.get(path, [*query, *limit])
        items: list[Any] = page["items"]
        while page["next_cursor"]:
            page = await self.get(path, [*query, *limit, ("cursor", page["next_cursor"])])
            items += page["items"]
        return items


async def api_for(request: Request) -> AsyncIterator[Api]:
    # The page's own host as base: any absolute URL in an answer (`next`) is the real one.
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url=str(request.base_url),
        headers={"accept": "application/json"},
    ) as client:
        yield Api(client, whole_page(request))


ApiDep = Annotated[Api, Depends(api_for)]
