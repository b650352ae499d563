"""What every write body shares, in the data files and the API alike: no unknown field, no NUL
character, and evidence (a verbatim quote, its outlet, its certainty and hedge words)."""

from typing import Annotated, Any, Self

from pydantic import MISSING, BaseModel, ConfigDict, Field, model_validator

from app.formats import SLUG
from app.vocab import Certainty


def _without_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'value'}: NUL characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _without_nul(item, f"{where}[{i}]")


class Strict(BaseModel):
    """The bodies the API and the data files take: no unknown field, and no NUL character in
    any text (PostgreSQL text cannot hold one; refused alike on both backends)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _without_nul(data, "")
        return data


class EvidenceIn(Strict):
    source: str = Field(
        description="Id of the stored source the quote comes from.", examples=["article-a"]
    )
    quote: str = Field(
        description="Verbatim words of the source (curly quotes and dashes included); "
        "refused unless found.",
        examples=["Italy has already clarified that it will not commit ground troops"],
        min_length=3,
    )
    outlet: str | None = Field(
        default=None,
        description='Id of the outlet the source attributes this to ("According to Reuters").',
        examples=["reuters"],
    )
    certainty: Certainty = Field(
        description="stated, reported (needs outlet) or hedged (needs hedge)."
    )
    # One hedge, or several where the wording stacks them ("reportedly … potentially").
    hedge: str | list[str] | None = Field(
        default=None,
        description="With hedged: the hedging word(s) as written, in the quote or the 400 "
        "characters before it.",
        examples=["reportedly"],
    )
    occurrence: int | None = Field(
        description="Which occurrence (1-based), when the quote occurs more than once.",
        default=None,
        ge=1,
    )

    @model_validator(mode="after")
    def certainty_fits(self) -> Self:
        if self.certainty is Certainty.reported and not self.outlet:
            raise ValueError("certainty 'reported' needs the outlet the article attributes it to")
        if self.certainty is Certainty.hedged and not self.hedge:
            raise ValueError("certainty 'hedged' needs the hedge word(s) as written")
        if self.certainty is Certainty.stated and (self.outlet or self.hedge):
            raise ValueError("certainty 'stated' takes no outlet or hedge (use reported/hedged)")
        if self.hedge and self.certainty is not Certainty.hedged:
            raise ValueError("a hedge is given, so certainty must be 'hedged'")
        return self

    @property
    def hedges(self) -> list[str]:
        if self.hedge is None:
            return []
        return [self.hedge] if isinstance(self.hedge, str) else list(self.hedge)


# The fields every fact states, defined once: a new fact requires them, a correction may give
# them (`Correction`), with the same limits and words in both schemas.
SUMMARY_BODY = Field(
    description="One sentence in your words that says no more than the evidence.",
    min_length=3,
    max_length=2000,
)
EVIDENCE_BODY = Field(
    description="One or more verbatim quotes supporting the fact.", min_length=1, max_length=50
)
REASON = Field(
    max_length=1000,
    description="Why the change is made; kept in the audit log (GET /changes).",
    examples=["Parliament approved the deployment on 2025-10-01 (new source: article-c)."],
)


class FactBody(Strict):
    """What every fact states, whether written in a file (with its id) or through the API
    (which assigns the id)."""

    summary: Annotated[str, SUMMARY_BODY]
    evidence: Annotated[list[EvidenceIn], EVIDENCE_BODY]


class Correction(Strict):
    """What every correction (PATCH) may give: only the fields given change, each held to the
    limits it has in a new fact (a field left out is `MISSING`, never null). Evidence, if
    given, replaces the old as a whole; the result is verified like a new fact."""

    summary: Annotated[str, SUMMARY_BODY] | MISSING = MISSING
    evidence: Annotated[list[EvidenceIn], EVIDENCE_BODY] | MISSING = MISSING
    reason: Annotated[str | None, REASON] = None


class FactIn(FactBody):
    id: str = Field(pattern=SLUG, max_length=80)
