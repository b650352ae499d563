"""Commitments: who does what."""

from typing import Annotated, Self

from pydantic import MISSING, Field, model_validator

from app.schemas.bodies import REASON, Correction, FactBody, FactIn
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


# Each field a commitment body states, defined once for a new commitment and a correction.
ACTOR = Field(description="nation (give nation) or coalition (give coalition_scope).")
NATION = Field(description="With actor nation: its alpha-2 code.", examples=["IT"])
COALITION_SCOPE = Field(
    description="With actor coalition: whole (the force as a whole) or some_members "
    "(members the source does not name)."
)
ROLE = Field(description="Role from the vocabulary (GET /roles).", examples=["training"])
STATUS = Field(description="pledged, open_to, considering, pending, hesitant or ruled_out.")
LOCATION = Field(description="inside_ukraine, outside_ukraine or unspecified.")
COMBAT = Field(description="combat, non_combat or unspecified.")
GROUP = Field(
    description="With some_members: the group the unnamed members come from.",
    examples=["asia-pacific"],
)
EXCLUSIVE = Field(
    description="With actor nation: the source limits the nation's role to its exclusive "
    "commitments ('has limited its role to training and monitoring'), so the nation "
    "inherits no coalition commitment in another role."
)


class CommitmentFields(FactBody):
    """A commitment as a data file states it (with its id: `CommitmentIn`)."""

    actor: Annotated[ActorKind, ACTOR]
    nation: Annotated[str | None, NATION] = None
    coalition_scope: Annotated[CoalitionScope | None, COALITION_SCOPE] = None
    role: Annotated[Role, ROLE]
    status: Annotated[Status, STATUS]
    location: Annotated[Location, LOCATION]
    combat: Annotated[Combat, COMBAT]
    group: Annotated[str | None, GROUP] = None
    exclusive: Annotated[bool, EXCLUSIVE] = False

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


class CommitmentCreate(CommitmentFields):
    """A new commitment, with its evidence. The id is assigned by the API."""

    reason: Annotated[str | None, REASON] = None


class CommitmentUpdate(Correction):
    """A correction: only the fields given change (evidence, if given, is replaced as a whole).
    The result is verified like a new commitment."""

    actor: Annotated[ActorKind, ACTOR] | MISSING = MISSING
    nation: Annotated[str | None, NATION] | MISSING = MISSING
    coalition_scope: Annotated[CoalitionScope | None, COALITION_SCOPE] | MISSING = MISSING
    role: Annotated[Role, ROLE] | MISSING = MISSING
    status: Annotated[Status, STATUS] | MISSING = MISSING
    location: Annotated[Location, LOCATION] | MISSING = MISSING
    combat: Annotated[Combat, COMBAT] | MISSING = MISSING
    group: Annotated[str | None, GROUP] | MISSING = MISSING
    exclusive: Annotated[bool, EXCLUSIVE] | MISSING = MISSING
