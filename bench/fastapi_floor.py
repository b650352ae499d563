"""FastAPI's own floor in the speed benchmark: a FastAPI app with one empty route that answers
each path with the bytes pledgedb gave (the same file as bench/bare_asgi.py), as a plain `def`
route (run in the thread pool, as pledgedb's routes are) or an `async def` one.

    BENCH_BARE_RESPONSES=responses.json uvicorn --factory bench.fastapi_floor:sync_app
    BENCH_BARE_RESPONSES=responses.json uvicorn --factory bench.fastapi_floor:async_app

No database, no parameters, no validation: what any FastAPI route costs on this server and
machine before it does any work. bench/speed.py reports it beside Datasette, so the issue's
premise ("a plain sync FastAPI + ORM route reaches about 1x Datasette here") is measured in
the same run as the targets.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bench.bare_asgi import NOT_FOUND, RESPONSES_ENV, Canned, load_responses


def _answer(responses: dict[str, Canned], request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    status, headers, body = responses.get(target, NOT_FOUND)
    response = Response(body, status_code=status)
    for name, value in headers:
        response.headers.append(name.decode(), value.decode())
    return response


def sync_app() -> FastAPI:
    responses = load_responses(Path(os.environ[RESPONSES_ENV]))
    app = FastAPI(openapi_url=None)

    @app.get("/{path:path}")
    def answer(request: Request) -> Response:
        return _answer(responses, request)

    return app


def async_app() -> FastAPI:
    responses = load_responses(Path(os.environ[RESPONSES_ENV]))
    app = FastAPI(openapi_url=None)

    @app.get("/{path:path}")
    async def answer(request: Request) -> Response:
        return _answer(responses, request)

    return app
