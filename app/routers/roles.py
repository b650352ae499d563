from fastapi import APIRouter
from sqlalchemy import func, select

from app.db import ReadSessionDep
from app.models import Commitment
from app.schemas.meta import Definition, RoleList, RoleRead
from app.vocab import CERTAINTY_DEFINITIONS, ROLE_DEFINITIONS, STATUS_DEFINITIONS, Status

router = APIRouter(prefix="/roles", tags=["vocabulary"])


@router.get("")
def list_roles(session: ReadSessionDep) -> RoleList:
    """The role vocabulary with definitions and counts, plus statuses and certainty levels."""
    commitments = dict(
        session.execute(select(Commitment.role, func.count()).group_by(Commitment.role))
        .tuples()
        .all()
    )
    nations = dict(
        session.execute(
            select(Commitment.role, func.count(Commitment.nation_code.distinct()))
            .where(Commitment.status != Status.ruled_out)
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
    return RoleList(
        items=items,
        total=len(items),
        statuses=[Definition(value=s, definition=d) for s, d in STATUS_DEFINITIONS.items()],
        certainty_levels=[
            Definition(value=c, definition=d) for c, d in CERTAINTY_DEFINITIONS.items()
        ],
    )
