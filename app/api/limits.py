"""Abuse limits: the size of a request (URL and body) and the rate of writes.

Sizes are checked by an ASGI middleware, before any route runs. The write rate is a token
bucket per API key and per client address, spent by the auth dependency (`app.api.auth`) so that a
request with a wrong key still costs its address a token: guessing keys is throttled too.

The buckets live in this process's memory (``app.state.write_limiter``). Each server process
counts on its own, so with ``serve --workers N`` a client may make up to N times the rate; put
a shared limiter in front (the reverse proxy) if that matters. The client address is the one
uvicorn reports: behind a proxy it is the proxy's unless uvicorn trusts its X-Forwarded-For
(``serve`` enables proxy headers; FORWARDED_ALLOW_IPS says from which proxies)."""

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.errors import PROBLEM_JSON, AppError, PayloadTooLarge, Problem, problem_response

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WINDOW = 60.0  # seconds in which an empty bucket fills up again


class URITooLong(AppError):
    status = 414
    title = "URI too long"
    type = "/problems/uri-too-long"


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` once a streamed body passes the limit."""


class RequestSizeLimit:
    """Refuse a URL over ``max_url_bytes`` (414) or a body over ``max_body_bytes`` (413).

    A declared Content-Length over the limit is refused before the body is read. A body sent
    without one (chunked) is counted as the app reads it, and reading stops at the first chunk
    past the limit, so no more than the limit plus one chunk is ever held."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_url_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("raw_path") or scope["path"].encode()
        if len(path) + len(scope.get("query_string", b"")) > self.max_url_bytes:
            error: AppError = URITooLong(f"The URL is over {self.max_url_bytes} bytes.")
            await self._refuse(error, scope, receive, send)
            return
        too_large = PayloadTooLarge(f"The request body is over {self.max_body_bytes} bytes.")
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(too_large, scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Whatever the app makes of the aborted read (FastAPI answers 400) is dropped: the
            # client gets the 413 below instead.
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # The app may re-raise our signal as is, wrapped, or in an exception group.
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._refuse(too_large, scope, receive, send)

    @staticmethod
    async def _refuse(error: AppError, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response
        if isinstance(error, URITooLong):
            # No `instance`: the URL is the problem, and echoing it would send the client its
            # own oversized request back (and carry it into whatever logs the answer).
            problem = Problem(
                type=error.type, title=error.title, status=error.status, detail=error.detail
            )
            response = Response(
                problem.model_dump_json(exclude_none=True),
                status_code=error.status,
                media_type=PROBLEM_JSON,
            )
        else:
            request = Request(scope, receive)
            response = problem_response(
                request, error.status, error.title, error.type, error.detail
            )
        await response(scope, receive, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: each name may spend ``per_minute`` tokens at once, refilled evenly over a
    minute. Thread-safe (sync dependencies run in a thread pool); ``clock`` is injectable so
    tests can move time."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError(f"write rate must be at least 1 a minute, not {per_minute}")
        self.capacity = float(per_minute)
        self.per_second = per_minute / WINDOW
        self.clock = clock
        self._lock = threading.Lock()
        # Least recently used first. A bucket untouched for a minute is full again, which is
        # the same as having none, so it is dropped: memory stays bounded by recent callers.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, name: str) -> int:
        """Spend a token of bucket ``name``: 0 if there was one, else whole seconds to wait."""
        with self._lock:
            now = self.clock()
            while self._buckets:
                oldest = next(iter(self._buckets.values()))
                if now - oldest.updated < WINDOW:
                    break
                self._buckets.popitem(last=False)
            bucket = self._buckets.pop(name, None) or _Bucket(self.capacity, now)
            bucket.tokens = min(
                self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second
            )
            bucket.updated = now
            self._buckets[name] = bucket
            # The tolerance absorbs float error: waiting exactly the advertised time must work.
            if bucket.tokens >= 1.0 - 1e-9:
                bucket.tokens = max(0.0, bucket.tokens - 1.0)
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / self.per_second))


def install_limits(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the size limits to ``app`` and give it a fresh write limiter."""
    settings = settings or get_settings()
    app.state.write_limiter = RateLimiter(settings.write_rate_per_minute)
    app.add_middleware(
        RequestSizeLimit,
        max_body_bytes=settings.max_body_bytes,
        max_url_bytes=settings.max_url_bytes,
    )
