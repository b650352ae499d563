"""Nations: list items with their roles and inheritance, the reasons a member inherits nothing,
memberships, and a nation's detail page."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.commitments import CommitmentRead
from app.schemas.common import (
    EMBEDDED_LIMIT,
    EVIDENCE,
    SUMMARY,
    CommitmentRef,
    EvidenceRead,
    FactMeta,
    Page,
    ReadModel,
)
from app.schemas.conditions import ConditionRead
from app.schemas.disputes import DisputeItem
from app.schemas.statements import StatementRead
from app.vocab import Basis, Certainty, MembershipStatus, Part, Role, Status

Via = Literal["nation", "coalition"]


class ExclusionReason(StrEnum):
    ruled_out = "ruled_out"  # the nation's own commitment in the role: ruled out
    hesitant = "hesitant"  # the nation's own commitment in the role: hesitant
    limited_to = "limited_to"  # a source limits the nation's role to other roles


class ExcludedBy(BaseModel):
    """A commitment of the nation's own that keeps it from inheriting a coalition commitment."""

    reason: ExclusionReason = Field(
        description="`ruled_out` or `hesitant`: the nation's own commitment in the same role "
        "says so; `limited_to`: a source limits the nation's role to this commitment's role "
        "(and its other exclusive ones)."
    )
    commitment: str = Field(description="Id of the nation's own commitment.")
    role: Role = Field(description="Its role.")
    status: Status = Field(description="Its status.")
    summary: str = Field(description="One sentence in our words; never more than the evidence.")
    evidence: list[EvidenceRead] = Field(description="Its verbatim quotes.")


class NationRole(BaseModel):
    role: Role = Field(description="Role from the vocabulary.")
    status: Status = Field(description="Status of the commitment.")
    via: Via = Field(
        description="`nation`: the nation's own commitment; `coalition`: inherited from a "
        "commitment of the coalition's force as a whole (only with include_coalition=true)."
    )
    commitment: str = Field(description="Id of the commitment that carries the role.")


