"""Assertions the API tests share, and rules they derive expectations with from the files."""

from typing import Any

import httpx

from app.facts.files import Dataset
from app.vocab import ActorKind, Role, Status

BLOCKING = {Status.hesitant, Status.ruled_out}


def inherits(dataset: Dataset, nation: str, role: Role) -> bool:
    """Whether a member inherits the coalition force's commitments in ``role``, by the rule
    written out from the fact files: not against its own ruled-out or hesitant commitment in
    the role, nor outside the roles a source limits it to (its exclusive commitments)."""
    own = [c for c in dataset.commitments if c.actor is ActorKind.nation and c.nation == nation]
    if any(c.role is role and c.status in BLOCKING for c in own):
        return False
    exclusive = {c.role for c in own if c.exclusive}
    return not exclusive or role in exclusive


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def list_ids(client: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    """Ids of every row a list endpoint returns for ``params`` (one page of up to 500)."""
    response = await client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


async def walk_pages(
    client: httpx.AsyncClient, path: str, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor` from the first page; checks what each page
    says about itself (total, limit, offset, the `Link` header) on the way."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {**params, "limit": limit}
    total = None
    for _ in range(1000):
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["limit"] == limit
        assert page["offset"] == (None if "cursor" in query else 0)
        total = page["total"] if total is None else total
        assert page["total"] == total
        items += page["items"]
        if page["next_cursor"] is None:
            assert page["next"] is None
            assert "link" not in response.headers
            break
        assert len(page["items"]) == limit
        assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
        query = {**params, "limit": limit, "cursor": page["next_cursor"]}
    assert total == len(items)
    return items


async def walk_link(client: httpx.AsyncClient, url: str, limit: int) -> list[dict[str, Any]]:
    """Every item of the list a link in an answer points at (its filters kept), by walk_pages."""
    link = httpx.URL(url)
    params = {name: link.params.get_list(name) for name in link.params}
    return await walk_pages(client, link.path, limit, **params)
