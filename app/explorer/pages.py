"""How an explorer page is answered: its templates, its links, and its errors as HTML.

Every page route uses `PageRoute`, which renders any failure — an unknown or bad parameter,
a problem the API answered, a crash — as an HTML page with the problem's title, detail and
status, built from the very problem document the API would have sent."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.api.representation import respond
from app.explorer.api import ApiProblem, QueryPairs, api_url
from app.schemas.disputes import DISPUTE_KIND_DEFINITIONS

HTML = "text/html; charset=utf-8"
ENVIRONMENT = Environment(
    loader=PackageLoader("app.explorer", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Words for the vocabulary's values, where the value itself does not read as English.
WORDS = {
    "open_to": "open to",
    "ruled_out": "ruled out",
    "non_member": "non-member",
    "third_country": "third country",
    "inferred_from_group": "inferred from a group",
    "air_defense": "air defence",
    "non_combat_support": "non-combat support",
    "non_combat": "non-combat",
    "inside_ukraine": "inside Ukraine",
    "outside_ukraine": "outside Ukraine",
    "some_members": "some members",
    "ground_conditions": "conditions on the ground",
    "rules_of_engagement": "rules of engagement",
    "parliamentary_approval": "parliamentary approval",
    "us_engagement": "US engagement",
    "russian_opposition": "Russian opposition",
    "limited_to": "limited to other roles",
    "role_set": "role set",
}


def words(value: Any) -> str:
    """A vocabulary value as words: ``open_to`` → ``open to``."""
    text = str(getattr(value, "value", value))
    return WORDS.get(text, text.replace("_", " "))


ENVIRONMENT.filters["words"] = words
ENVIRONMENT.globals["dispute_kinds"] = {k.value: t for k, t in DISPUTE_KIND_DEFINITIONS.items()}


AsOfParam = Annotated[
    str | None,
    Query(description="Read the data as it stood at this moment (passed to the API as is)."),
]


@dataclass(frozen=True)
class Here:
    """What every page's links keep: the moment it reads the data at (`as_of`)."""

    as_of: str | None = None

    @property
    def query(self) -> list[tuple[str, str]]:
        return [("as_of", self.as_of)] if self.as_of else []

    def href(self, path: str, query: QueryPairs = (), fragment: str | None = None) -> str:
        """A link to an explorer page at the same moment."""
        url = api_url(path, [*query, *self.query])
        return url + (f"#{fragment}" if fragment else "")


async def here(as_of: AsOfParam = None) -> Here:
    # A blank `as_of` (an empty form field) means now. (async: a plain function would cost a
    # hop to the thread pool.)
    return Here(as_of or None)


HereDep = Annotated[Here, Depends(here)]


@dataclass(frozen=True)
class ApiCall:
    """An API call a page shows, named on the page with links to its JSON (and CSV)."""

    label: str
    path: str
    query: QueryPairs = ()
    csv: bool = False

    @property
    def url(self) -> str:
        return api_url(self.path, self.query)

    @property
    def csv_url(self) -> str | None:
        return api_url(self.path, [*self.query, ("format", "csv")]) if self.csv else None


def render(
    request: Request, template: str, here: Here, calls: list[ApiCall], **context: Any
) -> Response:
    """The page, with an ETag (and a 304 when the client holds it already)."""
    html = ENVIRONMENT.get_template(template).render(
        here=here, calls=calls, path=request.url.path, **context
    )
    return respond(request, html.encode(), HTML)


def error_page(
    request: Request, status: int, problem: dict[str, Any], headers: dict[str, str]
) -> Response:
    html = ENVIRONMENT.get_template("error.html").render(
        here=Here(),
        calls=[],
        path=request.url.path,
        status=status,
        problem=problem,
    )
    return Response(html, status_code=status, media_type=HTML, headers=headers)


def _problem_handler(request: Request, exc: Exception) -> Callable[..., Any] | None:
    handlers: dict[Any, Callable[..., Any]] = request.app.exception_handlers
    return next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers), None)


class PageRoute(APIRoute):
    """A route whose failures are HTML pages with the problem the API would have answered."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        answer_page = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await answer_page(request)
            except ApiProblem as problem:
                return error_page(request, problem.status, problem.problem, problem.headers)
            except Exception as exc:
                # The application's own handler turns it into the problem document (and logs a
                # crash); the page shows that document.
                handler = _problem_handler(request, exc)
                if handler is None:
                    raise
                response: Response = await handler(request, exc)
                kept = {
                    k: v
                    for k, v in response.headers.items()
                    if k.lower() not in {"content-type", "content-length"}
                }
                return error_page(
                    request, response.status_code, orjson.loads(bytes(response.body)), kept
                )

        return answer
