"""Sources: the articles, the outlets they cite, and how a source file registers them."""

import datetime as dt

from pydantic import BaseModel, Field

from app.formats import SLUG
from app.schemas.bodies import Strict
from app.schemas.common import ReadModel


class OutletCited(BaseModel):
    id: str = Field(description="Id of the outlet.", examples=["reuters"])
    name: str = Field(
        description="Name of the outlet as the article gives it.", examples=["Reuters"]
    )
    url: str | None = Field(description="The outlet's home page.")
    evidence_count: int = Field(description="Evidence items this source attributes to the outlet.")


class SourceRead(ReadModel):
    id: str = Field(description="Stable id of the source.", examples=["article-a"])
    title: str = Field(description="The article's headline.")
    publisher: str | None = Field(description="Null: the seed document does not name it.")
    published: dt.date | None = Field(description="Null: the seed document does not date it.")
    url: str | None = Field(description="Null: the seed document gives no URL.")
    note: str | None = Field(description="Curators' note on the source.")
    document: str | None = Field(description="File under data/ the source is cut from.")
    document_sha256: str | None = Field(description="sha256 of the seed document.")
    first_line: int | None = Field(
        description="First line of the source in the document (1-based)."
    )
    last_line: int | None = Field(description="Last line (inclusive).")
    start_char: int | None = Field(description="Character offset of the source in the document.")
    end_char: int | None = Field(description="Offset just past the source in the document.")
    text_sha256: str = Field(description="sha256 of the text (UTF-8); the text never changes.")
    origin: str = Field(description="`seed` (cut from the seed document) or `api` (registered).")
    created_at: dt.datetime = Field(description="When the source was stored (UTC).")
    evidence_count: int = Field(description="Evidence items of standing facts quoting this source.")
    outlets_cited: list[OutletCited] = Field(
        description="Outlets this source attributes claims to, with how often."
    )


class SourceDetail(SourceRead):
    text: str = Field(description="The source's full text; evidence offsets index into it.")


class SourceCreate(Strict):
    """A source text to quote from. Stored as given, never changed afterwards."""

    title: str = Field(
        min_length=3,
        max_length=300,
        description="Headline.",
        examples=["Dutch parliament backs troops"],
    )
    publisher: str | None = Field(
        default=None, max_length=200, description="Outlet or publisher.", examples=["Reuters"]
    )
    published: dt.date | None = Field(default=None, description="Publication date.")
    url: str | None = Field(
        default=None,
        max_length=500,
        description="Where it was published.",
        examples=["https://example.org/a"],
    )
    note: str | None = Field(default=None, max_length=2000, description="Curators' note.")
    text: str = Field(
        min_length=20,
        max_length=500_000,
        description="The full text, exactly as published: evidence quotes must be verbatim in it.",
    )


class SourceIn(Strict):
    id: str = Field(pattern=SLUG)
    title: str
    lines: tuple[int, int]
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    note: str | None = None


class OutletIn(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    url: str | None = None


class SourcesFile(Strict):
    document: str
    sources: list[SourceIn]
    outlets: list[OutletIn]
