"""Review of proposed facts: run the engine on a stored source, list what it proposed, and
accept (the fact is written through the curation write path, in one transaction) or reject
each, with who decided and why in the audit log."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.auth import CuratorKey
from app.api.cursors import SortKey
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.sessions import ReadSessionDep, WriteSessionDep
from app.api.state import app_reference
from app.api.streaming import answer_list
from app.api.writes import WRITE_RESPONSES
from app.curation.audit import Actor, record_change, row_snapshot, utcnow
from app.curation.write import Tally, fields_of, upsert_row, write_facts
from app.errors import PROBLEM_RESPONSES, Conflict, InvalidParameter, NotFound
from app.facts.files import FACT_MODELS
from app.facts.reading import FactsError
from app.facts.verify import SourceRef
from app.proposals.engine import propose, relation_counts
from app.proposals.existing import facts_from_database
from app.proposals.model import Article, Candidate
from app.proposals.reference import Reference, load_reference
from app.schemas.bodies import FactIn
from app.schemas.common import Page
from app.schemas.proposals import (
    ProposalAccept,
    ProposalRead,
    ProposalReject,
    ProposalRun,
)
from app.store.models import Fact, Outlet, Proposal, Source
from app.vocab import FactKind, Origin, ProposalStatus

router = APIRouter(tags=["proposals"], route_class=AnswerRoute)

SourceId = Annotated[
    str,
    Path(max_length=40, description="Id of the source, as given in lists.", examples=["article-a"]),
]
ProposalId = Annotated[
    int, Path(ge=1, le=2**53, description="Id of the proposal, as given in lists.", examples=[1])
]
CURATOR = {"x-required-scope": "curator"}


def _reference(request: Request) -> Reference:
    """The engine's reference data, read once per app (names, leaders, outlets)."""
    state = request.app.state
    if getattr(state, "proposal_reference", None) is None:
        state.proposal_reference = load_reference(state.data_dir)
    reference: Reference = state.proposal_reference
    return reference


def _read(p: Proposal) -> ProposalRead:
    return ProposalRead.model_validate(
        {
            **{name: getattr(p, name) for name in ProposalRead.model_fields if hasattr(p, name)},
            "source": p.source_id,
            "relation": {
                "kind": p.relation,
                "fact_id": p.relation_fact_id,
                "note": p.relation_note,
            },
        }
    )


def _get(session: Session, proposal_id: int, lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"No proposal {proposal_id}.")
    return found


def run_engine(request: Request, source_id: SourceId) -> tuple[Source, list[Candidate]]:
    """Read the source and the facts held, and run the engine, before the write session takes
    the write lock: the engine's work never holds up other writers."""
    with request.app.state.sessionmaker() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise NotFound(f"No source {source_id!r}.")
        reference = _reference(request)
        existing = facts_from_database(session, reference.groups)
        session.expunge(source)
    article = Article(
        SourceRef(source.id, source.text, source.first_line or 1, source.publisher),
        published=source.published,
    )
    return source, propose(article, reference, existing)


@router.post(
    "/sources/{source_id}/proposals",
    status_code=201,
    responses=WRITE_RESPONSES,
    openapi_extra=CURATOR,
    summary="Propose facts from a source",
)
def create_proposals(
    request: Request,
    key: CuratorKey,  # before the engine and the session: refused requests cost nothing
    ran: Annotated[tuple[Source, list[Candidate]], Depends(run_engine)],
    session: WriteSessionDep,
    replace: Annotated[
        bool,
        Query(description="Reject the source's pending proposals of an earlier run (else 409)."),
    ] = False,
) -> Answer[ProposalRun]:
    """Run the proposal engine on a stored source and keep its candidates for review."""
    source, candidates = ran
    who = Actor(key.name, Origin.api)
    at = utcnow()
    pending = session.scalars(
        select(Proposal)
        .where(Proposal.source_id == source.id, Proposal.status == ProposalStatus.pending)
        .with_for_update()
    ).all()
    if pending and not replace:
        raise Conflict(
            f"Source {source.id!r} has {len(pending)} pending proposal(s): accept or reject "
            "them, or run again with replace=true.",
            pending=len(pending),
        )
    for old in pending:
        _decide(session, old, who, ProposalStatus.rejected, "replaced by a new run", "replace")
    stored = []
    for c in candidates:
        p = Proposal(
            source_id=source.id, kind=FactKind(c.kind), fact=c.fact,
            evidence=[e.model_dump(mode="json") for e in c.evidence], confidence=c.confidence,
            reasons=c.reasons, relation=c.relation.kind, relation_fact_id=c.relation.fact_id,
            relation_note=c.relation.note, importable=c.importable,
            status=ProposalStatus.pending, created_at=at, created_by=key.name,
        )  # fmt: skip
        session.add(p)
        session.flush()
        record_change(session, who, at, "propose", "proposal", str(p.id), None, row_snapshot(p))
        stored.append(p)
    session.commit()
    body = ProposalRun(
        source=source.id,
        created=len(stored),
        replaced=len(pending),
        relations=relation_counts(candidates),
        items=[_read(p) for p in stored],
    )
    return respond_model(request, body, status=201)


