"""What a list answers in: the formats (JSON, flat CSV, NDJSON), chosen by `format` or the
`Accept` header, and the file names a download is given."""

import re
from typing import Literal

from fastapi import Request

from app.errors import NotAcceptable

Format = Literal["json", "csv", "ndjson"]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
_MEDIA_FORMATS: dict[str, Format] = {
    "application/json": "json",
    "*/*": "json",
    "application/*": "json",
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
}


def negotiate(request: Request, format: Format | None) -> Format:
    """The `format` parameter, else the first media type of `Accept` this API answers in (in the
    order listed: quality values are not weighed), else JSON."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if not accept:
        return "json"
    for part in accept.split(","):
        found = _MEDIA_FORMATS.get(part.split(";")[0].strip().lower())
        if found is not None:
            return found
    raise NotAcceptable(
        f"Accept: {accept!r}: this endpoint answers application/json, text/csv or "
        f"{NDJSON_MEDIA_TYPE}."
    )


def download_name(request: Request, name: str, extension: str) -> str:
    """A file name that says what the file holds: the list and its filters, e.g.
    `pledgedb-commitments-role-training.csv`."""
    skip = {"limit", "offset", "cursor", "format", "download", "all"}
    parts = ["pledgedb", name]
    for key, value in request.query_params.multi_items():
        if key not in skip:
            parts += [key, value]
    stem = re.sub(r"[^a-z0-9_]+", "-", "-".join(parts).lower()).strip("-")
    return f"{stem[:150].rstrip('-')}.{extension}"


def disposition(request: Request, name: str, extension: str, download: bool) -> str:
    if download:
        return f'attachment; filename="{download_name(request, name, extension)}"'
    return f'inline; filename="{name}.{extension}"'
