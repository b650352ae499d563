"""People's statements, quoted or reported."""

from typing import Annotated

from pydantic import MISSING, Field

from app.formats import SLUG
from app.schemas.bodies import REASON, Correction, FactBody, FactIn
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


# Each field a statement body states, defined once for a new statement and a correction.
SPEAKER = Field(
    min_length=2,
    max_length=100,
    description="Who spoke, as the source names them (must occur in a source).",
    examples=["Emmanuel Macron"],
)
SPEAKER_TITLE = Field(description="The speaker's office.", examples=["President of France"])
SPEAKER_NATION = Field(description="The speaker's nation (alpha-2).", examples=["FR"])
MODE = Field(description="direct (their own words, in quotation marks) or reported (paraphrase).")
TEXT = Field(
    description="The words or the paraphrase, verbatim; must lie inside one of the quotes.",
    min_length=2,
)
TOPIC = Field(
    description="What the words are about (a slug), to compare sources.",
    examples=["reaction-to-pledge"],
    pattern=SLUG,
    max_length=80,
)
EVENT = Field(description="Id of the event, if the source places the words at one.")


class StatementFields(FactBody):
    """A statement as a data file states it (with its id: `StatementIn`)."""

    speaker: Annotated[str, SPEAKER]
    speaker_title: Annotated[str | None, SPEAKER_TITLE] = None
    speaker_nation: Annotated[str | None, SPEAKER_NATION] = None
    mode: Annotated[StatementMode, MODE]
    text: Annotated[str, TEXT]
    topic: Annotated[str | None, TOPIC] = None
    event: Annotated[str | None, EVENT] = None


class StatementIn(FactIn, StatementFields):
    pass


class StatementCreate(StatementFields):
    """A new statement, with its evidence. The id is assigned by the API."""

    reason: Annotated[str | None, REASON] = None


class StatementUpdate(Correction):
    """A correction: only the fields given change (evidence, if given, is replaced as a whole).
    The result is verified like a new statement."""

    speaker: Annotated[str, SPEAKER] | MISSING = MISSING
    speaker_title: Annotated[str | None, SPEAKER_TITLE] | MISSING = MISSING
    speaker_nation: Annotated[str | None, SPEAKER_NATION] | MISSING = MISSING
    mode: Annotated[StatementMode, MODE] | MISSING = MISSING
    text: Annotated[str, TEXT] | MISSING = MISSING
    topic: Annotated[str | None, TOPIC] | MISSING = MISSING
    event: Annotated[str | None, EVENT] | MISSING = MISSING
