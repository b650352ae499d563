"""Errors: RFC 9457 problem+json everywhere, unknown parameters refused, bad values named with
what is allowed, page parameters and cursors checked. Endpoints are discovered from the app's
OpenAPI document, so a new list endpoint is covered without editing this file."""

import base64
import re
from typing import Any

import httpx
import orjson
import pytest

from app import main as app_main
from app.vocab import Role

pytestmark = pytest.mark.anyio

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|site-packages|sqlalchemy|psycopg|sqlite3")
OPENAPI = app_main.app.openapi()


def _query_params(path: str) -> dict[str, dict[str, Any]]:
    operation = OPENAPI["paths"][path]["get"]
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


# GET operations without path parameters; of those, the paged lists and the sortable ones.
GET_ROUTES = sorted(p for p, ops in OPENAPI["paths"].items() if "get" in ops and "{" not in p)
PAGED = [p for p in GET_ROUTES if {"limit", "cursor", "offset"} <= set(_query_params(p))]
SORTED = [p for p in PAGED if "sort" in _query_params(p)]


def _enum_values(schema: dict[str, Any], components: dict[str, Any]) -> list[str] | None:
    if "$ref" in schema:
        return _enum_values(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "enum" in schema:
        return list(schema["enum"])
    if schema.get("type") == "array":
        return _enum_values(schema["items"], components)
    for option in schema.get("anyOf", []):
        found = _enum_values(option, components)
        if found:
            return found
    return None


def _enum_params() -> list[tuple[str, str, list[str]]]:
    """(path, parameter, allowed values) of every enumerated query parameter but `format`,
    which has its own test below."""
    components = OPENAPI["components"]["schemas"]
    found = []
    for path in GET_ROUTES:
        for name, param in _query_params(path).items():
            values = _enum_values(param["schema"], components)
            if values and name != "format":
                found.append((path, name, values))
    return found


ENUM_PARAMS = _enum_params()


def check_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem document with the HTTP status and no internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert body["status"] == status
    assert not LEAKS.search(response.text), response.text
    return body


def allowed_for(body: dict[str, Any], param: str) -> list[str]:
    for error in body.get("errors", []):
        location = error["location"]
        if location == f"query.{param}" or location.startswith(f"query.{param}."):
            return list(error.get("allowed", []))
    return list(body.get("allowed", []))


def test_the_routes_were_discovered() -> None:
    # Guards the parametrisation below: it must see the list endpoints of the contract.
    assert {"/nations", "/commitments", "/conditions", "/statements", "/events", "/sources"} <= set(
        PAGED
    )
    assert {"/roles", "/summary", "/healthz", "/readyz"} <= set(GET_ROUTES)
    assert {"/nations", "/commitments"} <= set(SORTED)
    assert ("/nations", "role", [r.value for r in Role]) in ENUM_PARAMS


# --- unknown parameters and bad values -------------------------------------------------------


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_unknown_query_parameter_is_refused_by_name(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, params={"colour": "blue"})
    body = check_problem(response, 422)
    assert body["type"] == "/problems/invalid-parameter"
    assert "colour" in body["detail"]
    assert [e["location"] for e in body["errors"]] == ["query.colour"]


@pytest.mark.parametrize("path", PAGED)
async def test_misspelt_filter_never_returns_everything(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, params={"limit": 5, "lmit": 5, "Limit": 5})
    body = check_problem(response, 422)
    assert "lmit" in body["detail"] and "Limit" in body["detail"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": -1}, {"limit": "x"},
                                    {"offset": -1}, {"offset": "max+1"}])  # fmt: skip
