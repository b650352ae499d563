"""What the application holds for every request, typed: `create_app` sets it once on
`app.state`, and code reads it through these dependencies (or the functions behind them), never
through untyped `request.app.state` attributes."""

from typing import Annotated, cast

from fastapi import Depends, Request

from app.config import Settings
from app.facts.reference import Reference


def app_settings(request: Request) -> Settings:
    """The settings this application was created with (`create_app(settings)`)."""
    return cast(Settings, request.app.state.settings)


def app_reference(request: Request) -> Reference:
    """The nations reference and the groups, read once when the application was created."""
    return cast(Reference, request.app.state.reference)


SettingsDep = Annotated[Settings, Depends(app_settings)]
ReferenceDep = Annotated[Reference, Depends(app_reference)]
