"""What the engine hands out: a candidate fact in the data files' format with its located
evidence, confidence, reasons and relation to the facts already held; and the draft each
extractor makes before drafts are merged into candidates."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from app.facts.verify import SourceRef
from app.proposals.mentions import Mention
from app.proposals.text import Unit
from app.vocab import Certainty, RelationKind


class Relation(BaseModel):
    kind: RelationKind = Field(description="new, confirms, refines or contradicts.")
    fact_id: str | None = Field(default=None, description="The existing fact it relates to.")
    note: str = Field(default="", description="What is the same and what differs.")


class ProposedEvidence(BaseModel):
    source: str
    quote: str = Field(description="Exact words of the source: text[start:end].")
    start: int
    end: int
    line: int
    outlet: str | None = None
    certainty: Certainty
    hedge: list[str] | None = None
    occurrence: int | None = None

    def as_file_item(self) -> dict[str, Any]:
        """The evidence item as the data files (and `pledgedb import`) take it."""
        item: dict[str, Any] = {"source": self.source, "quote": self.quote}
        if self.outlet:
            item["outlet"] = self.outlet
        item["certainty"] = self.certainty.value
        if self.hedge:
            item["hedge"] = self.hedge[0] if len(self.hedge) == 1 else list(self.hedge)
        if self.occurrence:
            item["occurrence"] = self.occurrence
        return item


class Candidate(BaseModel):
    kind: str = Field(description="membership, commitment, condition or statement.")
    fact: dict[str, Any] = Field(description="The fact in the data files' format, with its id.")
    evidence: list[ProposedEvidence] = Field(description="The evidence this article adds.")
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(description="Which cues fired, with their words.")
    relation: Relation
    importable: bool = Field(
        default=True,
        description="False where importing would break a rule (a second membership fact for "
        "a nation): the curator edits the existing fact instead.",
    )


@dataclass
class Article:
    """What the engine reads: the text as stored (offsets index it) and what is known of it."""

    source: SourceRef
    published: dt.date | None = None


@dataclass
class Draft:
    """One extractor's finding: a fact's own fields, where its quote stands, and why."""

    kind: str
    fields: dict[str, Any]
    start: int
    end: int
    unit: Unit
    confidence: float
    reasons: list[str]
    hedge_from: int | None = None  # where hedges may be looked for (a list's lead)
    mentions: list[Mention] = field(default_factory=list)
    gates_hint: tuple[str | None, tuple[str, ...]] | None = None  # conditions: (nation, roles)

    def key(self) -> tuple[Any, ...]:
        f = self.fields
        if self.kind == "commitment":
            return (
                self.kind,
                f["actor"],
                f.get("nation"),
                f.get("coalition_scope"),
                f.get("group"),
                f["role"],
                f["status"],
            )
        if self.kind == "membership":
            return (self.kind, f["nation"])
        if self.kind == "condition":
            return (self.kind, f["kind"], f["nature"], f.get("nation"))
        return (self.kind, f["speaker"], f["mode"], f["text"])
