import datetime as dt

from pydantic import BaseModel, Field

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
    document: str = Field(description="File under data/ the source is cut from.")
    document_sha256: str = Field(description="sha256 of the seed document.")
    first_line: int = Field(description="First line of the source in the document (1-based).")
    last_line: int = Field(description="Last line (inclusive).")
    start_char: int = Field(description="Character offset of the source in the document.")
    end_char: int = Field(description="Offset just past the source in the document.")
    evidence_count: int = Field(description="Evidence items quoting this source.")
    outlets_cited: list[OutletCited] = Field(
        description="Outlets this source attributes claims to, with how often."
    )


class SourceDetail(SourceRead):
    text: str = Field(description="The source's full text; evidence offsets index into it.")