class NationItem(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2.", examples=["IT"])
    alpha3: str = Field(description="ISO 3166-1 alpha-3.", examples=["ITA"])
    name: str = Field(description="Short name (ISO 3166, via pycountry).", examples=["Italy"])
    official_name: str | None = Field(
        description="Official name, where ISO 3166 gives one.", examples=["Italian Republic"]
    )
    membership: MembershipStatus = Field(description="member, potential or non_member.")
    part: Part = Field(description="guarantor, beneficiary, adversary or third_country.")
    basis: Basis = Field(description="named, implied or inferred_from_group.")
    group: str | None = Field(description="The group the membership is inferred from, if any.")
    nato: bool = Field(description="NATO member on 2025-09-04.")
    eu: bool = Field(description="EU member on 2025-09-04.")
    region: str = Field(description="UN M49 sub-region.", examples=["Southern Europe"])
    roles: list[NationRole] = Field(
        description="The nation's commitments as (role, status), plus inherited coalition roles "
        f"with include_coalition=true: at most {EMBEDDED_LIMIT}, the nation's own first (with a "
        "`role` filter, those that match it first), then by commitment id. When `roles_total` "
        "is larger, `GET /commitments?nation=<code>` lists all of the nation's own and "
        "`GET /commitments?actor=coalition&coalition_scope=whole` those it inherits."
    )
    roles_total: int = Field(
        description="How many roles the nation has in all (own, plus inherited with "
        f"include_coalition=true); `roles` shows the first {EMBEDDED_LIMIT}."
    )
    certainty: Certainty = Field(
        description="Certainty of the membership: the strongest among its evidence. `hedged` "
        "when every quote is hedged (article A's list stands under 'the group reportedly "
        "involves')."
    )
    hedge: str | None = Field(
        description="With certainty `hedged`: the hedge words, as written.",
        examples=["reportedly"],
    )
    matched_via: Via | None = Field(
        description="With a `role` filter: whether the nation matched through its own "
        "commitment or only through the coalition's (inherited); null for a member listed with "
        "include_excluded=true because it does not inherit the role."
    )
    inherited: bool = Field(
        description="True when the nation carries the filtered role only through a "
        "coalition-level commitment."
    )
    excluded_by: list[ExcludedBy] = Field(
        description="With include_coalition=true and a `role` filter: the nation's own "
        "commitments that keep it from inheriting the coalition's commitments of that role (its "
        "own ruled-out or hesitant commitment in the role, or a source limiting its role to "
        "others). Empty when it inherits, or matched through its own commitment."
    )


class NationPage(Page[NationItem]):
    coalition_commitments: list[CommitmentRef] = Field(
        description="With a `role` filter: commitments of that role that the sources give to the "
        "coalition as a whole or to members they do not name. They are not attributed to any "
        "nation; include_coalition=true lists the members who inherit them. "
        f"At most {EMBEDDED_LIMIT}, by id: "
        "`coalition_commitments_all` lists them all."
    )
    coalition_commitments_total: int = Field(
        description="How many coalition commitments match the role and status filters."
    )
    coalition_commitments_all: str | None = Field(
        description="With a `role` filter: URL of /commitments listing every one of them, "
        "page by page; null without a role filter."
    )


class CoalitionCommitment(CommitmentRef):
    """A commitment of the coalition's force as a whole, on a member's page: whether the member
    inherits it, and if not, its own commitments that say why."""

    inherited: bool = Field(
        description="Whether the member inherits it: not where its own commitment in the role "
        "is ruled out or hesitant, nor outside the roles a source limits it to."
    )
    excluded_by: list[ExcludedBy] = Field(
        description="With inherited=false: the member's own commitments that keep it from "
        "inheriting this one."
    )


class MembershipRead(FactMeta):
    """A nation's place in the story."""

    nation: str = Field(
        validation_alias="nation_code", description="Alpha-2 code.", examples=["IT"]
    )
    id: str = Field(description="Stable id of the membership fact.", examples=["membership-it"])
    status: MembershipStatus = Field(
        description="`member` of the coalition, `potential` member, or `non_member`."
    )
    part: Part = Field(description="guarantor, beneficiary (Ukraine), adversary, third_country.")
    basis: Basis = Field(
        description="`named` in the text; `implied` (named as an example of members); "
        "`inferred_from_group` (the text names only a group, e.g. 'the Nordic states')."
    )
    group: str | None = Field(
        description="The group named in the text, with basis inferred_from_group.",
        validation_alias="group_name",
        examples=["Nordic states"],
    )
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE


class NationDispute(DisputeItem):
    """A dispute as a nation's page embeds it, bounded whatever the data: at most
    EMBEDDED_LIMIT claims, and differences only where the dispute is about the nation alone."""

    differences: list[str] = Field(
        description=f"For a dispute about this nation alone, its first {EMBEDDED_LIMIT} "
        "differences; for a dispute about several nations (who leads, which members of a "
        "group take part) none here: each difference there names every source, and they are "
        "all on the dispute's own page (`dispute`)."
    )
    claims_naming_total: int = Field(
        description="How many of the dispute's claims name this nation."
    )


class NationDetail(ReadModel):
    code: str = Field(description="ISO 3166-1 alpha-2.", examples=["IT"])
    alpha3: str = Field(description="ISO 3166-1 alpha-3.", examples=["ITA"])
    name: str = Field(description="Short name (ISO 3166, via pycountry).", examples=["Italy"])
    official_name: str | None = Field(description="Official name, where ISO 3166 gives one.")
    nato: bool = Field(description="NATO member on 2025-09-04.")
    eu: bool = Field(description="EU member on 2025-09-04.")
    region: str = Field(description="UN M49 sub-region.")
    membership: MembershipRead = Field(
        description="The nation's place in the story, with evidence."
    )
    commitments: list[CommitmentRead] = Field(
        description=f"The nation's own commitments: the first {EMBEDDED_LIMIT} by id."
    )
    commitments_total: int = Field(description="How many commitments the nation has of its own.")
    commitments_all: str | None = Field(
        description="`/commitments` of this nation, every one of them (null when it has none)."
    )
    coalition_commitments: list[CoalitionCommitment] = Field(
        description="For members: commitments of the coalition's force as a whole, which the "
        "sources do not attribute to this nation by name, each saying whether the member "
        "inherits it (`inherited`) and, if not, why (`excluded_by`)."
    )
    coalition_commitments_total: int = Field(
        description="For members: how many commitments the coalition's force as a whole has; "
        f"`coalition_commitments` shows the first {EMBEDDED_LIMIT} by id."
    )
    coalition_commitments_all: str | None = Field(
        description="For members: `/commitments` filtered to the coalition's force as a whole, "
        "every one of them (each nation's inheritance of them is on this page and on "
        "`/nations?include_coalition=true`)."
    )
    conditions: list[ConditionRead] = Field(
        description="Conditions on the nation's commitments or tied to the nation: the first "
        f"{EMBEDDED_LIMIT} by id."
    )
    conditions_total: int = Field(description="How many such conditions there are.")
    conditions_all: str | None = Field(
        description="`/conditions` of this nation, every one of them (null when it has none)."
    )
    statements: list[StatementRead] = Field(
        description=f"Statements by the nation's people: the first {EMBEDDED_LIMIT} by id."
    )
    statements_total: int = Field(description="How many statements the nation's people made.")
    statements_all: str | None = Field(
        description="`/statements` of this nation, every one of them (null when it has none)."
    )
    disputes: list[NationDispute] = Field(
        description="Where the sources disagree about this nation, with the claims on each "
        "side (a page of them for a dispute with many: `claims_total` and `dispute` say how "
        "many and where they all are)."
    )
