"""Answers with strong ETags, conditional GETs (304) and If-Match for writes; `Answer[Body]`,
the response type of every handler that answers a model, so that mypy checks what a handler
builds against what its route documents."""

import hashlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_args, get_origin, get_type_hints

from fastapi import Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import PreconditionFailed, PreconditionRequired

JSON = "application/json"

Body = TypeVar("Body", bound=BaseModel)


class Answer(Response, Generic[Body]):
    """A response that represents a ``Body``: its JSON, another format of it (CSV, NDJSON,
    HTML), or a 304 for it. Handlers return ``Answer[Model]``; app.api.routing documents
    ``Model`` as the route's response model, so the two cannot differ, and mypy checks that
    the handler built a ``Model``. Invariant on purpose: a subclass with fields the route
    does not document is refused."""


class StreamedAnswer(StreamingResponse, Answer[Body]):
    """A streamed ``Answer``: the whole of a list, written batch by batch."""


def answered_model(endpoint: Callable[..., Any]) -> type[BaseModel] | None:
    """``Model`` when the handler returns ``Answer[Model]``; None for any other return type."""
    returns = get_type_hints(endpoint).get("return")
    if get_origin(returns) is Answer:
        model: type[BaseModel] = get_args(returns)[0]
        return model
    return None


class AnswerRoute(APIRoute):
    """A route whose response model is the one its handler's ``Answer[Model]`` names: declared
    once, so the OpenAPI document and the handler's type cannot disagree. Every router of
    app.api.routers uses it (``APIRouter(route_class=AnswerRoute)``)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declared = kwargs.get("response_model")
        model = answered_model(endpoint)
        if model is not None:
            if declared is not None and not isinstance(declared, DefaultPlaceholder):
                raise TypeError(f"{endpoint.__name__}: the response model is its Answer's")
            kwargs["response_model"] = model
        super().__init__(path, endpoint, **kwargs)


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag in every process."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def matches_if_none_match(header: str, tag: str) -> bool:
    """Whether an If-None-Match header names this (strong) tag, or any (``*``)."""
    return header.strip() == "*" or tag in _tags(header)


def respond(
    request: Request,
    body: bytes,
    media_type: str = JSON,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Answer[Any]:
    """The body with its ETag; 304 without a body when the client already holds it. What the
    bytes represent is the caller's word: typed handlers answer through `respond_model` or
    `represent`."""
    tag = etag_of(body)
    headers = {"ETag": tag, **(headers or {})}
    if request.method == "GET":
        if_none_match = request.headers.get("if-none-match")
        if if_none_match and matches_if_none_match(if_none_match, tag):
            return Answer(status_code=304, headers=headers)
    return Answer(body, status_code=status, media_type=media_type, headers=headers)


def respond_model(
    request: Request, model: Body, status: int = 200, headers: dict[str, str] | None = None
) -> Answer[Body]:
    """The model as JSON, with its ETag."""
    return respond(request, model.model_dump_json().encode(), JSON, status, headers)


def represent(
    request: Request,
    model: Body,
    body: bytes,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Answer[Body]:
    """``body``, another format of ``model`` (CSV, NDJSON, HTML), with its ETag."""
    del model  # typing only: the answer is of the model it was rendered from
    return respond(request, body, media_type, headers=headers)


def require_if_match(request: Request, current: BaseModel) -> None:
    """Optimistic concurrency: the client must name the version it edits, and it must be the
    current one (428 when it names none, 412 when it names an older one)."""
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequired(
            "This write needs an If-Match header with the ETag of the resource as you last "
            "read it (GET it first)."
        )
    tag = etag_of(current.model_dump_json().encode())
    tags = _tags(header)
    if "*" not in tags and tag not in tags:
        raise PreconditionFailed(
            "The resource has changed since you read it (its ETag is no longer "
            f"{header}): GET it again, re-apply your change, and retry.",
            headers={"ETag": tag},
        )
