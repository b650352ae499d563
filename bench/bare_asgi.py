"""The ceiling of the speed benchmark: an ASGI app with no framework, no database and no work,
answering each path with the exact status, headers and bytes pledgedb gave for it.

    BENCH_BARE_RESPONSES=responses.json uvicorn --factory bench.bare_asgi:from_environment

The JSON file maps "path?query" (as the client sends it) to {"status", "headers": [[name,
value], ...], "body"} (the body as text); bench/speed.py writes it from a running pledgedb. Any
other path answers 404. Whatever pledgedb spends beyond this app's time on the same server and
machine is its own cost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

RESPONSES_ENV = "BENCH_BARE_RESPONSES"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# status, headers as ASGI wants them, body
Canned = tuple[int, list[tuple[bytes, bytes]], bytes]
NOT_FOUND: Canned = (404, [(b"content-type", b"text/plain")], b"not one of the benchmark's paths")


def load_responses(path: Path) -> dict[str, Canned]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {
        target: (
            int(answer["status"]),
            [(name.lower().encode(), value.encode()) for name, value in answer["headers"]],
            answer["body"].encode(),
        )
        for target, answer in raw.items()
    }


def make_app(responses: dict[str, Canned]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        target = scope["path"]
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        status, headers, body = responses.get(target, NOT_FOUND)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def from_environment() -> ASGIApp:
    """The uvicorn factory: the responses come from the file named by BENCH_BARE_RESPONSES."""
    return make_app(load_responses(Path(os.environ[RESPONSES_ENV])))
