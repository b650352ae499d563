"""Commitments: who does what."""

from pydantic import Field

from app.schemas.common import EVIDENCE, SUMMARY, ConditionRef, EvidenceRead, FactMeta
from app.vocab import (
    ActorKind,
    CoalitionScope,
    Combat,
    Location,
    Role,
    Status,
)


class CommitmentRead(FactMeta):
    """Who does what: a nation's or the coalition's role, with its status and evidence."""

    id: str = Field(
        description="Stable id of the commitment (a slug).", examples=["it-troops-ruled-out"]
    )
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
    role: Role = Field(description="Role from the vocabulary (see GET /roles).")
    status: Status = Field(
        description="pledged, open_to, considering, pending, hesitant or ruled_out."
    )
    location: Location = Field(description="Inside Ukraine, outside, or not stated.")
    combat: Combat = Field(description="Combat or non-combat where the source says so.")
    exclusive: bool = Field(
        description="The source limits the nation's role to its exclusive commitments ('has "
        "limited its role to training and monitoring'): the nation inherits no coalition "
        "commitment in another role."
    )
    summary: str = SUMMARY
    conditions: list[ConditionRef] = Field(description="Conditions that gate this commitment.")
    evidence: list[EvidenceRead] = EVIDENCE
