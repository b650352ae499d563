"""Membership bodies: what a file or a write states about a nation's place in the story."""

from typing import Annotated, Self

from pydantic import MISSING, Field, model_validator

from app.schemas.bodies import REASON, Correction, FactBody, FactIn
from app.vocab import (
    Basis,
    MembershipStatus,
    Part,
)

# Each field a membership body states, defined once for a new membership and a correction.
NATION = Field(
    description="ISO 3166-1 alpha-2 code; a nation new to the data is added from ISO data.",
    examples=["NL"],
)
STATUS = Field(description="member, potential or non_member.")
PART = Field(description="guarantor, beneficiary, adversary or third_country.")
BASIS = Field(description="named, implied, or inferred_from_group (then give group).")
GROUP = Field(
    description="With inferred_from_group: the group id (data/reference/groups.yaml).",
    examples=["nordic-states"],
)


class MembershipFields(FactBody):
    """A membership as a data file states it (with its id: `MembershipIn`)."""

    nation: Annotated[str, NATION]
    status: Annotated[MembershipStatus, STATUS]
    part: Annotated[Part, PART]
    basis: Annotated[Basis, BASIS]
    group: Annotated[str | None, GROUP] = None

    @model_validator(mode="after")
    def group_iff_inferred(self) -> Self:
        if (self.basis is Basis.inferred_from_group) != (self.group is not None):
            raise ValueError("'group' is given exactly when basis is inferred_from_group")
        return self


class MembershipIn(FactIn, MembershipFields):
    pass


class MembershipCreate(MembershipFields):
    """A new membership, with its evidence. The id is assigned by the API."""

    reason: Annotated[str | None, REASON] = None


class MembershipUpdate(Correction):
    """A correction: only the fields given change (evidence, if given, is replaced as a whole).
    The result is verified like a new membership."""

    nation: Annotated[str, NATION] | MISSING = MISSING
    status: Annotated[MembershipStatus, STATUS] | MISSING = MISSING
    part: Annotated[Part, PART] | MISSING = MISSING
    basis: Annotated[Basis, BASIS] | MISSING = MISSING
    group: Annotated[str | None, GROUP] | MISSING = MISSING
