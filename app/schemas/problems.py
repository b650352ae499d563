"""The problem-type catalogue as the API lists it (`/problems`)."""

from pydantic import BaseModel, Field


class ProblemType(BaseModel):
    """One kind of error answer: what its `type` URI means and what to do about it."""

    name: str = Field(description="The last part of `type`, as /problems/{name} takes it.")
    type: str = Field(description="The URI errors of this kind carry.")
    title: str = Field(description="The `title` errors of this kind carry.")
    status: int | None = Field(
        description="The HTTP status errors of this kind answer with; null when it varies."
    )
    meaning: str = Field(description="What happened.")
    remedy: str = Field(description="What to do about it.")


class ProblemTypeList(BaseModel):
    items: list[ProblemType] = Field(description="Every kind of error answer this API gives.")
