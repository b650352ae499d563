"""Commitments: who does what."""

from typing import Self

from pydantic import Field, model_validator

from app.schemas.bodies import FactBody, FactIn
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


class CommitmentFields(FactBody):
    actor: ActorKind = Field(
        description="nation (give nation) or coalition (give coalition_scope)."
    )
    nation: str | None = Field(
        default=None, description="With actor nation: its alpha-2 code.", examples=["IT"]
    )
    coalition_scope: CoalitionScope | None = Field(
        default=None,
        description="With actor coalition: whole (the force as a whole) or some_members "
        "(members the source does not name).",
    )
    role: Role = Field(description="Role from the vocabulary (GET /roles).", examples=["training"])
    status: Status = Field(
        description="pledged, open_to, considering, pending, hesitant or ruled_out."
    )
    location: Location = Field(description="inside_ukraine, outside_ukraine or unspecified.")
    combat: Combat = Field(description="combat, non_combat or unspecified.")
    group: str | None = Field(
        default=None,
        description="With some_members: the group the unnamed members come from.",
        examples=["asia-pacific"],
    )
    exclusive: bool = Field(
        default=False,
        description="With actor nation: the source limits the nation's role to its exclusive "
        "commitments ('has limited its role to training and monitoring'), so the nation "
        "inherits no coalition commitment in another role.",
    )

    @model_validator(mode="after")
    def actor_fits(self) -> Self:
        if self.actor is ActorKind.nation and (not self.nation or self.coalition_scope):
            raise ValueError("actor 'nation' needs 'nation' and takes no 'coalition_scope'")
        if self.actor is ActorKind.coalition and (self.nation or not self.coalition_scope):
            raise ValueError("actor 'coalition' needs 'coalition_scope' and takes no 'nation'")
        if self.group is not None and self.coalition_scope is not CoalitionScope.some_members:
            raise ValueError("'group' names where unnamed members come from: some_members only")
        if self.exclusive and self.actor is not ActorKind.nation:
            raise ValueError("'exclusive' limits a nation's own role: actor nation only")
        if self.exclusive and self.status in (Status.hesitant, Status.ruled_out):
            raise ValueError("'exclusive' names what the nation does: not hesitant or ruled_out")
        return self


class CommitmentIn(FactIn, CommitmentFields):
    pass
