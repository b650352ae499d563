"""The problem types: what each error `type` URI means, as HTML for a browser that follows it
and as JSON for a client that asks for JSON."""

from html import escape
from typing import Annotated

from fastapi import Path, Request

from app.api.problems import BY_NAME, CATALOGUE
from app.api.representation import Answer, AnswerRoute, represent, respond_model
from app.api.routers import PrefixedRouter
from app.errors import PROBLEM_RESPONSES, NotFound
from app.schemas.problems import ProblemType, ProblemTypeList

router = PrefixedRouter(prefix="/problems", tags=["problems"], route_class=AnswerRoute)
HTML = "text/html; charset=utf-8"
PAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}},
}


def wants_html(request: Request) -> bool:
    """Whether the client ranks HTML above JSON (browsers do); JSON otherwise, ``*/*`` too."""
    weights: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        media, *params = part.split(";")
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media = media.strip().lower()
        weights[media] = max(weights.get(media, 0.0), weight)
    json = max(weights.get("application/json", 0.0), weights.get("application/problem+json", 0.0))
    return weights.get("text/html", 0.0) > json


def _root(request: Request) -> str:
    return escape(request.scope.get("root_path", ""))


def _html(title: str, body: str) -> bytes:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – pledgedb</title>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
""".encode()


def _section(problem: ProblemType, heading: str) -> str:
    status = f"HTTP {problem.status}" if problem.status else "any HTTP error status"
    return (
        f"<{heading}>{escape(problem.title)}</{heading}>\n"
        f"<p><code>{escape(problem.type)}</code> · {status}</p>\n"
        f"<p>{escape(problem.meaning)}</p>\n"
        f"<p><strong>What to do:</strong> {escape(problem.remedy)}</p>"
    )


@router.get("", responses=PAGE_RESPONSES)
def list_problems(request: Request) -> Answer[ProblemTypeList]:
    """Every kind of error answer, with what it means and what to do."""
    listed = ProblemTypeList(items=CATALOGUE)
    if wants_html(request):
        sections = "\n".join(
            f'<section id="{escape(p.name)}">\n{_section(p, "h2")}\n</section>' for p in CATALOGUE
        )
        intro = (
            "<h1>Error answers</h1>\n<p>Every error is an RFC 9457 problem document "
            "(<code>application/problem+json</code>) whose <code>type</code> names one of "
            'these. The endpoints are in the <a href="/docs">API docs</a>.</p>'
        )
        return represent(request, listed, _html("Error answers", f"{intro}\n{sections}"), HTML)
    return respond_model(request, listed)


@router.get("/{name}", responses={**PAGE_RESPONSES, **PROBLEM_RESPONSES})
def get_problem(
    request: Request,
    name: Annotated[
        str,
        Path(
            max_length=40,
            description="The last part of a problem's `type`.",
            examples=["not-found"],
        ),
    ],
) -> Answer[ProblemType]:
    """What one kind of error answer means and what to do about it."""
    problem = BY_NAME.get(name)
    if problem is None:
        raise NotFound(f"No problem type {name!r}; /problems lists them all.")
    if wants_html(request):
        root = _root(request)
        more = (
            f'<p><a href="{root}/problems">Every error answer</a> · '
            f'<a href="{root}/docs">API docs</a></p>'
        )
        page = _html(problem.title, f"{_section(problem, 'h1')}\n{more}")
        return represent(request, problem, page, HTML)
    return respond_model(request, problem)
