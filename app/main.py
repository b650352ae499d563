"""The ASGI application: ``app.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI

from app import __version__
from app.api.collector import COLLECTOR
from app.api.compression import install_compression
from app.api.docs import install_docs
from app.api.headers import install_cors, install_security_headers
from app.api.limits import install_limits
from app.api.listing import document_no_nul, reject_unknown_query_params
from app.api.logs import AccessLog
from app.api.methods import HeadAsGet, OptionsAnswer
from app.api.pages import document_page_bounds
from app.api.response_cache import ResponseCache
from app.api.routers import (
    changes,
    commitments,
    conditions,
    datapackage,
    disputes,
    events,
    health,
    memberships,
    nations,
    problems,
    proposals,
    roles,
    sources,
    statements,
    summary,
)
from app.config import Settings, get_settings
from app.curation.history import History
from app.errors import document_common_problems, install_error_handlers
from app.explorer.site import install_explorer
from app.facts.reference import read_reference
from app.store.engine import make_engine
from app.store.migrations import head_revision
from app.store.revisions import make_sessionmaker

DESCRIPTION = """
A structured database of the post-war security guarantees that 26 nations pledged to Ukraine at
the Paris summit of 4 September 2025 (the "Coalition of the Willing").

**Every fact carries its evidence**: a verbatim quote from one of two source articles, its
character offsets, the outlet the article attributes it to, and a certainty level —
`stated` (the article's own voice), `reported` (attributed to another outlet), or `hedged`
(the wording is uncertain: "reportedly", "potentially", "may", "anticipated").

Tasks the sources give to the coalition's force as a whole (naval patrols, air policing) are
never attributed to a named nation: `GET /nations?role=naval` lists no nation and shows the
coalition-level commitment; add `include_coalition=true` to list the members who inherit it.

Lists return `items`, `total` and pagination (`limit`, `offset` or keyset `cursor`, `next`,
RFC 8288 `Link`); add `format=csv` or send `Accept: text/csv` for CSV in plain columns.
`format=ndjson` (or `Accept: application/x-ndjson`) streams the whole filtered list, one item a
line, with no page cap; `all=true` does the same as CSV or JSON; `download=1` saves a file.
`/datapackage.json` is the whole database as a Frictionless Data Package;
`/changes/stream` is the audit log as a live feed (Server-Sent Events). Errors are RFC 9457
`application/problem+json`; unknown query parameters are refused, never ignored.
`/quotes`, the first name of `/statements`, still answers: 308 to the same path there.
"""

TAGS = [
    {"name": "nations", "description": "Nations in the story and their roles."},
    {"name": "memberships", "description": "Each nation's place in the story."},
    {"name": "commitments", "description": "Who does what, with status and evidence."},
    {"name": "conditions", "description": "What must happen first, and what it gates."},
    {"name": "statements", "description": "People's statements, quoted or reported."},
    {"name": "events", "description": "The summit and the call."},
    {
        "name": "disputes",
        "description": "Where the sources disagree, with both claims and their evidence.",
    },
    {"name": "sources", "description": "The articles and the outlets they cite."},
    {"name": "changes", "description": "The audit log: every change, who, when and why."},
    {
        "name": "proposals",
        "description": "Candidate facts drawn from a source by the proposal engine, to accept "
        "or reject.",
    },
    {"name": "vocabulary", "description": "Roles, statuses and certainty levels."},
    {"name": "summary", "description": "Counts for dashboards."},
    {
        "name": "downloads",
        "description": "The whole database as a Frictionless Data Package (one CSV per table).",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "problems", "description": "What each error answer's `type` means."},
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The thread pool belongs to the event loop the server runs: size it there.
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.request_threads
    # What lives long, start-up's and what is kept per data revision, out of the garbage
    # collector's sight (app.api.collector).
    COLLECTOR.start()
    try:
        yield
    finally:
        COLLECTOR.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=lifespan,
        title="pledgedb",
        version=__version__,
        summary="Security guarantees pledged to Ukraine, Paris, 4 September 2025 — with evidence.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        dependencies=[Depends(reject_unknown_query_params)],
        license_info={"name": "MIT (code); quotes remain their publishers'"},
        # app.api.docs serves both pages from this server, not from a CDN; no OAuth2 flow here.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.statement_timeout_ms = settings.statement_timeout_ms
    app.state.request_threads = settings.request_threads
    app.state.sse_ping_seconds = settings.sse_ping_seconds
    app.state.engine = make_engine(
        settings.database_url,
        settings.sqlite_write_wait_ms,
        request_timeout_ms=settings.statement_timeout_ms,
    )
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.schema_head = head_revision(settings.database_url)
    app.state.history = History()
    app.state.route_paths = {}  # app.api.listing.route_url
    # World knowledge that writes need (ISO data comes from pycountry): loaded once.
    app.state.reference = read_reference(settings.data_dir)
    app.state.data_dir = settings.data_dir  # the proposal engine reads its reference lazily
    install_error_handlers(app)
    # Middleware, innermost first (each add_middleware wraps what is there).
    install_limits(app, settings)
    app.add_middleware(OptionsAnswer)  # the OPTIONS that CORS leaves (all, when it is off)
    install_cors(app, settings)
    install_compression(app)
    install_security_headers(app, settings)  # outside the rest, so it dresses every answer
    if settings.response_cache_entries:
        # A hit skips everything inside (and keeps the headers it was first sent with); it
        # keeps each encoding's bytes, so a hit is not compressed again.
        app.add_middleware(
            ResponseCache,
            engine=app.state.engine,
            max_entries=settings.response_cache_entries,
            max_bytes=settings.response_cache_bytes,
        )
    app.add_middleware(HeadAsGet)  # outside the cache: HEAD is answered from it too
    app.add_middleware(AccessLog)  # outermost: every request, its real method, its duration
    routers = (
        nations, memberships, commitments, conditions, statements, events, disputes, sources, roles,
        changes, summary, datapackage, proposals, problems, health,
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router)
    app.router.routes.append(statements.QUOTES_ALIAS)
    install_docs(app)
    install_explorer(app)  # after the API's routes: its /explore fallback comes last
    document_common_problems(app)
    document_page_bounds(app, settings)
    document_no_nul(app)
    return app


app = create_app()
