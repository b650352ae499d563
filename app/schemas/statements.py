"""People's statements, quoted or reported."""

from pydantic import Field

from app.formats import SLUG
from app.schemas.bodies import FactBody, FactIn
from app.schemas.common import EVIDENCE, SUMMARY, EvidenceRead, FactMeta
from app.vocab import (
    StatementMode,
)


class StatementRead(FactMeta):
    """A person's words: quoted directly or reported by the article."""

    id: str = Field(
        description="Stable id of the statement.", examples=["macron-commitment-of-substance"]
    )
    speaker: str = Field(
        description="Who spoke, as the source names them.", examples=["Emmanuel Macron"]
    )
    speaker_title: str | None = Field(
        description="The speaker's office.", examples=["President of France"]
    )
    speaker_nation: str | None = Field(
        description="The speaker's nation (alpha-2).",
        validation_alias="speaker_nation_code",
        examples=["FR"],
    )
    mode: StatementMode = Field(
        description="`direct`: the person's own words, in quotation marks; `reported`: the "
        "article's paraphrase."
    )
    text: str = Field(
        description="The words (direct) or the paraphrase (reported), verbatim from the source.",
        examples=["This is a commitment of substance, not just words"],
    )
    topic: str | None = Field(
        description="What the words are about (a curated slug): the same speaker on the same "
        "topic in two sources is compared by /disputes.",
        examples=["reaction-to-pledge"],
    )
    event: str | None = Field(
        description="Id of the event, where the source places the statement at one.",
        validation_alias="event_id",
        examples=["paris-summit-2025-09-04"],
    )
    summary: str = SUMMARY
    evidence: list[EvidenceRead] = EVIDENCE


class StatementFields(FactBody):
    speaker: str = Field(
        min_length=2,
        max_length=100,
        description="Who spoke, as the source names them (must occur in a source).",
        examples=["Emmanuel Macron"],
    )
    speaker_title: str | None = Field(
        default=None, description="The speaker's office.", examples=["President of France"]
    )
    speaker_nation: str | None = Field(
        default=None, description="The speaker's nation (alpha-2).", examples=["FR"]
    )
    mode: StatementMode = Field(
        description="direct (their own words, in quotation marks) or reported (paraphrase)."
    )
    text: str = Field(
        description="The words or the paraphrase, verbatim; must lie inside one of the quotes.",
        min_length=2,
    )
    topic: str | None = Field(
        description="What the words are about (a slug), to compare sources.",
        examples=["reaction-to-pledge"],
        default=None,
        pattern=SLUG,
        max_length=80,
    )
    event: str | None = Field(
        default=None, description="Id of the event, if the source places the words at one."
    )


class StatementIn(FactIn, StatementFields):
    pass
