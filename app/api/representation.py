"""JSON responses with strong ETags, conditional GETs (304) and If-Match for writes."""

import hashlib

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.errors import PreconditionFailed, PreconditionRequired

JSON = "application/json"


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
) -> Response:
    """The body with its ETag; 304 without a body when the client already holds it."""
    tag = etag_of(body)
    headers = {"ETag": tag, **(headers or {})}
    if request.method == "GET":
        if_none_match = request.headers.get("if-none-match")
        if if_none_match and matches_if_none_match(if_none_match, tag):
            return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def respond_model(
    request: Request, model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return respond(request, model.model_dump_json().encode(), JSON, status, headers)


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
