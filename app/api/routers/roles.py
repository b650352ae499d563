"""The vocabulary (`/roles`): roles, statuses and certainty levels with their definitions."""

from collections import Counter

from fastapi import Request
from sqlalchemy.orm import Session

from app.api.representation import Answer, AnswerRoute, respond_model
from app.api.routers import PrefixedRouter
from app.api.sessions import ReadSessionDep
from app.reads.per_revision import PerRevision
from app.reads.tallies import tally_of
from app.schemas.meta import Definition, RoleList, RoleRead
from app.vocab import CERTAINTY_DEFINITIONS, ROLE_DEFINITIONS, STATUS_DEFINITIONS, Role, Status

router = PrefixedRouter(prefix="/roles", tags=["vocabulary"], route_class=AnswerRoute)


# Built once per data revision from the tally (app.reads.tallies), itself carried forward.
ROLE_LISTS: PerRevision[RoleList] = PerRevision(max_entries=1)


@router.get("")
def list_roles(request: Request, session: ReadSessionDep) -> Answer[RoleList]:
    """The role vocabulary with definitions and counts, plus statuses and certainty levels."""
    return respond_model(request, ROLE_LISTS.get(session, "roles", lambda: role_list(session)))


def role_list(session: Session) -> RoleList:
    tally = tally_of(session)
    commitments: Counter[Role] = Counter()
    for (role, _status, _certainty, _coalition), count in tally.by_commitment.items():
        commitments[role] += count
    items = [
        RoleRead(
            role=role,
            definition=definition,
            commitments=commitments[role],
            nations=tally.nations[(role, Status.pledged)],
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
