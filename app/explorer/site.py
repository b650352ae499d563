"""The explorer's place in the application: its pages, its static files, and a not-found page
of its own under /explore."""

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path
from fastapi.staticfiles import StaticFiles

from app.errors import NotFound
from app.explorer import changes, disputes, nations, proposals, sources, summary
from app.explorer.pages import PageRoute

STATIC = FilePath(__file__).parent / "static"

fallback = APIRouter(route_class=PageRoute, include_in_schema=False)


@fallback.get("/explore/{rest:path}")
async def no_such_page(rest: Annotated[str, Path()]) -> None:
    """Any other address under /explore: a not-found page, not the API's JSON."""
    raise NotFound(f"No explorer page at /explore/{rest}.")


def install_explorer(app: FastAPI) -> None:
    """Serve the explorer from ``app``: `GET /` and the pages under /explore."""
    # The static files first: the fallback route would otherwise answer for them.
    app.mount("/explore/static", StaticFiles(directory=STATIC), name="explorer-static")
    for module in (nations, disputes, proposals, sources, summary, changes):
        app.include_router(module.router)
    app.include_router(fallback)
