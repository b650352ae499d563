"""Events: the summit and the call."""

import datetime as dt

from pydantic import Field

from app.schemas.bodies import FactBody, FactIn, Strict
from app.schemas.common import EVIDENCE, SUMMARY, EvidenceRead, FactMeta, ReadModel
from app.vocab import EventKind


class Participant(ReadModel):
    name: str = Field(description="Name as the source writes it.")
    nation: str | None = Field(description="The participant's nation (alpha-2).")


class EventRead(FactMeta):
    id: str = Field(description="Stable id of the event.", examples=["paris-summit-2025-09-04"])
    kind: EventKind = Field(description="`summit` or `call`.", validation_alias="event_kind")
    name: str = Field(description="Name of the event.")
    date: dt.date | None = Field(description="Null when the sources do not date it.")
    place: str | None = Field(description="Where it took place; null when the sources do not say.")
    pledging_nation_count: int | None = Field(
        description="The number of pledging nations the sources claim for this event."
    )
    participants: list[Participant] = Field(description="People the sources place at the event.")
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE


class ParticipantIn(Strict):
    name: str
    nation: str | None = None


class EventFields(FactBody):
    kind: EventKind
    name: str
    date: dt.date | None
    place: str | None = None
    pledging_nation_count: int | None = Field(default=None, ge=1)
    participants: list[ParticipantIn] = []


class EventIn(FactIn, EventFields):
    pass
