"""Sources (`/sources`): the articles with their text and outlets; a curator registers a new one."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import Path, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.auth import AdminKey
from app.api.cursors import SortKey
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep, WriteSessionDep
from app.api.streaming import answer_list
from app.api.writes import WRITE_RESPONSES, new_id
from app.curation.audit import Actor, utcnow
from app.curation.write import text_sha256, upsert_row
from app.errors import PROBLEM_RESPONSES, Conflict, NotFound
from app.schemas.common import Page
from app.schemas.sources import OutletCited, SourceCreate, SourceDetail, SourceRead
from app.store.models import Evidence, Outlet, Source
from app.store.visibility import not_retracted
from app.vocab import Origin

router = PrefixedRouter(prefix="/sources", tags=["sources"], route_class=AnswerRoute)


def _counts(
    session: Session, source_ids: list[str]
) -> tuple[dict[str, int], dict[str, list[OutletCited]]]:
    """Each source's standing evidence, in all and by outlet (by outlet name)."""
    # Left out by the retracted few (a partial index), not by joining every row to `facts`:
    # PostgreSQL's generic plan for a page's 50 sources hashed all 55,000 facts at 1,000x.
    standing = not_retracted(Evidence.__table__.c.fact_id)
    totals = dict(
        session.execute(
            select(Evidence.source_id, func.count())
            .where(Evidence.source_id.in_(source_ids), standing)
            .group_by(Evidence.source_id)
        )
        .tuples()
        .all()
    )
    per_outlet: dict[str, list[OutletCited]] = {}
    for source_id, outlet_id, name, url, count in session.execute(
        select(Evidence.source_id, Outlet.id, Outlet.name, Outlet.url, func.count())
        .join(Outlet, Evidence.outlet_id == Outlet.id)
        .where(Evidence.source_id.in_(source_ids), standing)
        .group_by(Evidence.source_id, Outlet.id, Outlet.name, Outlet.url)
        .order_by(Evidence.source_id, Outlet.name)
    ).tuples():
        per_outlet.setdefault(source_id, []).append(
            OutletCited(id=outlet_id, name=name, url=url, evidence_count=count)
        )
    return totals, per_outlet


def _describe(
    source: Source, totals: dict[str, int], per_outlet: dict[str, list[OutletCited]]
) -> dict[str, object]:
    return {
        **{c: getattr(source, c) for c in SourceDetail.model_fields if hasattr(source, c)},
        "evidence_count": totals.get(source.id, 0),
        "outlets_cited": per_outlet.get(source.id, []),
    }


@router.get("", responses=LIST_RESPONSES)
def list_sources(
    request: Request, session: ReadSessionDep, page: PageDep
) -> Answer[Page[SourceRead]]:
    """List the source articles, with evidence counts and the outlets each cites."""

    def described(sources: Sequence[Source]) -> list[SourceRead]:
        totals, per_outlet = _counts(session, [s.id for s in sources])
        return [SourceRead.model_validate(_describe(s, totals, per_outlet)) for s in sources]

    applied = applied_filters(sort="id")
    sort = SortKey([], Source.id)
    return answer_list(
        request,
        session,
        page,
        select(Source),
        "id",
        sort,
        "sources",
        SourceRead,
        described,
        applied=applied,
    )


@router.get("/{source_id}", responses=PROBLEM_RESPONSES)
def get_source(
    request: Request,
    session: ReadSessionDep,
    source_id: Annotated[
        str,
        Path(
            max_length=40,
            description="Id of the resource, as given in lists.",
            examples=["article-a"],
        ),
    ],
) -> Answer[SourceDetail]:
    """One source with its full text, evidence count and the outlets it cites."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id!r}.")
    totals, per_outlet = _counts(session, [source.id])
    return respond_model(
        request, SourceDetail.model_validate(_describe(source, totals, per_outlet))
    )


@router.post(
    "",
    status_code=201,
    responses=WRITE_RESPONSES,
    openapi_extra={"x-required-scope": "admin"},
    summary="Register a source text",
)
def create_source(
    request: Request, key: AdminKey, session: WriteSessionDep, body: SourceCreate
) -> Answer[SourceDetail]:
    """Store a new source text (admin keys only: sources are what every fact rests on).
    The same text twice is a 409 naming the stored source."""
    digest = text_sha256(body.text)
    existing = session.scalar(select(Source.id).where(Source.text_sha256 == digest))
    if existing is not None:
        raise Conflict(f"This text is already stored as source {existing!r}.", source=existing)
    source_id = new_id(body.title[:30])
    at = utcnow()
    values = body.model_dump() | {"id": source_id, "text_sha256": digest, "origin": Origin.api}
    upsert_row(
        session, Source, "source", source_id, values, Actor(key.name, Origin.api), at,
        on_create={"created_at": at},
    )  # fmt: skip
    session.commit()
    detail = SourceDetail.model_validate(_describe(session.get_one(Source, source_id), {}, {}))
    return respond_model(request, detail, status=201, headers={"Location": f"/sources/{source_id}"})