@router.get("/sources/{source_id}/proposals", responses=LIST_RESPONSES)
def list_proposals(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    source_id: SourceId,
    status: Annotated[
        list[ProposalStatus] | None, Query(description="pending, accepted or rejected.")
    ] = None,
    kind: Annotated[
        list[FactKind] | None, Query(description="membership, commitment, condition, statement.")
    ] = None,
) -> Answer[Page[ProposalRead]]:
    """The proposals drawn from a source, in the order proposed, with their evidence."""
    if session.get(Source, source_id) is None:
        raise NotFound(f"No source {source_id!r}.")
    stmt = select(Proposal).where(Proposal.source_id == source_id)
    if status:
        stmt = stmt.where(Proposal.status.in_(status))
    if kind:
        stmt = stmt.where(Proposal.kind.in_(kind))
    return answer_list(
        request, session, page, stmt, "id", SortKey([], Proposal.id), "proposals", ProposalRead,
        lambda rows: [_read(p) for p in rows],
        applied=applied_filters(status=status, kind=kind, sort="id"),
    )  # fmt: skip


@router.get("/proposals/{proposal_id}", responses=PROBLEM_RESPONSES)
def get_proposal(
    request: Request, session: ReadSessionDep, proposal_id: ProposalId
) -> Answer[ProposalRead]:
    """One proposal, with its fact, evidence, reasons and decision."""
    return respond_model(request, _read(_get(session, proposal_id)))


def _decide(
    session: Session,
    p: Proposal,
    who: Actor,
    status: ProposalStatus,
    reason: str | None,
    action: str,
    fact_id: str | None = None,
) -> None:
    before = row_snapshot(p)
    p.status, p.decided_at, p.decided_by = status, utcnow(), who.name
    p.decision_reason, p.fact_id = reason, fact_id
    session.flush()
    record_change(
        session, who, p.decided_at, action, "proposal", str(p.id), before, row_snapshot(p), reason
    )


def _pending(session: Session, proposal_id: int) -> Proposal:
    p = _get(session, proposal_id, lock=True)
    if p.status is not ProposalStatus.pending:
        raise Conflict(f"Proposal {proposal_id} is already {p.status.value}.")
    return p


def _fact_to_write(
    request: Request, session: Session, p: Proposal, edited: dict[str, Any] | None
) -> FactIn:
    """The fact accepting writes: the curator's edit, else (for `confirms`) the fact as it
    stands now with this source's evidence added, else the fact as proposed."""
    model = FACT_MODELS[f"{p.kind.value}s"]
    fact_id = str(p.fact["id"])
    if edited is not None:
        raw = {**edited, "id": fact_id}
    elif p.relation_fact_id and p.fact["id"] == p.relation_fact_id:
        current = session.get(Fact, p.relation_fact_id)
        if current is None or current.retracted_at is not None:
            raise Conflict(f"Fact {p.relation_fact_id!r} no longer stands: reject this proposal.")
        raw = {**fields_of(current, app_reference(request).groups), "id": current.id}
        raw["evidence"] = [{k: v for k, v in e.items() if v is not None} for e in raw["evidence"]]
        held = {(e["source"], e["quote"], e.get("occurrence")) for e in raw["evidence"]}
        raw["evidence"] += [
            e for e in p.fact["evidence"]
            if (e["source"], e["quote"], e.get("occurrence")) not in held
        ]  # fmt: skip
    else:
        if not p.importable:
            raise Conflict(
                f"Proposal {p.id} cannot be written as is ({p.relation_note}): accept it with "
                "an edited fact, or correct the existing fact instead."
            )
        if session.get(Fact, fact_id) is not None:
            raise Conflict(f"A fact {fact_id!r} exists now: run the proposals again.")
        raw = dict(p.fact)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"fact.{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InvalidParameter(
            "; ".join(problems), errors=[{"message": m} for m in problems]
        ) from exc


def _register_outlets(request: Request, session: Session, spec: FactIn, who: Actor) -> None:
    """Outlets the evidence cites that the database lacks but the reference knows."""
    known = set(session.scalars(select(Outlet.id)))
    reference = _reference(request)
    for e in spec.evidence:
        if e.outlet and e.outlet not in known and e.outlet in reference.outlets:
            o = reference.outlets[e.outlet]
            row = {"id": o.id, "name": o.name, "url": o.url}
            upsert_row(session, Outlet, "outlet", o.id, row, who, utcnow())
            known.add(o.id)


@router.post(
    "/proposals/{proposal_id}/accept",
    responses=WRITE_RESPONSES,
    openapi_extra=CURATOR,
    summary="Accept a proposal",
)
def accept_proposal(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    proposal_id: ProposalId,
    body: ProposalAccept | None = None,
) -> Answer[ProposalRead]:
    """Write the proposed fact (or the curator's edit of it) through the same checks as every
    curated write; the fact and the decision are written together, or neither is."""
    decision = body or ProposalAccept()
    p = _pending(session, proposal_id)
    spec = _fact_to_write(request, session, p, decision.fact)
    who = Actor(key.name, Origin.api)
    reason = decision.reason or f"accepted proposal {p.id} from source {p.source_id}"
    _register_outlets(request, session, spec, who)
    nations, groups = app_reference(request)
    try:
        write_facts(session, [spec], nations, groups, who, Tally(), reason)
    except FactsError as exc:
        raise InvalidParameter(
            "; ".join(exc.problems), errors=[{"message": m} for m in exc.problems]
        ) from exc
    _decide(session, p, who, ProposalStatus.accepted, decision.reason, "accept", spec.id)
    session.commit()
    return respond_model(request, _read(p))


@router.post(
    "/proposals/{proposal_id}/reject",
    responses=WRITE_RESPONSES,
    openapi_extra=CURATOR,
    summary="Reject a proposal",
)
def reject_proposal(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    proposal_id: ProposalId,
    body: ProposalReject,
) -> Answer[ProposalRead]:
    """Mark a proposal rejected, with why; nothing else changes."""
    p = _pending(session, proposal_id)
    _decide(session, p, Actor(key.name, Origin.api), ProposalStatus.rejected, body.reason, "reject")
    session.commit()
    return respond_model(request, _read(p))
