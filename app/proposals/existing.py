"""The facts a proposal is compared with, as plain fact data (the files' models): from the fact
files under a data folder, or from a database (every fact that stands, not the retracted)."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.curation.write import FACT_CLASSES, fields_of
from app.facts.files import load_dataset
from app.facts.reference import GroupIn
from app.schemas.bodies import FactIn
from app.store.models import Evidence, Fact, Outlet
from app.vocab import FactKind

KINDS = (FactKind.membership, FactKind.commitment, FactKind.condition, FactKind.statement)


def facts_from_files(data_dir: Path) -> list[FactIn]:
    data = load_dataset(data_dir)
    return [*data.memberships, *data.commitments, *data.conditions, *data.statements]


def facts_from_database(session: Session, groups: dict[str, GroupIn]) -> list[FactIn]:
    rows = session.scalars(
        select(Fact)
        .where(Fact.retracted_at.is_(None), Fact.kind.in_(KINDS))
        .options(selectinload(Fact.evidence).joinedload(Evidence.source))
        .order_by(Fact.id)
    )
    spec_of = {model: spec for spec, model in FACT_CLASSES.items()}
    facts: list[FactIn] = []
    for fact in rows:
        spec = spec_of[type(fact)]
        fields = fields_of(fact, groups)
        fields["evidence"] = [
            {k: v for k, v in e.items() if v is not None} for e in fields["evidence"]
        ]
        facts.append(spec.model_validate({**fields, "id": fact.id}))
    return facts


def registered_outlets(session: Session) -> set[str]:
    return set(session.scalars(select(Outlet.id)))
