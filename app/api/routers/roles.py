"""The vocabulary (`/roles`): roles, statuses and certainty levels with their definitions."""

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.sessions import ReadSessionDep
from app.schemas.meta import Definition, RoleList, RoleRead
from app.store.models import Commitment
from app.vocab import CERTAINTY_DEFINITIONS, ROLE_DEFINITIONS, STATUS_DEFINITIONS, Status

router = APIRouter(prefix="/roles", tags=["vocabulary"], route_class=AnswerRoute)


@router.get(
    "",
)
def list_roles(request: Request, session: ReadSessionDep) -> Answer[RoleList]:
    """The role vocabulary with definitions and counts, plus statuses and certainty levels."""
    commitments = dict(
        session.execute(select(Commitment.role, func.count()).group_by(Commitment.role))
        .tuples()
        .all()
    )
    nations = dict(
        session.execute(
            select(Commitment.role, func.count(Commitment.nation_code.distinct()))
            .where(Commitment.status == Status.pledged)
            .group_by(Commitment.role)
        )
        .tuples()
        .all()
    )
    items = [
        RoleRead(
            role=role,
            definition=definition,
            commitments=commitments.get(role, 0),
            nations=nations.get(role, 0),
        )
        for role, definition in ROLE_DEFINITIONS.items()
    ]
    return respond_model(
        request,
        RoleList(
            items=items,
            total=len(items),
            statuses=[Definition(value=s, definition=d) for s, d in STATUS_DEFINITIONS.items()],
            certainty_levels=[
                Definition(value=c, definition=d) for c, d in CERTAINTY_DEFINITIONS.items()
            ],
        ),
    )
