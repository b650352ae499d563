"""Conditions (`/conditions`): what must happen first and what it gates, filtered by kind, nature
and nation, with the write routes."""

from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy import bindparam

from app.api.auth import CuratorKey
from app.api.cursors import SortKey
from app.api.filters import CertaintyParam, NationParam, evidence_filters
from app.api.listing import LIST_RESPONSES, applied_filters
from app.api.pages import ListStatements, PageDep
from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep, WriteSessionDep
from app.api.streaming import answer_list
from app.api.writes import (
    FactResource,
    Retraction,
    correct_fact,
    create_fact,
    new_id,
    withdraw_fact,
    write_routes,
)
from app.errors import PROBLEM_RESPONSES
from app.reads.queries import (
    get_or_404,
    require_fact,
    require_source,
    resolve_nation,
)
from app.schemas.common import Page
from app.schemas.conditions import ConditionCreate, ConditionIn, ConditionRead, ConditionUpdate
from app.store.models import Commitment, Condition, Fact
from app.vocab import ConditionKind, ConditionNature

router = PrefixedRouter(prefix="/conditions", tags=["conditions"], route_class=AnswerRoute)
SORT = SortKey([], Condition.id, same_as=Fact.id)
LIST_STATEMENTS = ListStatements(
    Condition,
    {
        "kind": lambda: Condition.condition_kind.in_(bindparam("kind", expanding=True)),
        "nature": lambda: Condition.nature == bindparam("nature"),
        # Its own nation's, or gating one of that nation's commitments.
        "nation": lambda: (
            (Condition.nation_code == bindparam("nation"))
            | Condition.gates.any(Commitment.nation_code == bindparam("nation"))
        ),
        "gates": lambda: Condition.gates.any(Commitment.id == bindparam("gates")),
        **evidence_filters(Condition),
    },
)


@router.get("", responses=LIST_RESPONSES)
def list_conditions(
    request: Request,
    session: ReadSessionDep,
    page: PageDep,
    kind: Annotated[
        list[ConditionKind] | None, Query(description="Kind (repeatable).", examples=["ceasefire"])
    ] = None,
    nature: Annotated[
        ConditionNature | None,
        Query(description="`precondition` (must happen first) or `obstacle`."),
    ] = None,
    nation: NationParam = None,
    certainty: CertaintyParam = None,
    gates: Annotated[
        str | None,
        Query(
            max_length=80,
            description="Conditions that gate this commitment id.",
            examples=["coalition-troops"],
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(max_length=40, description="Only conditions with evidence from this source."),
    ] = None,
) -> Answer[Page[ConditionRead]]:
    """What must happen first — ceasefire, approvals, rules of engagement — and what it gates."""
    code = resolve_nation(session, nation) if nation is not None else None
    if gates is not None:
        require_fact(session, Commitment, gates, "gates")
    if source is not None:
        require_source(session, source)
    stmt, params = LIST_STATEMENTS(
        kind=kind, nature=nature, nation=code, gates=gates, certainty=certainty, source=source
    )
    applied = applied_filters(
        kind=kind, nature=nature, nation=nation, certainty=certainty, gates=gates, source=source,
        sort="id",
    )  # fmt: skip
    return answer_list(
        request, session, page, stmt, "id", SORT, "conditions", ConditionRead,
        applied=applied, params=params,
    )  # fmt: skip


@router.get("/{condition_id}", responses=PROBLEM_RESPONSES)
def get_condition(
    request: Request,
    session: ReadSessionDep,
    condition_id: Annotated[
        str,
        Path(
            max_length=80,
            description="Id of the resource, as given in lists.",
            examples=["ceasefire-or-armistice"],
        ),
    ],
) -> Answer[ConditionRead]:
    """One condition with what it gates and its evidence."""
    return respond_model(
        request,
        ConditionRead.model_validate(get_or_404(session, Condition, condition_id, "condition")),
    )


CONDITIONS = FactResource(
    name="condition",
    model=Condition,
    spec=ConditionIn,
    read=ConditionRead,
    path="/conditions",
    make_id=lambda v: new_id(v["kind"], v.get("nation")),
)
WRITES = write_routes(CONDITIONS)


@router.post("", **WRITES.create)
def create_condition(
    request: Request,
    key: CuratorKey,  # before the session: refused requests never take the write lock
    session: WriteSessionDep,
    body: ConditionCreate,
) -> Answer[ConditionRead]:
    """Every quote must be verbatim in a stored source; the condition gets its id here."""
    return create_fact(request, session, key, CONDITIONS, body)


@router.patch("/{condition_id}", **WRITES.update)
def update_condition(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    condition_id: Annotated[str, WRITES.id_path],
    body: ConditionUpdate,
) -> Answer[ConditionRead]:
    """Needs If-Match with the ETag from your last GET; 412 if it changed since."""
    return correct_fact(request, session, key, CONDITIONS, condition_id, body)


@router.post("/{condition_id}/retract", **WRITES.retract)
def retract_condition(
    request: Request,
    key: CuratorKey,
    session: WriteSessionDep,
    condition_id: Annotated[str, WRITES.id_path],
    body: Retraction,
) -> Answer[ConditionRead]:
    """The condition and its evidence stay, marked retracted with the reason; lists hide it.
    Needs If-Match."""
    return withdraw_fact(request, session, key, CONDITIONS, condition_id, body)
