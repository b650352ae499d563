"""Query parameters that several endpoints share, declared once so that each means the same
everywhere: a nation (by code or name), a certainty, and a past moment's ids."""

from typing import Annotated

from fastapi import Query

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
