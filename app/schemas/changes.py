"""Audit log entries as the API shows them: who changed what, when, why, before and after."""

import datetime as dt
from typing import Any

from pydantic import Field

from app.schemas.common import ReadModel


class ChangeRead(ReadModel):
    """One entry of the audit log."""

    id: int = Field(description="Increasing id: poll with `since=<the last id you saw>`.")
    at: dt.datetime = Field(description="When the change was committed (UTC).")
    actor: str = Field(
        description="The API key's name, or `seed` / `import` for loads from the CLI.",
        examples=["newsroom-desk"],
    )
    action: str = Field(description="`create`, `update` or `retract`.", examples=["update"])
    entity: str = Field(description="`fact`, `source`, `nation` or `outlet`.", examples=["fact"])
    entity_id: str = Field(description="Id of what changed.", examples=["it-troops-ruled-out"])
    reason: str | None = Field(description="Why, as the writer gave it.")
    before: dict[str, Any] | None = Field(description="Its full state before; null if new.")
    after: dict[str, Any] | None = Field(description="Its full state after.")
