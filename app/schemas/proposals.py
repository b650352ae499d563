"""Proposals as the API shows them (candidate, evidence, relation to held facts, state) and the
bodies of a run, an accept and a reject."""

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.schemas.bodies import Strict
from app.schemas.common import ReadModel
from app.vocab import Certainty, FactKind, ProposalStatus, RelationKind


class ProposedEvidenceRead(BaseModel):
    source: str = Field(description="Id of the source the quote comes from.")
    quote: str = Field(description="The exact words: the source's text[start:end].")
    start: int = Field(description="Character offset of the quote in the source's text.")
    end: int = Field(description="Offset just past the quote.")
    line: int = Field(description="Line of the quote (1-based, as the source numbers them).")
    outlet: str | None = Field(default=None, description="Outlet the article attributes it to.")
    certainty: Certainty = Field(description="stated, reported or hedged.")
    hedge: list[str] | None = Field(default=None, description="The hedging words, as written.")
    occurrence: int | None = Field(
        default=None, description="Which occurrence of the quote, when it occurs more than once."
    )


class RelationRead(BaseModel):
    kind: RelationKind = Field(
        description="new; confirms an existing fact (extra evidence on it); refines it "
        "(narrower); contradicts it (a dispute to be)."
    )
    fact_id: str | None = Field(description="The existing fact it relates to.")
    note: str = Field(description="What is the same and what differs.")


class ProposalRead(ReadModel):
    id: int = Field(description="Id of the proposal.")
    source: str = Field(description="The source it was drawn from.")
    kind: FactKind = Field(description="membership, commitment, condition or statement.")
    status: ProposalStatus = Field(description="pending, accepted or rejected.")
    fact: dict[str, Any] = Field(
        description="The fact in the data files' format, as proposed: what accepting writes "
        "(for `confirms`, the existing fact with this source's evidence added)."
    )
    evidence: list[ProposedEvidenceRead] = Field(
        description="The evidence this source adds, with offsets, to highlight in its text."
    )
    confidence: float = Field(description="0 to 1: how surely the cues support it.")
    reasons: list[str] = Field(description="Which cues fired, with their words.")
    relation: RelationRead = Field(description="How it stands to the facts already held.")
    importable: bool = Field(
        description="False where accepting it as is would break a rule (a second membership "
        "fact for a nation): accept it with an edited fact, or edit the existing fact."
    )
    created_at: dt.datetime = Field(description="When the engine proposed it (UTC).")
    created_by: str = Field(description="The key that ran the engine.")
    decided_at: dt.datetime | None = Field(description="When it was accepted or rejected.")
    decided_by: str | None = Field(description="The key that accepted or rejected it.")
    decision_reason: str | None = Field(description="Why it was accepted or rejected.")
    fact_id: str | None = Field(description="The fact written when it was accepted.")


class ProposalRun(BaseModel):
    source: str = Field(description="The source the engine read.")
    created: int = Field(description="Proposals stored by this run.")
    replaced: int = Field(description="Pending proposals of an earlier run rejected by this one.")
    relations: dict[str, int] = Field(description="How many are new, confirm, refine, contradict.")
    items: list[ProposalRead] = Field(description="The proposals stored.")


class ProposalAccept(Strict):
    """Accept a proposal: write its fact (or the edited one) like any curated write."""

    fact: dict[str, Any] | None = Field(
        default=None,
        description="The fact as edited by the curator, in the data files' format (its id is "
        "the proposal's and may be left out). Omitted: the proposal's fact as proposed.",
    )
    reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Why; kept in the audit log with the written fact and the decision.",
    )


class ProposalReject(Strict):
    reason: str = Field(
        min_length=3,
        max_length=1000,
        description="Why the proposal is rejected; kept on it and in the audit log.",
        examples=["Misreads the article: the force, not Germany, patrols the Black Sea."],
    )
