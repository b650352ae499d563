"""Conditions: what must happen first, and what it gates."""

from typing import Annotated

from pydantic import MISSING, Field

from app.schemas.bodies import REASON, Correction, FactBody, FactIn
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


# Each field a condition body states, defined once for a new condition and a correction.
KIND = Field(
    description="ceasefire, ground_conditions, rules_of_engagement, parliamentary_approval, "
    "us_engagement or russian_opposition."
)
NATURE = Field(description="precondition (must happen first) or obstacle.")
NATION = Field(description="The nation whose condition or obstacle it is, if any.", examples=["DE"])
GATES = Field(description="Ids of the commitments this condition gates.")


class ConditionFields(FactBody):
    """A condition as a data file states it (with its id: `ConditionIn`)."""

    kind: Annotated[ConditionKind, KIND]
    nature: Annotated[ConditionNature, NATURE]
    nation: Annotated[str | None, NATION] = None
    gates: Annotated[list[str], GATES] = []


class ConditionIn(FactIn, ConditionFields):
    pass


class ConditionCreate(ConditionFields):
    """A new condition, with its evidence. The id is assigned by the API."""

    reason: Annotated[str | None, REASON] = None


class ConditionUpdate(Correction):
    """A correction: only the fields given change (evidence, if given, is replaced as a whole).
    The result is verified like a new condition."""

    kind: Annotated[ConditionKind, KIND] | MISSING = MISSING
    nature: Annotated[ConditionNature, NATURE] | MISSING = MISSING
    nation: Annotated[str | None, NATION] | MISSING = MISSING
    gates: Annotated[list[str], GATES] | MISSING = MISSING
