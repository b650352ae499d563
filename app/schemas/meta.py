"""Schemas of the vocabulary, the dashboard summary and the health probes."""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.common import EvidenceRead
from app.vocab import Certainty, Role, Status


class RoleRead(BaseModel):
    role: Role
    definition: str
    commitments: int = Field(description="Commitments in this role (any actor, any status).")
    nations: int = Field(description="Nations with their own commitment in it, not ruled out.")


class Definition(BaseModel):
    value: str
    definition: str


class RoleList(BaseModel):
    items: list[RoleRead]
    total: int
    statuses: list[Definition] = Field(description="The commitment statuses and what they mean.")
    certainty_levels: list[Definition] = Field(description="Evidence certainty levels.")


class RoleCounts(BaseModel):
    nations: int = Field(
        description="Nations with their own commitment in the role, not ruled out."
    )
    commitments: int = Field(description="All commitments in the role.")
    coalition_commitments: int = Field(
        description="Of those, given to the coalition, not a nation."
    )


class Identified(BaseModel):
    total: int = Field(description="Coalition members the sources identify.")
    named: int = Field(description="Named in the text.")
    implied: int = Field(description="Named as an example of coalition members.")
    inferred_from_group: int = Field(description="Inferred from a group ('the Nordic states').")
    unidentified: int = Field(description="Claimed count minus identified members.")


class Summary(BaseModel):
    claimed_nation_count: int | None = Field(
        description="The number of pledging nations the sources claim.", examples=[26]
    )
    claimed_by: list[EvidenceRead] = Field(description="Evidence for the claimed count.")
    identified: Identified
    potential_members: int
    by_membership: dict[str, int]
    by_role: dict[Role, RoleCounts]
    by_status: dict[Status, int] = Field(description="Commitments per status.")
    by_region: dict[str, int] = Field(description="Coalition members per UN M49 sub-region.")
    by_certainty: dict[Certainty, int] = Field(description="Evidence items per certainty level.")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str = Field(description="Database backend.", examples=["sqlite"])
    schema_revision: str | None
    facts: int
