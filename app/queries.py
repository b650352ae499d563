"""Query pieces that several routers use."""

from typing import TypeVar

import pycountry
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from app.db import SHOW_FACT
from app.errors import InvalidParameter, NotFound
from app.models import (
    Commitment,
    Condition,
    Event,
    Evidence,
    Fact,
    Membership,
    Nation,
    Source,
    Statement,
)
from app.vocab import ActorKind, CoalitionScope


def coalition_wide() -> ColumnElement[bool]:
    """Commitments of the coalition's force as a whole (not of some unnamed members)."""
    return and_(
        Commitment.actor == ActorKind.coalition,
        Commitment.coalition_scope == CoalitionScope.whole,
    )


# The table of what every fact shares, the retraction mark among it (joined inheritance).
FACTS = Fact.__table__


def not_retracted(id_column: ColumnElement[str]) -> ColumnElement[bool]:
    """The fact with this id stands. For queries on a kind's own table (joined inheritance):
    `facts` holds the retraction mark, and its partial index of the retracted few answers this
    without joining every row to `facts`."""
    retracted = select(FACTS.c.id).where(FACTS.c.retracted_at.is_not(None))
    return id_column.not_in(retracted)


def evidence_options(fact: type[Fact]) -> list[LoaderOption]:
    """Load a fact's evidence and outlets in two statements, whatever the number of facts."""
    return [selectinload(fact.evidence).joinedload(Evidence.outlet)]


def commitment_options() -> list[LoaderOption]:
    return [*evidence_options(Commitment), selectinload(Commitment.conditions)]


def condition_options() -> list[LoaderOption]:
    return [*evidence_options(Condition), selectinload(Condition.gates)]


F = TypeVar("F", bound=Fact)
OPTIONS: dict[type[Fact], list[LoaderOption]] = {
    Commitment: commitment_options(),
    Condition: condition_options(),
    Statement: evidence_options(Statement),
    Event: evidence_options(Event),
    Membership: evidence_options(Membership),
}


def like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern matching ``text`` literally anywhere (use escape='\\')."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_or_404(session: Session, model: type[F], fact_id: str, what: str) -> F:
    found = session.scalar(
        select(model)
        .where(model.id == fact_id)
        .options(*OPTIONS[model])
        .execution_options(**{SHOW_FACT: fact_id})  # a retracted fact's page says so
    )
    if found is None:
        raise NotFound(f"No {what} {fact_id!r}.")
    return found


def resolve_nation(session: Session, code: str) -> str:
    """Alpha-2 for an alpha-2 or alpha-3 code in any case. A country with no nation in the data
    (or none yet at `as_of`) filters to nothing; 422 for a code that names no country."""
    column = Nation.code if len(code) == 2 else Nation.alpha3
    found = session.scalar(select(Nation.code).where(column == code.upper()))
    if found is not None:
        return found
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code.upper())
    elif len(code) == 3:
        country = pycountry.countries.get(alpha_3=code.upper())
    else:
        country = None
    if country is None:
        raise InvalidParameter(f"query.nation: {code!r} is not an ISO 3166-1 country code.")
    return str(country.alpha_2)


def require_source(session: Session, source_id: str) -> None:
    if session.get(Source, source_id) is None:
        known = session.scalars(select(Source.id).order_by(Source.id)).all()
        raise InvalidParameter(f"query.source: no source {source_id!r}.", allowed=list(known))


def require_fact(session: Session, model: type[Fact], fact_id: str, parameter: str) -> None:
    """A filter naming a fact that does not exist is a mistake, not an empty result."""
    if session.get(model, fact_id) is None:
        raise InvalidParameter(f"query.{parameter}: no {model.__tablename__[:-1]} {fact_id!r}.")
