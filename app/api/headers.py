"""Response headers every answer carries: security headers, a caching policy, and CORS.

- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options:
  DENY`` and a Content-Security-Policy that lets a JSON answer load nothing. The interactive
  docs (/docs, /redoc, `app.api.docs`) load their scripts, styles and images from this server
  only, so their policy allows exactly that (see ``DOCS_CSP``). Any other HTML answer (the
  explorer's pages) may load its stylesheet and script from this server, and nothing else.
- ``Cache-Control``: public GETs (no Authorization header, 200 or 304) may be cached for
  ``cache_max_age`` seconds and then revalidated with their ETag (``Vary: Accept,
  Accept-Encoding``, since lists answer CSV for ``Accept: text/csv`` and bodies are
  compressed for clients that ask); authenticated requests and writes are ``private,
  no-store``; errors and the health probes are ``no-store``.
- CORS (Starlette's middleware) only when ``cors_origins`` is set, for exactly those origins;
  a refused preflight is a problem document like every other refusal.
"""

import orjson
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.docs import DOCS_PAGES
from app.config import Settings
from app.errors import PROBLEM_JSON

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs pages: scripts, styles, images and the OpenAPI document from this server alone,
# and no inline script (the initialisers are files, app/static/docs). Two allowances the
# bundles need (checked in Chromium): both write styles into the page at run time (style
# attributes; ReDoc's styled-components), hence 'unsafe-inline' for styles, never for scripts;
# and ReDoc runs its search in a worker made from a blob: URL. Their icons are data: URLs.
# ReDoc's footer names a logo on a CDN: this policy blocks it (and the image hides itself).
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The explorer's pages: their own stylesheet and script, forms to themselves, nothing else.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PRIVATE = "private, no-store"
NO_STORE = "no-store"
CACHEABLE_STATUS = frozenset({200, 304})
SAFE_METHODS = frozenset({"GET", "HEAD"})
NOT_CACHED_PATHS = frozenset({"/healthz", "/readyz"})
# What a public answer's representation depends on, besides the URL.
VARY = ("Accept", "Accept-Encoding")

CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"]
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Location", "Retry-After", "X-Total-Count"]


def add_vary(headers: MutableHeaders, *names: str) -> None:
    """Add ``names`` to Vary, each once and always in the same order, whether or not the
    compression middleware named Accept-Encoding already (a cached 304 repeats the 200's)."""
    wanted = {n.lower() for n in names}
    present = [v.strip() for value in headers.getlist("vary") for v in value.split(",")]
    others = [v for v in present if v and v.lower() not in wanted]
    headers["Vary"] = ", ".join([*others, *names])


class SecurityHeaders:
    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.public = f"public, max-age={max_age}"

    def cache_control(self, scope: Scope, status: int) -> str:
        if scope["method"] not in SAFE_METHODS or "authorization" in Headers(scope=scope):
            return PRIVATE
        if status not in CACHEABLE_STATUS or scope["path"] in NOT_CACHED_PATHS:
            return NO_STORE
        return self.public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if scope["path"] in DOCS_PAGES:
                    headers["Content-Security-Policy"] = DOCS_CSP
                elif headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = PAGE_CSP
                else:
                    headers["Content-Security-Policy"] = JSON_CSP
                policy = self.cache_control(scope, message["status"])
                # A route's own policy stands, except that nothing private is ever public.
                if policy == PRIVATE or "cache-control" not in headers:
                    headers["Cache-Control"] = policy
                if policy == self.public:
                    add_vary(headers, *VARY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as a problem document (Starlette
    answers it in plain text) and the same status, 400."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        body = {
            "type": "/problems/cors-refused",
            "title": "Cross-origin request refused",
            "status": response.status_code,
            "detail": f"This server does not allow the preflight's {refused} (CORS).",
        }
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return Response(
            orjson.dumps(body),
            status_code=response.status_code,
            media_type=PROBLEM_JSON,
            headers=headers,
        )


def install_cors(app: FastAPI, settings: Settings) -> None:
    """CORS for the configured origins; nothing when there are none."""
    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            allow_credentials=False,  # keys travel in Authorization, never in cookies
            max_age=600,
        )


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    """The security and caching headers: add it outside CORS and the size limits, so that
    every answer gets them (413, 414 and CORS preflights included)."""
    app.add_middleware(SecurityHeaders, max_age=settings.cache_max_age)
