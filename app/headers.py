"""Response headers every answer carries: security headers, a caching policy, and CORS.

- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options:
  DENY`` and a Content-Security-Policy that lets a JSON answer load nothing. The interactive
  docs (/docs, /redoc) load Swagger UI and ReDoc from a CDN with inline scripts and styles, so
  they get a policy that only forbids framing, plugins and ``<base>``.
- ``Cache-Control``: public GETs (no Authorization header, 200 or 304) may be cached for
  ``cache_max_age`` seconds and then revalidated with their ETag (``Vary: Accept``, since
  lists answer CSV for ``Accept: text/csv``); authenticated requests and writes are
  ``private, no-store``; errors and the health probes are ``no-store``.
- CORS (Starlette's middleware) only when ``cors_origins`` is set, for exactly those origins.
"""

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
PRIVATE = "private, no-store"
NO_STORE = "no-store"
CACHEABLE_STATUS = frozenset({200, 304})
SAFE_METHODS = frozenset({"GET", "HEAD"})
NOT_CACHED_PATHS = frozenset({"/healthz", "/readyz"})

CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"]
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Location", "Retry-After", "X-Total-Count"]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, max_age: int, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.public = f"public, max-age={max_age}"
        self.docs_paths = docs_paths

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
                docs = scope["path"] in self.docs_paths
                headers["Content-Security-Policy"] = DOCS_CSP if docs else JSON_CSP
                policy = self.cache_control(scope, message["status"])
                # A route's own policy stands, except that nothing private is ever public.
                if policy == PRIVATE or "cache-control" not in headers:
                    headers["Cache-Control"] = policy
                if policy == self.public:
                    headers.add_vary_header("Accept")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_headers(app: FastAPI, settings: Settings) -> None:
    """Add CORS (when configured) and, outside it, the security and caching headers, so that
    every answer gets them: the size limits' 413 and 414 and CORS preflights included."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            allow_credentials=False,  # keys travel in Authorization, never in cookies
            max_age=600,
        )
    docs = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(
        SecurityHeaders,
        max_age=settings.cache_max_age,
        docs_paths=frozenset(p for p in docs if p),
    )
