"""Disputes: where the sources disagree, or a later source changes an earlier one."""

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from app.schemas.common import EMBEDDED_LIMIT, EvidenceRead, Page


class DisputeKind(StrEnum):
    contradiction = "contradiction"
    refinement = "refinement"
    wording = "wording"


DISPUTE_KIND_DEFINITIONS: dict[DisputeKind, str] = {
    DisputeKind.contradiction: "The sources cannot both be right: a pledge against a "
    "hesitation or a refusal, an openness against a refusal, inside Ukraine against outside, "
    "combat against non-combat, or leaders named that exclude each other.",
    DisputeKind.refinement: "Both can be right: one source narrows or details what the other "
    "says (open to training, then pledged to it; roles or members the other leaves out).",
    DisputeKind.wording: "The same speaker on the same subject, in different words.",
}


class DisputeRule(StrEnum):
    leadership = "leadership"
    stance = "stance"
    role = "role"
    role_set = "role_set"
    participation = "participation"
    wording = "wording"


DISPUTE_RULE_DEFINITIONS: dict[DisputeRule, str] = {
    DisputeRule.leadership: "The sources name different nations as leading the coalition.",
    DisputeRule.stance: "One source gives a nation no pledge (only open to, considering, "
    "pending, hesitant or ruled out); another has it pledging something.",
    DisputeRule.role: "The same role of the same nation (or of the coalition's force as a "
    "whole) with a different status, or a different place or combat status where both say.",
    DisputeRule.role_set: "Both sources give a nation roles, but not the same roles.",
    DisputeRule.participation: "One source leaves members of a group unnamed; another names "
    "nations of that group as members.",
    DisputeRule.wording: "The same speaker on the same topic, in different words.",
}


class DisputeClaim(BaseModel):
    """What one source says about the disputed subject, with its evidence from that source."""

    source: str = Field(description="Id of the source.", examples=["article-a"])
    source_title: str = Field(description="The source's headline.")
    source_published: dt.date | None = Field(
        description="Date of publication; null where the source does not give it."
    )
    facts: list[str] = Field(
        description="Ids of the facts that make up this claim.", examples=[["de-troops-hesitant"]]
    )
    claim: str = Field(
        description="The claim in words, derived from the facts' fields.",
        examples=["troops: hesitant"],
    )
    nations: list[str] = Field(
        description="Alpha-2 codes of the nations the claim names (its facts' nations, "
        "speakers' nations or members); empty where it names none (the coalition's force as a "
        "whole, members left unnamed).",
        examples=[["DE"]],
    )
    evidence: list[EvidenceRead] = Field(
        description="The facts' evidence from this source only (a quote shared by several of "
        "the facts is given once)."
    )


class DisputeRead(BaseModel):
    """A subject on which the sources disagree: each side's claim, with its evidence."""

    id: str = Field(
        description="Stable id, derived from the subject.",
        examples=["nation-de-stance", "leadership", "statement-zelenskyy-reaction-to-pledge"],
    )
    kind: DisputeKind = Field(
        description="How the claims stand to each other: "
        + "; ".join(f"`{k.value}`: {text}" for k, text in DISPUTE_KIND_DEFINITIONS.items())
    )
    rule: DisputeRule = Field(
        description="The rule that found the dispute (where several did, the most specific): "
        + "; ".join(f"`{k.value}`: {text}" for k, text in DISPUTE_RULE_DEFINITIONS.items())
    )
    subject: str = Field(description="What the sources disagree about.", examples=["Germany"])
    nations: list[str] = Field(
        description="Alpha-2 codes of the nations the dispute is about.", examples=[["DE"]]
    )
    differences: list[str] = Field(
        description="How the claims differ, one line per difference the rules found. Sources "
        "that say the same are named together on one line ('troops: ruled out in article-a, "
        "pledged in source-c and source-d'): the lines are as many as the distinct claims, not "
        "as the pairs of sources."
    )
    claims: list[DisputeClaim] = Field(
        description="One claim per source, ordered by publication date where the sources "
        "give it, then by source id."
    )
    later_source_changes_earlier: bool | None = Field(
        description="True when the sources' publication dates order them (the later claim "
        "changes the earlier); false when they share a date; null when a date is unknown."
    )


class DisputeItem(DisputeRead):
    """A dispute as a list embeds it, bounded whatever the data: at most EMBEDDED_LIMIT claims
    and differences, how many there are, and the link to it whole."""

    claims: list[DisputeClaim] = Field(
        description=f"At most {EMBEDDED_LIMIT} of the dispute's claims, each whole with its "
        "evidence, in the dispute's claim order; with a nation (`nation=`, a nation's page), "
        "those that name it first (their `nations`), then the others (the other side). "
        "`claims_total` says how many there are."
    )
    differences: list[str] = Field(
        description=f"The dispute's first {EMBEDDED_LIMIT} differences. "
        "`differences_total` says how many there are."
    )
    claims_total: int = Field(description="How many claims the dispute has.")
    claims_naming_total: int | None = Field(
        description="With a nation (`nation=`): how many of the dispute's claims name it; "
        "null without."
    )
    differences_total: int = Field(description="How many differences the rules found.")
    dispute: str = Field(
        description="The dispute whole, every claim with its evidence.",
        examples=["/disputes/leadership"],
    )


class DisputePage(Page[DisputeItem]):
    """Disputes, ordered by id."""