async def test_page_parameters_out_of_range(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> None:
    (name,) = params
    if params[name] == "max+1":  # one past the maximum the OpenAPI document gives
        params = {name: _query_params(path)[name]["schema"]["maximum"] + 1}
    body = check_problem(await client.get(path, params=params), 422)
    assert name in body["detail"]
    assert any(e["location"] == f"query.{name}" for e in body["errors"])


@pytest.mark.parametrize("path", PAGED)
async def test_page_size_limits_are_inclusive(client: httpx.AsyncClient, path: str) -> None:
    for limit in (1, 500):
        response = await client.get(path, params={"limit": limit})
        assert response.status_code == 200, response.text
        assert response.json()["limit"] == limit
        assert len(response.json()["items"]) <= limit


@pytest.mark.parametrize(("path", "param", "values"), ENUM_PARAMS,
                         ids=[f"{p}?{n}" for p, n, _ in ENUM_PARAMS])  # fmt: skip
async def test_bad_enum_value_lists_the_allowed_values(
    client: httpx.AsyncClient, path: str, param: str, values: list[str]
) -> None:
    response = await client.get(path, params={param: "navy"})
    body = check_problem(response, 422)
    assert param in body["detail"]
    assert allowed_for(body, param) == values


async def test_role_navy_names_naval_among_the_allowed(client: httpx.AsyncClient) -> None:
    body = check_problem(await client.get("/nations", params={"role": "navy"}), 422)
    assert "naval" in allowed_for(body, "role")
    assert body["instance"].startswith("/nations")


async def test_bad_format_lists_the_allowed_values(client: httpx.AsyncClient) -> None:
    body = check_problem(await client.get("/nations", params={"format": "xml"}), 422)
    assert "format" in body["detail"]
    assert sorted(allowed_for(body, "format")) == ["csv", "json", "ndjson"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/nations", {"nato": "perhaps"}),
        ("/nations", {"q": ""}),
        ("/nations", {"region": "Atlantis"}),
        ("/commitments", {"nation": "Atlantis"}),
        ("/commitments", {"nation": "QQ"}),
        ("/commitments", {"source": "article-z"}),
        ("/statements", {"speaker": ""}),
    ],
)
async def test_bad_filter_values(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    body = check_problem(await client.get(path, params=params), 422)
    (name,) = params
    assert name in body["detail"]


@pytest.mark.parametrize("path", PAGED)
async def test_unacceptable_media_type_is_406(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Accept": "application/xml"})
    body = check_problem(response, 406)
    assert "text/csv" in body["detail"]


# --- cursors ---------------------------------------------------------------------------------


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


async def genuine_cursor(client: httpx.AsyncClient, path: str, **params: Any) -> str:
    response = await client.get(path, params={"limit": 1, **params})
    assert response.status_code == 200
    cursor = response.json()["next_cursor"]
    assert cursor, f"{path} has more than one row"
    return str(cursor)


@pytest.mark.parametrize("path", PAGED)
async def test_cursor_and_offset_together_are_refused(client: httpx.AsyncClient, path: str) -> None:
    cursor = await genuine_cursor(client, path)
    body = check_problem(await client.get(path, params={"cursor": cursor, "offset": 1}), 422)
    assert "offset" in body["detail"] and "cursor" in body["detail"]


def tampered(cursor: str) -> dict[str, str]:
    sort, values = _decode(cursor)
    return {
        "garbage": "!!not-a-cursor!!",
        "truncated": cursor[: len(cursor) // 2],
        "not json": base64.urlsafe_b64encode(b"\x00\xffhello").decode(),
        "wrong shape": _b64({"sort": sort}),
        "wrong width": _b64([sort, [*values, "extra"]]),
        "nested value": _b64([sort, [[v] for v in values]]),
        "null value": _b64([sort, [None for _ in values]]),
        # Right sort and width, but values of another type than the key columns hold.
        "wrong value types": _b64(
            [
                sort,
                [
                    ("x" if isinstance(v, int) else [7, True, 1.5][i % 3])
                    for i, v in enumerate(values)
                ],
            ]
        ),
        "too long": cursor + "A" * 1000,
    }


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize(
    "how",
    ["garbage", "truncated", "not json", "wrong shape", "wrong width", "nested value",
     "null value", "wrong value types", "too long"],
)  # fmt: skip
async def test_tampered_cursor_is_refused(client: httpx.AsyncClient, path: str, how: str) -> None:
    cursor = tampered(await genuine_cursor(client, path))[how]
    body = check_problem(await client.get(path, params={"cursor": cursor}), 422)
    assert "cursor" in body["detail"]


@pytest.mark.parametrize("path", SORTED)
async def test_cursor_from_another_sort_is_refused(client: httpx.AsyncClient, path: str) -> None:
    document = (await client.get("/openapi.json")).json()
    sort_param = next(
        p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "sort"
    )
    sorts = _enum_values(sort_param["schema"], document["components"]["schemas"]) or []
    assert len(sorts) >= 2
    for issued in sorts:
        cursor = await genuine_cursor(client, path, sort=issued)
        for other in sorts:
            response = await client.get(path, params={"cursor": cursor, "sort": other})
            if other == issued:
                assert response.status_code == 200
                continue
            body = check_problem(response, 422)
            assert "sort" in body["detail"]


# --- paths and methods -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/nations/IT/extra", "/v2/nations", "/nation"])
async def test_unknown_path_is_404_problem(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, follow_redirects=True)
    body = check_problem(response, 404)
    assert body["type"] == "/problems/not-found"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/nations"), ("DELETE", "/nations/IT"), ("PUT", "/commitments/x"),
     ("PATCH", "/summary")],
)  # fmt: skip
async def test_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"code": "XX"})
    body = check_problem(response, 405)
    assert body["type"] == "/problems/method-not-allowed"
    assert "GET" in [m.strip() for m in response.headers["allow"].split(",")]
    assert method not in response.headers["allow"]


@pytest.mark.parametrize(
    "path",
    ["/nations/ZZ", "/commitments/nope", "/conditions/nope", "/statements/nope", "/events/nope",
     "/sources/nope"],
)  # fmt: skip
async def test_unknown_ids_are_404_problems(client: httpx.AsyncClient, path: str) -> None:
    body = check_problem(await client.get(path), 404)
    assert body["type"] == "/problems/not-found"
    assert body["instance"] == path


async def test_detail_endpoints_refuse_unknown_parameters_too(client: httpx.AsyncClient) -> None:
    body = check_problem(await client.get("/nations/IT", params={"format": "csv"}), 422)
    assert "format" in body["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/nations", {"q": "a\x00"}),
        ("/statements", {"speaker": "a\x00"}),
        ("/statements", {"event": "a\x00"}),
        ("/commitments", {"source": "a\x00"}),
        ("/conditions", {"gates": "a\x00"}),
        ("/conditions", {"source": "a\x00"}),
    ],
)
async def test_nul_character_in_a_filter_is_not_a_server_error(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    # Text filters reach the database; a NUL character must not break the request on any
    # backend (PostgreSQL text cannot hold one).
    response = await client.get(path, params=params)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        check_problem(response, 422)
    else:
        assert response.json()["items"] == []


@pytest.mark.parametrize(
    "path", ["/commitments/a%00", "/conditions/a%00", "/statements/a%00", "/events/a%00",
             "/sources/a%00"],
)  # fmt: skip
async def test_nul_character_in_an_id_is_not_a_server_error(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code in (404, 422), response.text
    check_problem(response, response.status_code)
