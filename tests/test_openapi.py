"""The OpenAPI document and the interactive docs: the contract's paths, documented operations
and parameters."""

from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from app.vocab import Role
from tests.curation import client_for

pytestmark = pytest.mark.anyio

CONTRACT_PATHS = [
    "/nations",
    "/nations/{code}",
    "/commitments",
    "/commitments/{commitment_id}",
    "/memberships",
    "/memberships/{membership_id}",
    "/disputes",
    "/disputes/{dispute_id}",
    "/conditions",
    "/sources",
    "/sources/{source_id}",
    "/statements",
    "/events",
    "/roles",
    "/summary",
    "/healthz",
    "/readyz",
]


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    return dict(document)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in methods
    ]


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return resolve(document["components"]["schemas"][name], document)
    return schema


def enum_of(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    schema = resolve(schema, document)
    if "enum" in schema:
        return list(schema["enum"])
    if schema.get("type") == "array":
        return enum_of(schema["items"], document)
    for option in schema.get("anyOf", []):
        if values := enum_of(option, document):
            return values
    return []


@pytest.mark.parametrize("path", CONTRACT_PATHS)
async def test_lists_every_path_of_the_contract(client: httpx.AsyncClient, path: str) -> None:
    document = await openapi(client)
    assert path in document["paths"]
    assert "get" in document["paths"][path]


async def test_every_write_declares_the_scope_it_needs(client: httpx.AsyncClient) -> None:
    writes = [(p, m, op) for p, m, op in operations(await openapi(client)) if m != "get"]
    assert writes, "the API has write operations (curation)"
    assert {m for _, m, _ in writes} <= {"post", "patch"}
    for path, method, op in writes:
        assert op.get("x-required-scope") in {"curator", "admin"}, (method, path)
        assert op.get("security"), (method, path)  # documented as needing a bearer key


async def test_every_operation_has_a_summary(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    missing = [f"{m.upper()} {p}" for p, m, op in operations(document) if not op.get("summary")]
    assert missing == []
    assert len(operations(document)) >= len(CONTRACT_PATHS)


async def test_every_query_parameter_has_a_description(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    missing = [
        f"{path} ?{param['name']}"
        for path, _, op in operations(document)
        for param in op.get("parameters", [])
        if param["in"] == "query" and not str(param.get("description", "")).strip()
    ]
    assert missing == []
    assert any(
        param["in"] == "query"
        for _, _, op in operations(document)
        for param in op.get("parameters", [])
    )


async def test_the_role_parameter_of_nations_lists_the_roles(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    params = document["paths"]["/nations"]["get"]["parameters"]
    role = next(p for p in params if p["name"] == "role" and p["in"] == "query")
    assert enum_of(role["schema"], document) == [r.value for r in Role]
    assert "coalition" in role["description"]


async def test_list_filters_of_the_contract_are_documented(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    expected = {
        "/nations": {"role", "status", "membership", "nato", "eu", "region", "q",
                     "include_coalition", "sort"},
        "/commitments": {"role", "status", "nation", "actor", "coalition_scope", "source", "sort"},
        "/conditions": {"kind", "nature", "nation", "gates", "source"},
        "/statements": {"speaker", "mode", "nation", "event", "source"},
    }  # fmt: skip
    paging = {"limit", "offset", "cursor", "format"}
    for path, filters in expected.items():
        params = document["paths"][path]["get"]["parameters"]
        names = {p["name"] for p in params if p["in"] == "query"}
        assert filters | paging <= names, path


async def test_errors_are_documented_as_problem_json(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    responses = document["paths"]["/nations"]["get"]["responses"]
    assert "application/problem+json" in responses["422"]["content"]
    detail = document["paths"]["/nations/{code}"]["get"]["responses"]
    assert "application/problem+json" in detail["404"]["content"]


async def test_docs_answer_html(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()
    assert "/openapi.json" in response.text


async def test_every_schema_field_is_described(client: httpx.AsyncClient) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    missing = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert missing == []


async def test_every_error_is_documented_as_a_problem(client: httpx.AsyncClient) -> None:
    for path, method, op in operations(await openapi(client)):
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                assert "application/problem+json" in response.get("content", {}), (
                    method,
                    path,
                    code,
                )


async def test_an_app_is_held_to_its_own_page_bounds_and_documents_them(database_url: str) -> None:
    """`create_app(settings)` is honoured whole: nothing reads the settings at import."""
    app = create_app(
        Settings(database_url=database_url, max_page_size=20, default_page_size=7, max_offset=40)
    )
    try:
        async with client_for(app) as client:
            limit = next(
                p
                for p in (await openapi(client))["paths"]["/commitments"]["get"]["parameters"]
                if p["name"] == "limit"
            )
            assert (limit["schema"]["maximum"], limit["schema"]["default"]) == (20, 7)
            assert (await client.get("/commitments")).json()["limit"] == 7
            assert (await client.get("/commitments", params={"limit": 20})).status_code == 200
            refused = await client.get("/commitments", params={"limit": 21})
            assert refused.status_code == 422 and "query.limit" in refused.json()["detail"]
            assert (await client.get("/commitments", params={"offset": 41})).status_code == 422
            whole = await client.get("/explore/sources")
            assert "limit=20" in whole.text  # the explorer's whole-list calls use this app's page
    finally:
        app.state.engine.dispose()
