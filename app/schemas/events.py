"""Events: the summit and the call."""

import datetime as dt

from pydantic import Field

from app.schemas.common import EVIDENCE, SUMMARY, EvidenceRead, ReadModel
from app.vocab import (
    EventKind,
)


class Participant(ReadModel):
    name: str
    nation: str | None


class EventRead(ReadModel):
    id: str = Field(examples=["paris-summit-2025-09-04"])
    kind: EventKind = Field(validation_alias="event_kind")
    name: str
    date: dt.date | None = Field(description="Null when the sources do not date it.")
    place: str | None
    pledging_nation_count: int | None = Field(
        description="The number of pledging nations the sources claim for this event."
    )
    participants: list[Participant]
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE
