from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.config import get_settings
from app.db import ReadSessionDep
from app.disputes import find_disputes
from app.errors import PROBLEM_RESPONSES, NotFound
from app.queries import resolve_nation
from app.representation import respond_model
from app.schemas.disputes import (
    DISPUTE_KIND_DEFINITIONS,
    DisputeKind,
    DisputePage,
    DisputeRead,
)

router = APIRouter(prefix="/disputes", tags=["disputes"])
_settings = get_settings()


@router.get("", response_model=DisputePage, responses=PROBLEM_RESPONSES)
def list_disputes(
    request: Request,
    session: ReadSessionDep,
    nation: Annotated[
        str | None,
        Query(
            pattern="^[A-Za-z]{2,3}$",
            description="Only disputes about this nation: alpha-2 or alpha-3 code, any case.",
            examples=["DE"],
        ),
    ] = None,
    kind: Annotated[
        DisputeKind | None,
        Query(
            description="Only disputes of this kind: "
            + "; ".join(f"`{k.value}`: {text}" for k, text in DISPUTE_KIND_DEFINITIONS.items()),
            examples=["stance"],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=_settings.max_page_size,
            description=f"Page size, 1–{_settings.max_page_size}.",
        ),
    ] = _settings.default_page_size,
    offset: Annotated[int, Query(ge=0, le=_settings.max_offset, description="Rows to skip.")] = 0,
) -> Response:
    """List the places where the sources disagree, each with both claims and their evidence."""
    code = resolve_nation(session, nation) if nation is not None else None
    found = [
        d
        for d in find_disputes(session)
        if (code is None or code in d.nations) and (kind is None or d.kind is kind)
    ]
    next_url = None
    if offset + limit < len(found):
        next_url = str(request.url.include_query_params(offset=offset + limit))
    page = DisputePage(
        items=found[offset : offset + limit],
        total=len(found),
        limit=limit,
        offset=offset,
        next=next_url,
    )
    return respond_model(request, page)


@router.get("/{dispute_id}", response_model=DisputeRead, responses=PROBLEM_RESPONSES)
def get_dispute(
    request: Request,
    session: ReadSessionDep,
    dispute_id: Annotated[
        str,
        Path(
            max_length=120,
            description="Id of the dispute, as given in the list.",
            examples=["nation-de-stance"],
        ),
    ],
) -> Response:
    """One dispute: the subject, each source's claim and its evidence."""
    for found in find_disputes(session):
        if found.id == dispute_id:
            return respond_model(request, found)
    raise NotFound(f"No dispute {dispute_id!r}.")
