"""Schemas of the vocabulary, the dashboard summary and the health probes."""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.common import EvidenceRead
from app.vocab import Certainty, Role, Status


class RoleRead(BaseModel):
    role: Role = Field(description="The role value used in filters.")
    definition: str = Field(description="What the role means.")
    commitments: int = Field(description="Commitments in this role (any actor, any status).")
    nations: int = Field(
        description="Nations that pledged the role themselves (their own commitment, status "
        "pledged). Not those only open to it, hesitant or ruled out: see `GET /summary`'s "
        "`nations_by_status`."
    )


class Definition(BaseModel):
    value: str = Field(description="The vocabulary value.")
    definition: str = Field(description="What it means.")


class RoleList(BaseModel):
    items: list[RoleRead] = Field(description="Every role of the vocabulary.")
    total: int = Field(description="Number of roles.")
    statuses: list[Definition] = Field(description="The commitment statuses and what they mean.")
    certainty_levels: list[Definition] = Field(description="Evidence certainty levels.")


class RoleCounts(BaseModel):
    nations: int = Field(
        description="Nations that pledged the role themselves (their own commitment, status "
        "pledged); coalition commitments are no nation's."
    )
    nations_by_status: dict[Status, int] = Field(
        description="Nations with their own commitment in the role, per status (a nation with "
        "commitments of two statuses counts under each)."
    )
    commitments: int = Field(description="All commitments in the role.")
    commitments_by_status: dict[Status, int] = Field(description="Commitments per status.")
    commitments_by_certainty: dict[Certainty, int] = Field(
        description="Commitments per certainty (the strongest among each one's evidence)."
    )
    coalition_commitments: int = Field(
        description="Of those, given to the coalition, not a nation."
    )


class Identified(BaseModel):
    total: int = Field(description="Coalition members the sources identify.")
    named: int = Field(description="Named in the text.")
    implied: int = Field(description="Named as an example of coalition members.")
    inferred_from_group: int = Field(description="Inferred from a group ('the Nordic states').")
    unidentified: int = Field(description="Claimed count minus identified members.")
    by_certainty: dict[Certainty, int] = Field(
        description="Identified members per certainty of their membership: `hedged` when every "
        "quote for it is hedged (article A's list stands under 'reportedly')."
    )


class Summary(BaseModel):
    claimed_nation_count: int | None = Field(
        description="The number of pledging nations the sources claim.", examples=[26]
    )
    claimed_by: list[EvidenceRead] = Field(description="Evidence for the claimed count.")
    identified: Identified = Field(description="Coalition members the sources identify, by basis.")
    potential_members: int = Field(description="Potential members (the US).")
    by_membership: dict[str, int] = Field(description="Nations per membership status.")
    by_membership_certainty: dict[str, dict[Certainty, int]] = Field(
        description="Nations per membership status, split by the membership's certainty."
    )
    by_role: dict[Role, RoleCounts] = Field(
        description="Per role: nations (that pledged it, and per status), commitments (per "
        "status and certainty), coalition commitments."
    )
    by_status: dict[Status, int] = Field(description="Commitments per status.")
    by_region: dict[str, int] = Field(description="Coalition members per UN M49 sub-region.")
    by_certainty: dict[Certainty, int] = Field(
        description="Evidence items per certainty level, of the facts that stand (a retracted "
        "fact's evidence is left out, as the lists leave the fact out)."
    )


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always `ok` while the process runs.")


class Readiness(BaseModel):
    status: Literal["ready"] = Field(description="`ready` when the API can answer.")
    database: str = Field(description="Database backend.", examples=["sqlite"])
    schema_revision: str | None = Field(description="The Alembic revision the database is at.")
    facts: int = Field(description="Facts loaded.")
