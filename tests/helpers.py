"""Assertions the API tests share."""

from typing import Any

import httpx


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
