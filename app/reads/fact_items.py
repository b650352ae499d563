"""Each fact as the API shows it (its item model: evidence, outlets and linked facts included),
kept per data revision: what a list's page and a nation's page are assembled from. A read then
selects the ids it shows (one indexed query) and looks their items up; only the facts not kept
at this revision are loaded with their relationships and validated, together. A write makes the
next read load again what it touched (the audit entries between the revisions say what), and no
more."""

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.reads.per_revision import PerRevision
from app.reads.queries import OPTIONS
from app.store.models import Fact, condition_gates
from app.store.revisions import reference_changed

Item = TypeVar("Item", bound=BaseModel)
CHUNK = 500  # facts loaded by one statement: the largest page


def touched_items(
    session: Session, entries: Sequence[Row[Any]]
) -> Callable[[Hashable], bool] | None:
    """The items the audit entries between two revisions touch: each fact they name; the
    commitments a changed condition gates, before and after (their items list it); the
    conditions gating a changed commitment (theirs list it, and hide it once retracted).
    A nation or an outlet (whose name evidence shows) touches every item: None."""
    if reference_changed(entries):
        return None
    facts = {e.entity_id for e in entries if e.entity == "fact"}
    for entry in entries:
        for snapshot in (entry.before, entry.after):
            facts.update((snapshot or {}).get("gates", ()))
    ids = sorted(facts)
    gates = condition_gates.c
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        facts.update(
            session.scalars(select(gates.condition_id).where(gates.commitment_id.in_(chunk)))
        )
    return lambda key: key[1] in facts  # type: ignore[index]


# (item model, fact id) -> the item. An item takes about 6 KB (measured on the seed's, evidence
# included): 10,000 are about 60 MB a process, live and past states together, and hold the
# largest page (500 rows) twenty times over. After a write, the items it did not touch are
# carried to the new revision: a page reloads the facts the write changed, not all it shows.
FACT_ITEMS: PerRevision[Any] = PerRevision(
    max_entries=10_000, max_total=10_000, touched=touched_items
)


def fact_items(
    session: Session, model: type[Fact], item_model: type[Item], ids: Sequence[str]
) -> list[Item]:
    """The items of the facts ``ids`` (of kind ``model``), in that order. The session's
    retraction rule (app.store.visibility) applies to what they link to, as to any read."""

    def load(missing: Sequence[Hashable]) -> dict[Hashable, Item]:
        wanted = [key[1] for key in missing]  # type: ignore[index]
        found: dict[Hashable, Item] = {}
        # In chunks of a page at most, as the ORM's own selectin loads go: a nation's page at
        # 1,000x the seed asks for thousands, past what a statement may bind on SQLite.
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            stmt = select(model).where(model.id.in_(chunk)).options(*OPTIONS[model])
            for fact in session.scalars(stmt):
                found[(item_model, fact.id)] = item_model.model_validate(fact)
        return found

    return FACT_ITEMS.get_many(session, [(item_model, fact_id) for fact_id in ids], load)
