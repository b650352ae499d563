"""One error family, rendered everywhere as RFC 9457 ``application/problem+json``."""

import logging
import re
import sqlite3
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.formats import explain

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("pledgedb")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "/problems/invalid-parameter",
                "title": "Invalid request parameter",
                "status": 422,
                "detail": "query.role: Input should be 'troops', 'air', 'naval', ...",
                "instance": "/nations?role=navy",
                "errors": [
                    {
                        "location": "query.role",
                        "message": "Input should be 'troops', 'air', 'naval', ...",
                        "allowed": ["troops", "air", "naval"],
                    }
                ],
            }
        },
    )

    type: str = Field(description="URI reference naming the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong with this request.")
    instance: str | None = Field(default=None, description="The request path and query.")


class AppError(Exception):
    status = 500
    title = "Internal error"
    type = "/problems/internal"

    def __init__(self, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(AppError):
    status = 404
    title = "Not found"
    type = "/problems/not-found"


class InvalidParameter(AppError):
    status = 422
    title = "Invalid request parameter"
    type = "/problems/invalid-parameter"


class NotAcceptable(AppError):
    status = 406
    title = "Not acceptable"
    type = "/problems/not-acceptable"


class Conflict(AppError):
    status = 409
    title = "Conflict"
    type = "/problems/conflict"


class PreconditionFailed(AppError):
    status = 412
    title = "Precondition failed"
    type = "/problems/precondition-failed"


class PreconditionRequired(AppError):
    status = 428
    title = "Precondition required"
    type = "/problems/precondition-required"


class PayloadTooLarge(AppError):
    status = 413
    title = "Payload too large"
    type = "/problems/payload-too-large"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"
    type = "/problems/too-many-requests"


class Unavailable(AppError):
    status = 503
    title = "Service unavailable"
    type = "/problems/unavailable"


class QueryTimeout(AppError):
    status = 503
    title = "Query time limit exceeded"
    type = "/problems/timeout"


# Seconds a client is asked to wait when the database is unreachable.
UNAVAILABLE_RETRY_AFTER = 5
# SQLite result codes that say the database file cannot be used (busy, locked, unreadable,
# gone, not a database, corrupt, full): whatever exception class the driver raises them as.
SQLITE_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOTADB,
    }
)
# SQLite result codes that say the file under a connection went bad or away (not a database,
# corrupt, I/O error, cannot be opened): app.store.engine treats them as a dropped connection.
SQLITE_FILE_LOST = frozenset(
    {sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN}
)
# PostgreSQL's SQLSTATE for a statement cancelled (statement_timeout, or an operator's cancel).
QUERY_CANCELED = "57014"


