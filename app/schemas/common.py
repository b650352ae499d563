"""What every read schema shares: the fact metadata (certainty, retraction), evidence with its
outlet and offsets, the page envelope, and references between facts."""

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.vocab import (
    ActorKind,
    Certainty,
    CoalitionScope,
    ConditionKind,
    ConditionNature,
    Role,
    Status,
)

SUMMARY = Field(description="One sentence in our words; never more than the evidence says.")
EVIDENCE = Field(description="Verbatim quotes that support this fact, in curated order.")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FactMeta(ReadModel):
    """Bookkeeping every fact carries: its version and whether it was retracted."""

    version: int = Field(description="Increases with every change to the fact.")
    updated_at: dt.datetime = Field(description="When the fact last changed (UTC).")
    retracted_at: dt.datetime | None = Field(
        description="When the fact was retracted; null while it stands. Lists hide retracted "
        "facts; their own pages keep them, with the reason."
    )
    retraction_reason: str | None = Field(description="Why it was retracted.")
    certainty: Certainty = Field(
        description="The strongest certainty among the evidence: `stated` (some evidence is the "
        "article's own voice) > `reported` (attributed to an outlet) > `hedged` (every quote is "
        "hedged: 'reportedly', 'may', 'envisions'). Filter lists with `certainty=`."
    )
    hedge: str | None = Field(
        description="With certainty `hedged`: the hedge words of the evidence, as written.",
        examples=["reportedly"],
    )


class OutletRef(ReadModel):
    id: str = Field(description="Id of the outlet.", examples=["reuters"])
    name: str = Field(
        description="Name of the outlet as the article gives it.", examples=["Reuters"]
    )


class EvidenceRead(ReadModel):
    """A verbatim quote from a source that supports a fact."""

    id: str = Field(
        description="Stable id: `<fact id>/<position>`.", examples=["it-troops-ruled-out/1"]
    )
    source: str = Field(
        validation_alias="source_id",
        description="Id of the source article.",
        examples=["article-a"],
    )
    quote: str = Field(
        description="Exact substring of the source's text (verified when loaded).",
        examples=["Italy has already clarified that it will not commit ground troops"],
    )
    start: int = Field(description="Character offset of the quote in the source's text.")
    end: int = Field(description="Offset just past the quote (`text[start:end] == quote`).")
    line: int = Field(description="Line of the seed document where the quote starts (1-based).")
    outlet: OutletRef | None = Field(
        description="The outlet the article attributes this to ('According to Reuters')."
    )
    certainty: Certainty = Field(
        description="`stated`: the article asserts it in its own voice; `reported`: the article "
        "attributes it to another outlet; `hedged`: the wording marks it uncertain "
        "('reportedly', 'potentially', 'may', 'anticipated')."
    )
    hedge: str | None = Field(
        description="With `hedged`: the hedging words as written.", examples=["reportedly"]
    )


T = TypeVar("T")
# How many rows an answer embeds of a list that grows with the data (a nation item's `roles`, a
# page's `coalition_commitments`, a dispute's claims in a list). Every list of the seed fits
# (at most 6 own plus 11 inherited roles); beyond it each list gives its total and where to
# find the rest, so an answer's size does not grow with the data.
EMBEDDED_LIMIT = 25


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="The rows of this page.")
    total: int = Field(description="Rows matching the filters, across all pages.")
    limit: int = Field(description="Page size asked for.")
    offset: int | None = Field(description="Offset of this page; null when a cursor was used.")
    next_cursor: str | None = Field(
        description="Opaque keyset cursor for the next page; null on the last page."
    )
    next: str | None = Field(description="URL of the next page (also in the `Link` header).")
    applied: dict[str, Any] = Field(
        description="The filters this answer applied, defaults included (e.g. the statuses a "
        "`role` filter takes when no `status` is given), and its sort: nothing is implicit.",
        examples=[{"role": ["troops"], "status": ["pledged", "open_to"], "sort": "name"}],
    )


class ConditionRef(ReadModel):
    id: str = Field(description="Id of the condition.", examples=["ceasefire-or-armistice"])
    kind: ConditionKind = Field(description="Kind of condition.", validation_alias="condition_kind")
    nature: ConditionNature = Field(description="`precondition` or `obstacle`.")
    summary: str = Field(description="One sentence in our words.")


class CommitmentRef(ReadModel):
    id: str = Field(description="Id of the commitment.")
    actor: ActorKind = Field(description="`nation` or `coalition`.")
    nation: str | None = Field(
        description="Alpha-2 code with actor `nation`.", validation_alias="nation_code"
    )
    coalition_scope: CoalitionScope | None = Field(
        description="With actor `coalition`: `whole` or `some_members`."
    )
    role: Role = Field(description="Role from the vocabulary.")
    status: Status = Field(description="Status of the commitment.")
    summary: str = Field(
        description="One sentence in our words; never more than the evidence says."
    )
