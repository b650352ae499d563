"""Query parameters that several endpoints share, declared once so that each means the same
everywhere: a nation (by code or name), a certainty, and a past moment's ids; and the filters
by evidence of every list of facts."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Query
from sqlalchemy import ColumnElement, bindparam

from app.errors import (
    InvalidParameter,
)
from app.reads.queries import certainty_column
from app.store.models import Evidence, Fact
from app.vocab import Certainty

NationParam = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=60,
        description="A nation: ISO 3166-1 alpha-2 or alpha-3 code or its name, any case "
        "(`IT`, `ita` or `Italy`). A name that is no country is answered with the closest ones.",
        examples=["IT"],
    ),
]
CertaintyParam = Annotated[
    list[Certainty] | None,
    Query(
        description="Only facts of this certainty (repeatable): `stated` (some evidence is the "
        "article's own voice), `reported` (the strongest is attributed to an outlet) or "
        "`hedged` (every quote is hedged).",
        examples=["hedged"],
    ),
]


def parse_timestamp(value: str, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidParameter(f"{where}: not an ISO 8601 date-time: {value!r}.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # an offset past year 1 or 9999 in UTC: as early or late as can be
        return (
            dt.datetime.max.replace(tzinfo=dt.UTC)
            if moment.year > 1
            else dt.datetime.min.replace(tzinfo=dt.UTC)
        )


def evidence_filters(kind: type[Fact]) -> dict[str, Callable[[], ColumnElement[bool]]]:
    """The `certainty` and `source` filters of a list of facts of ``kind``, for its
    `app.api.pages.ListStatements`: the same meaning on every list."""
    return {
        "certainty": lambda: certainty_column(kind.id).in_(bindparam("certainty", expanding=True)),
        "source": lambda: kind.evidence.any(Evidence.source_id == bindparam("source")),
    }