def sqlite_result_code(error: BaseException | None) -> int | None:
    """SQLite's primary result code of a driver error (the extended codes add detail in the
    higher bits), or None for an error that is not SQLite's."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def database_problem(exc: Exception) -> AppError | None:
    """The answer to a database error, or None when it is a bug (500). The one place where
    driver errors become problems: a query cut off by the time limit (SQLite's progress handler
    interrupts it, PostgreSQL cancels it) is a timeout; a database that cannot be reached, is
    locked for too long, dropped the connection or has no free connection is unavailable."""
    if isinstance(exc, sa_exc.TimeoutError):  # no free connection in the pool in time
        return Unavailable(
            "The database is busy; retry shortly.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    orig = exc.orig
    sqlite_code = sqlite_result_code(orig)
    if sqlite_code == sqlite3.SQLITE_INTERRUPT or getattr(orig, "sqlstate", None) == QUERY_CANCELED:
        return QueryTimeout(
            "The request's database work ran over its time limit and was stopped. Narrow the "
            "query (filters, a smaller limit) and retry."
        )
    if sqlite_code == sqlite3.SQLITE_ERROR:
        return None  # SQLite's OperationalError for bad SQL (no such table, syntax): a bug
    if (
        isinstance(exc, sa_exc.OperationalError)
        or exc.connection_invalidated
        or sqlite_code in SQLITE_UNAVAILABLE
    ):
        return Unavailable(
            "The database is unavailable; retry shortly.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    return None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Not found", "content": {PROBLEM_JSON: {}}},
    422: {
        "model": Problem,
        "description": "Invalid or unknown parameter",
        "content": {PROBLEM_JSON: {}},
    },
}


def problem_response(
    request: Request,
    status: int,
    title: str,
    type_: str,
    detail: str | None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    }
    body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return problem_response(
        request, exc.status, exc.title, exc.type, exc.detail, headers=exc.headers, **exc.extra
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = []
    for err in exc.errors():
        item: dict[str, Any] = {"location": _location(err["loc"]), "message": err["msg"]}
        expected = (err.get("ctx") or {}).get("expected")
        if err["type"] in {"enum", "literal_error"} and isinstance(expected, str):
            item["allowed"] = [
                v.strip().strip("'") for v in expected.replace(" or ", ", ").split(",")
            ]
        elif err["type"] == "string_pattern_mismatch":  # words for people, never the regex
            given = str(err.get("input"))
            given = given if len(given) <= 40 else given[:40] + "…"
            item["message"] = f"use {explain(err['ctx']['pattern'])} (not {given!r})"
        errors.append(item)
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
    return problem_response(
        request, 422, InvalidParameter.title, InvalidParameter.type, detail, errors=errors
    )


HTTP_PROBLEMS = {
    400: ("Bad request", "malformed-body"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
}


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method the app answers on ``path``: from its OpenAPI paths (one path can be served
    by several routes: GET and PATCH of a commitment are two) and the routes outside the API
    (the docs pages, their assets), with HEAD wherever GET is (`app.api.methods`)."""
    patterns = getattr(app.state, "method_patterns", None)
    if patterns is None:
        patterns = [
            (
                re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", p) + "$"),
                {m.upper() for m in ops},
            )
            for p, ops in app.openapi()["paths"].items()
        ]
        for route in app.router.routes:
            if isinstance(route, Route) and route.methods and not route.include_in_schema:
                patterns.append((route.path_regex, set(route.methods)))
            elif isinstance(route, Mount) and isinstance(route.app, StaticFiles):
                patterns.append((route.path_regex, {"GET"}))
        app.state.method_patterns = patterns
    methods = {m for rx, ms in patterns if rx.match(path) for m in ms}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    title, slug = HTTP_PROBLEMS.get(exc.status_code, ("HTTP error", "http-error"))
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    return problem_response(
        request,
        exc.status_code,
        title,
        f"/problems/{slug}",
        str(exc.detail),
        headers=headers or None,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Logged with its traceback for operators; the client gets no internals.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request, 500, AppError.title, AppError.type, "An unexpected error occurred."
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    problem = database_problem(exc)
    if problem is None:
        return await _unexpected(request, exc)
    # The driver's message, not the statement: parameters are hidden by the engine anyway.
    orig = getattr(exc, "orig", None) or exc
    logger.warning(
        "%s on %s %s: %s: %s",
        problem.type,
        request.method,
        request.url.path,
        type(orig).__name__,
        str(orig).splitlines()[0] if str(orig) else "",
    )
    return await _app_error(request, problem)


# Problems any operation can answer (bad or unknown parameters, an over-long URL, a crash):
# added to every operation of the OpenAPI document, so clients and fuzzers know them all.
COMMON_PROBLEMS = {
    "414": "URL or query string too long",
    "422": "Invalid or unknown parameter",
    "500": "Unexpected error (never for bad input)",
    "503": "Database unavailable (with Retry-After) or query time limit exceeded",
}


def document_common_problems(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for code, description in COMMON_PROBLEMS.items():
                    # Replaces FastAPI's own 422 entry, which promises a JSON body of another
                    # shape than the problem document this API sends.
                    if code == "422" or code not in responses:
                        responses[code] = {
                            "description": description,
                            "content": {PROBLEM_JSON: ref},
                        }
        # FastAPI's own validation-error schemas describe a body this API never sends.
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(sa_exc.TimeoutError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
