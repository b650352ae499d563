"""The ASGI application: ``app.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI

from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.errors import document_common_problems, install_error_handlers
from app.facts import read_reference
from app.headers import install_headers
from app.history import History
from app.limits import install_limits
from app.listing import reject_unknown_query_params
from app.migrations import head_revision
from app.response_cache import ResponseCache
from app.routers import (
    changes,
    commitments,
    conditions,
    disputes,
    events,
    health,
    memberships,
    nations,
    quotes,
    roles,
    sources,
    summary,
)

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
RFC 8288 `Link`); add `format=csv` or send `Accept: text/csv` for CSV. Errors are RFC 9457
`application/problem+json`; unknown query parameters are refused, never ignored.
"""

TAGS = [
    {"name": "nations", "description": "Nations in the story and their roles."},
    {"name": "memberships", "description": "Each nation's place in the story."},
    {"name": "commitments", "description": "Who does what, with status and evidence."},
    {"name": "conditions", "description": "What must happen first, and what it gates."},
    {"name": "quotes", "description": "People's statements."},
    {"name": "events", "description": "The summit and the call."},
    {
        "name": "disputes",
        "description": "Where the sources disagree, with both claims and their evidence.",
    },
    {"name": "sources", "description": "The articles and the outlets they cite."},
    {"name": "changes", "description": "The audit log: every change, who, when and why."},
    {"name": "vocabulary", "description": "Roles, statuses and certainty levels."},
    {"name": "summary", "description": "Counts for dashboards."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The thread pool belongs to the event loop the server runs: size it there.
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.request_threads
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=lifespan,
        title="pledgedb",
        version="0.1.0",
        summary="Security guarantees pledged to Ukraine, Paris, 4 September 2025 — with evidence.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        dependencies=[Depends(reject_unknown_query_params)],
        license_info={"name": "MIT (code); quotes remain their publishers'"},
    )
    app.state.statement_timeout_ms = settings.statement_timeout_ms
    app.state.request_threads = settings.request_threads
    app.state.engine = make_engine(
        settings.database_url,
        settings.sqlite_write_wait_ms,
        request_timeout_ms=settings.statement_timeout_ms,
    )
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.schema_head = head_revision(settings.database_url)
    app.state.history = History()
    # World knowledge that writes need (ISO data comes from pycountry): loaded once.
    app.state.reference = read_reference(settings.data_dir)
    install_error_handlers(app)
    install_limits(app, settings)
    install_headers(app, settings)  # outside the rest, so it dresses every answer
    if settings.response_cache_entries:
        # Outermost: a hit skips everything else (and keeps the headers it was first sent with).
        app.add_middleware(
            ResponseCache,
            engine=app.state.engine,
            max_entries=settings.response_cache_entries,
            max_bytes=settings.response_cache_bytes,
        )
    routers = (
        nations, memberships, commitments, conditions, quotes, events, disputes, sources, roles,
        changes, summary, health,
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router)
    document_common_problems(app)
    return app


app = create_app()
