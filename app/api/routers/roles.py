"""The vocabulary (`/roles`): roles, statuses and certainty levels with their definitions."""

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.reads.per_revision import PerRevision
from app.reads.queries import standing
from app.schemas.meta import Definition, RoleList, RoleRead
from app.store.models import Commitment
from app.store.visibility import not_retracted
from app.vocab import CERTAINTY_DEFINITIONS, ROLE_DEFINITIONS, STATUS_DEFINITIONS, Status

router = PrefixedRouter(prefix="/roles", tags=["vocabulary"], route_class=AnswerRoute)


# The counts read every commitment: counted once per data revision (app.reads.per_revision).
ROLE_LISTS: PerRevision[RoleList] = PerRevision(max_entries=1)
# The commitments' own table with `not_retracted`: from its indexes, not joined to `facts`.
C = Commitment.__table__.c


@router.get("")
def list_roles(request: Request, session: ReadSessionDep) -> Answer[RoleList]:
    """The role vocabulary with definitions and counts, plus statuses and certainty levels."""
    return respond_model(request, ROLE_LISTS.get(session, "roles", lambda: role_list(session)))


def role_list(session: Session) -> RoleList:
    commitments = dict(
        session.execute(
            standing(select(C.role, func.count()).where(not_retracted(C.id)).group_by(C.role))
        )
        .tuples()
        .all()
    )
    nations = dict(
        session.execute(
            standing(
                select(C.role, func.count(C.nation_code.distinct()))
                .where(C.status == Status.pledged, not_retracted(C.id))
                .group_by(C.role)
            )
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
