"""Reading an answer straight from the ASGI app, its body counted and dropped as it comes: what
a client with no memory of its own would see, so that a test measures the server's memory."""

import tracemalloc
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import Message


@dataclass
class Drained:
    status: int
    headers: dict[str, str]
    size: int
    lines: int
    complete: bool  # the last body message said no more body follows
    peak: int  # bytes: tracemalloc's peak while the answer was made


def get_scope(path: str, query: str = "", host: str = "testserver") -> dict[str, Any]:
    """The ASGI scope of a plain GET of ``path``?``query``, as a server hands it to the app."""
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 5000), "server": (host, 80),
    }  # fmt: skip


async def drain(app: FastAPI, path: str, query: str = "") -> Drained:
    """GET ``path`` from ``app`` (a whole-list stream, say), keeping only counts of its body,
    and the peak of the memory Python allocated meanwhile."""
    scope = get_scope(path, query)
    answered = anyio.Event()
    result = Drained(0, {}, 0, 0, False, 0)
    sent_request = False

    async def receive() -> Message:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            result.status = int(message["status"])
            result.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            assert isinstance(body, bytes)
            result.size += len(body)
            result.lines += body.count(b"\n")
            if not message.get("more_body", False):
                result.complete = True
                answered.set()

    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        await app(scope, receive, send)
        result.peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        answered.set()
    return result
