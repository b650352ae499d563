"""Schemas of the facts: commitments, conditions, memberships, statements, events."""

import datetime as dt

from pydantic import Field

from app.schemas.common import EvidenceRead, ReadModel
from app.vocab import (
    ActorKind,
    Basis,
    CoalitionScope,
    Combat,
    ConditionKind,
    ConditionNature,
    EventKind,
    Location,
    MembershipStatus,
    Part,
    Role,
    StatementMode,
    Status,
)

SUMMARY = Field(description="One sentence in our words; never more than the evidence says.")
EVIDENCE = Field(description="Verbatim quotes that support this fact, in curated order.")


class ConditionRef(ReadModel):
    id: str = Field(examples=["ceasefire-or-armistice"])
    kind: ConditionKind = Field(validation_alias="condition_kind")
    nature: ConditionNature
    summary: str


class CommitmentRead(ReadModel):
    """Who does what: a nation's or the coalition's role, with its status and evidence."""

    id: str = Field(examples=["it-troops-ruled-out"])
    actor: ActorKind = Field(
        description="`nation`: a named nation; `coalition`: the coalition (see coalition_scope)."
    )
    nation: str | None = Field(
        validation_alias="nation_code",
        description="Alpha-2 code with actor `nation`.",
        examples=["IT"],
    )
    coalition_scope: CoalitionScope | None = Field(
        description="With actor `coalition`: `whole` (the coalition's force as a whole) or "
        "`some_members` (members the source does not name)."
    )
    role: Role
    status: Status
    location: Location = Field(description="Inside Ukraine, outside, or not stated.")
    combat: Combat = Field(description="Combat or non-combat where the source says so.")
    summary: str = SUMMARY
    conditions: list[ConditionRef] = Field(description="Conditions that gate this commitment.")
    evidence: list[EvidenceRead] = EVIDENCE


class CommitmentRef(ReadModel):
    id: str
    actor: ActorKind
    nation: str | None = Field(validation_alias="nation_code")
    coalition_scope: CoalitionScope | None
    role: Role
    status: Status
    summary: str


class ConditionRead(ReadModel):
    """Something that must happen first (or stands in the way), and what it gates."""

    id: str = Field(examples=["ceasefire-or-armistice"])
    kind: ConditionKind = Field(validation_alias="condition_kind")
    nature: ConditionNature = Field(
        description="`precondition`: must happen first; `obstacle`: stands in the way."
    )
    nation: str | None = Field(
        validation_alias="nation_code", description="The nation whose condition or obstacle it is."
    )
    summary: str = SUMMARY
    gates: list[CommitmentRef] = Field(description="The commitments this condition gates.")
    evidence: list[EvidenceRead] = EVIDENCE


class MembershipRead(ReadModel):
    """A nation's place in the story."""

    id: str = Field(examples=["membership-it"])
    status: MembershipStatus = Field(
        description="`member` of the coalition, `potential` member, or `non_member`."
    )
    part: Part = Field(description="guarantor, beneficiary (Ukraine), adversary, third_country.")
    basis: Basis = Field(
        description="`named` in the text; `implied` (named as an example of members); "
        "`inferred_from_group` (the text names only a group, e.g. 'the Nordic states')."
    )
    group: str | None = Field(validation_alias="group_name", examples=["Nordic states"])
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE


class StatementRead(ReadModel):
    """A person's words: quoted directly or reported by the article."""

    id: str = Field(examples=["macron-commitment-of-substance"])
    speaker: str = Field(examples=["Emmanuel Macron"])
    speaker_title: str | None = Field(examples=["President of France"])
    speaker_nation: str | None = Field(validation_alias="speaker_nation_code", examples=["FR"])
    mode: StatementMode = Field(
        description="`direct`: the person's own words, in quotation marks; `reported`: the "
        "article's paraphrase."
    )
    text: str = Field(examples=["This is a commitment of substance, not just words"])
    event: str | None = Field(validation_alias="event_id", examples=["paris-summit-2025-09-04"])
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE


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
