"""Conditions: what must happen first, and what it gates."""

from pydantic import Field

from app.schemas.bodies import FactBody, FactIn
from app.schemas.common import EVIDENCE, SUMMARY, CommitmentRef, EvidenceRead, FactMeta
from app.vocab import (
    ConditionKind,
    ConditionNature,
)


class ConditionRead(FactMeta):
    """Something that must happen first (or stands in the way), and what it gates."""

    id: str = Field(
        description="Stable id of the condition (a slug).", examples=["ceasefire-or-armistice"]
    )
    kind: ConditionKind = Field(
        description="ceasefire, ground_conditions, rules_of_engagement, parliamentary_approval, "
        "us_engagement or russian_opposition.",
        validation_alias="condition_kind",
    )
    nature: ConditionNature = Field(
        description="`precondition`: must happen first; `obstacle`: stands in the way."
    )
    nation: str | None = Field(
        validation_alias="nation_code", description="The nation whose condition or obstacle it is."
    )
    summary: str = SUMMARY
    gates: list[CommitmentRef] = Field(description="The commitments this condition gates.")
    evidence: list[EvidenceRead] = EVIDENCE


class ConditionFields(FactBody):
    kind: ConditionKind = Field(
        description="ceasefire, ground_conditions, rules_of_engagement, parliamentary_approval, "
        "us_engagement or russian_opposition."
    )
    nature: ConditionNature = Field(description="precondition (must happen first) or obstacle.")
    nation: str | None = Field(
        default=None,
        description="The nation whose condition or obstacle it is, if any.",
        examples=["DE"],
    )
    gates: list[str] = Field(default=[], description="Ids of the commitments this condition gates.")


class ConditionIn(FactIn, ConditionFields):
    pass
