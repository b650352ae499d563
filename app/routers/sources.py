from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES, NotFound
from app.listing import LIST_RESPONSES, PageDep, SortKey, fetch_page, make_page, render_page
from app.models import Evidence, Outlet, Source
from app.schemas.common import Page
from app.schemas.sources import OutletCited, SourceDetail, SourceRead

router = APIRouter(prefix="/sources", tags=["sources"])


def _counts(
    session: Session, source_ids: list[str]
) -> tuple[dict[str, int], list[tuple[str, Outlet, int]]]:
    totals = dict(
        session.execute(
            select(Evidence.source_id, func.count())
            .where(Evidence.source_id.in_(source_ids))
            .group_by(Evidence.source_id)
        )
        .tuples()
        .all()
    )
    per_outlet = (
        session.execute(
            select(Evidence.source_id, Outlet, func.count())
            .join(Outlet, Evidence.outlet_id == Outlet.id)
            .where(Evidence.source_id.in_(source_ids))
            .group_by(Evidence.source_id, Outlet.id, Outlet.name, Outlet.url)
            .order_by(Evidence.source_id, Outlet.name)
        )
        .tuples()
        .all()
    )
    return totals, list(per_outlet)


def _describe(
    source: Source, totals: dict[str, int], per_outlet: list[tuple[str, Outlet, int]]
) -> dict[str, object]:
    return {
        **{c: getattr(source, c) for c in SourceDetail.model_fields if hasattr(source, c)},
        "evidence_count": totals.get(source.id, 0),
        "outlets_cited": [
            OutletCited(id=o.id, name=o.name, url=o.url, evidence_count=n)
            for sid, o, n in per_outlet
            if sid == source.id
        ],
    }


@router.get("", response_model=Page[SourceRead], responses=LIST_RESPONSES)
def list_sources(request: Request, session: SessionDep, page: PageDep) -> Response:
    """List the source articles, with evidence counts and the outlets each cites."""
    sources, total, next_cursor = fetch_page(
        session, select(Source), page, "id", SortKey([], Source.id)
    )
    totals, per_outlet = _counts(session, [s.id for s in sources])
    items = [SourceRead.model_validate(_describe(s, totals, per_outlet)) for s in sources]
    body = Page[SourceRead](**make_page(request, page, items, total, next_cursor))
    return render_page(request, page, body, "sources", SourceRead)


@router.get("/{source_id}", responses=PROBLEM_RESPONSES)
def get_source(
    session: SessionDep,
    source_id: Annotated[
        str,
        Path(
            max_length=40,
            description="Id of the resource, as given in lists.",
            examples=["article-a"],
        ),
    ],
) -> SourceDetail:
    """One source with its full text, evidence count and the outlets it cites."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id!r}.")
    totals, per_outlet = _counts(session, [source.id])
    return SourceDetail.model_validate(_describe(source, totals, per_outlet))
