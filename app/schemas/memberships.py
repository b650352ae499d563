"""Membership bodies: what a file or a write states about a nation's place in the story."""

from typing import Self

from pydantic import Field, model_validator

from app.schemas.bodies import FactBody, FactIn
from app.vocab import (
    Basis,
    MembershipStatus,
    Part,
)


class MembershipFields(FactBody):
    nation: str = Field(
        description="ISO 3166-1 alpha-2 code; a nation new to the data is added from ISO data.",
        examples=["NL"],
    )
    status: MembershipStatus = Field(description="member, potential or non_member.")
    part: Part = Field(description="guarantor, beneficiary, adversary or third_country.")
    basis: Basis = Field(description="named, implied, or inferred_from_group (then give group).")
    group: str | None = Field(
        default=None,
        description="With inferred_from_group: the group id (data/reference/groups.yaml).",
        examples=["nordic-states"],
    )

    @model_validator(mode="after")
    def group_iff_inferred(self) -> Self:
        if (self.basis is Basis.inferred_from_group) != (self.group is not None):
            raise ValueError("'group' is given exactly when basis is inferred_from_group")
        return self


class MembershipIn(FactIn, MembershipFields):
    pass
