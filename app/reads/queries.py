"""Query pieces that several routers use."""

import difflib
import functools
from typing import Any, TypeVar

import pycountry
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from app.errors import InvalidParameter, NotFound
from app.store.models import (
    Base,
    Commitment,
    Condition,
    Event,
    Evidence,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
)
from app.store.visibility import OPEN_LIVE, RETRACTED_LEFT_OUT, SHOW_FACT
from app.vocab import ActorKind, Certainty, CoalitionScope


def coalition_wide() -> ColumnElement[bool]:
    """Commitments of the coalition's force as a whole (not of some unnamed members)."""
    return and_(
        Commitment.actor == ActorKind.coalition,
        Commitment.coalition_scope == CoalitionScope.whole,
    )


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


def certainty_column(fact_id: SQLColumnExpression[str]) -> ColumnElement[str]:
    """SQL twin of app.facts.certainty.certainty_of: the certainty of the fact with id ``fact_id``
    (a correlated column), the strongest among its evidence."""
    evidence = Evidence.__table__

    def has(level: Certainty) -> ColumnElement[bool]:
        # `SELECT 1`, not a column: the probe is then answered by ix_evidence_fact_id_certainty
        # alone, without reading the evidence row (SQLite reads it for any column named).
        return exists(
            select(literal_column("1")).where(
                evidence.c.fact_id == fact_id, evidence.c.certainty == level
            )
        )

    return case(
        (has(Certainty.stated), Certainty.stated.value),
        (has(Certainty.reported), Certainty.reported.value),
        else_=Certainty.hedged.value,
    )


def standing(stmt: Select[Any]) -> Select[Any]:
    """A Core statement on a kind's own table that leaves retracted facts out itself (with
    `not_retracted`), run in a read session: the session's rule, which would join `facts` to
    every row, is not applied again."""
    return stmt.execution_options(**{RETRACTED_LEFT_OUT: True})


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


def find_nation(session: Session, value: str) -> str | None:
    """Alpha-2 of the nation ``value`` names: an alpha-2 or alpha-3 code, or a name (the data's,
    or any ISO 3166 name, common name or official name), in any case. A country with no nation
    in the data (or none yet at `as_of`) is still found: it filters to nothing."""
    text = value.strip()
    if text.isalpha() and len(text) in (2, 3):
        column = Nation.code if len(text) == 2 else Nation.alpha3
        found = session.scalar(select(Nation.code).where(column == text.upper()))
        if found is not None:
            return found
    lowered = text.lower()
    found = session.scalar(
        select(Nation.code).where(
            or_(func.lower(Nation.name) == lowered, func.lower(Nation.official_name) == lowered)
        )
    )
    if found is not None:
        return found
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


# ISO 3166-1 codes "exceptionally reserved" for a country that has another code (ISO 3166
# Maintenance Agency): a reader who writes UK means GB.
EXCEPTIONALLY_RESERVED = {"uk": "GB", "el": "GR", "fx": "FR", "su": "RU"}


@functools.cache
def _country_names() -> dict[str, tuple[str, str]]:
    """Every ISO 3166 name, common name and official name, lower-cased, to (alpha-2, name)."""
    names: dict[str, tuple[str, str]] = {}
    for country in pycountry.countries:
        shown = getattr(country, "common_name", None) or country.name
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                names.setdefault(name.lower(), (country.alpha_2, shown))
    for code, alpha_2 in EXCEPTIONALLY_RESERVED.items():
        names.setdefault(code, next(v for v in names.values() if v[0] == alpha_2))
    return names


def nation_suggestions(value: str) -> list[str]:
    """Up to three countries whose names are close to ``value`` (misspelt or partial), as
    "IT (Italy)"."""
    names = _country_names()
    wanted = value.strip().lower()
    close = difflib.get_close_matches(wanted, names, n=6, cutoff=0.7)
    close += [n for n in names if len(wanted) >= 4 and n.startswith(wanted)]
    found = dict(names[n] for n in close)
    return [f"{code} ({name})" for code, name in list(found.items())[:3]]


def resolve_nation(session: Session, value: str, where: str = "query.nation") -> str:
    """Alpha-2 for a nation's code or name (`find_nation`); 422 naming the closest countries
    when ``value`` names none."""
    found = find_nation(session, value)
    if found is not None:
        return found
    close = nation_suggestions(value)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise InvalidParameter(
        f"{where}: {value!r} is not a country's ISO 3166-1 code or name.{hint}",
        suggestions=[c.split(" ")[0] for c in close],
    )


def _exists(session: Session, model: type[Base], key: str) -> bool:
    """Whether the row exists — at `as_of`, whether it exists now: a filter naming what came
    later answers an empty list at that moment, not a refusal."""
    if session.get(model, key) is not None:
        return True
    open_live = session.info.get(OPEN_LIVE)
    if open_live is None:
        return False
    with open_live() as live:
        return live.get(model, key) is not None


def require_source(session: Session, source_id: str) -> None:
    if not _exists(session, Source, source_id):
        known = session.scalars(select(Source.id).order_by(Source.id)).all()
        raise InvalidParameter(f"query.source: no source {source_id!r}.", allowed=list(known))


def require_fact(session: Session, model: type[Fact], fact_id: str, parameter: str) -> None:
    """A filter naming a fact that does not exist is a mistake, not an empty result."""
    if not _exists(session, model, fact_id):
        raise InvalidParameter(f"query.{parameter}: no {model.__tablename__[:-1]} {fact_id!r}.")


def evidence_rows(fact_ids: Any) -> Select[Any]:
    """The evidence of some facts (a list of ids, or a subquery of them) in curated order, with
    each outlet's name: Core rows, one statement (`app.reads.inheritance.evidence_read` makes a
    row its read schema)."""
    e, o = Evidence.__table__.c, Outlet.__table__.c
    return (
        select(
            e.id,
            e.fact_id,
            e.source_id,
            e.quote,
            e.start,
            e.end,
            e.line,
            e.certainty,
            e.hedge,
            e.outlet_id,
            o.name.label("outlet_name"),
        )  # fmt: skip
        .outerjoin(Outlet.__table__, o.id == e.outlet_id)
        .where(e.fact_id.in_(fact_ids))
        .order_by(e.fact_id, e.position)
    )
