"""Which of the coalition's commitments a member inherits.

A task the sources give to the coalition's force as a whole is no named nation's; a member may
still be listed as carrying it (``include_coalition=true``), marked inherited. But inheritance
never overrides a nation's own word: a member does not inherit a coalition commitment in a role
where it has its own `ruled_out` or `hesitant` commitment, nor in a role outside those a source
limits it to (its `exclusive` commitments: "Italy has limited its role to training and
monitoring"). Both are facts with evidence, so every exclusion names the commitments behind it.

The rule lives here twice over, as SQL (`inherits`, for filters) and for rows already read
(`Limits.excluded_by`); tests/test_inheritance.py holds the two to the same answers."""

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    SQLColumnExpression,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
)

from app.reads.queries import evidence_rows
from app.schemas.common import EvidenceRead, OutletRef
from app.schemas.nations import ExcludedBy, ExclusionReason
from app.store.models import Commitment
from app.store.visibility import FACTS, not_retracted
from app.vocab import Role, Status

BLOCKING = (Status.ruled_out, Status.hesitant)
REASON_OF = {Status.ruled_out: ExclusionReason.ruled_out, Status.hesitant: ExclusionReason.hesitant}
COMMITMENTS = Commitment.__table__


def inherits(
    nation_code: SQLColumnExpression[str], role: SQLColumnExpression[Role]
) -> ColumnElement[bool]:
    """SQL: the nation inherits a coalition commitment in ``role`` (correlated columns of the
    enclosing query)."""
    own = COMMITMENTS.alias("own")

    def exists_own(*criteria: ColumnElement[bool]) -> ColumnElement[bool]:
        # Correlated to the enclosing queries whatever their depth: only `own` is this one's.
        return exists(
            select(own.c.id)
            .where(own.c.nation_code == nation_code, not_retracted(own.c.id), *criteria)
            .correlate_except(own)
        )

    blocked = exists_own(own.c.role == role, own.c.status.in_(BLOCKING))
    limited = exists_own(own.c.exclusive.is_(True))
    limited_to_role = exists_own(own.c.exclusive.is_(True), own.c.role == role)
    return and_(not_(blocked), or_(not_(limited), limited_to_role))


@dataclass
class Limits:
    """A nation's own commitments that limit what it inherits: one per (role, status) that
    blocks, and its exclusive ones."""

    blocking: dict[Role, list[ExcludedBy]] = field(default_factory=dict)
    exclusive: list[ExcludedBy] = field(default_factory=list)

    def excluded_by(self, role: Role) -> list[ExcludedBy]:
        """Why the nation does not inherit a coalition commitment in ``role``; empty when it
        does."""
        found = list(self.blocking.get(role, []))
        if self.exclusive and role not in {e.role for e in self.exclusive}:
            found += self.exclusive
        return found

    def inherits(self, role: Role) -> bool:
        return not self.excluded_by(role)


def limits_of(connection: Connection, codes: Collection[str]) -> dict[str, Limits]:
    """The limits of each nation in ``codes``, with evidence, in two statements. Per (nation,
    role, status, exclusive) one commitment speaks (the first by id): at any size of the data
    the answer is bounded by the vocabulary, not by the number of commitments."""
    # Run even for no nation: a page's statement count does not depend on what it shows.
    found: dict[str, Limits] = defaultdict(Limits)
    c = COMMITMENTS.c
    speaking = (
        select(c.nation_code, c.role, c.status, c.exclusive, func.min(c.id).label("id"))
        .where(
            c.nation_code.in_(sorted(codes)),
            or_(c.status.in_(BLOCKING), c.exclusive.is_(True)),
            not_retracted(c.id),
        )
        .group_by(c.nation_code, c.role, c.status, c.exclusive)
        .subquery()
    )
    rows = connection.execute(
        select(speaking, FACTS.c.summary)
        .join(FACTS, FACTS.c.id == speaking.c.id)
        .order_by(speaking.c.nation_code, speaking.c.role, speaking.c.status)
    ).all()
    evidence = evidence_of(connection, [r.id for r in rows])
    for row in rows:
        role, status = Role(row.role), Status(row.status)
        excluded = ExcludedBy(
            reason=ExclusionReason.limited_to if row.exclusive else REASON_OF[status],
            commitment=row.id,
            role=role,
            status=status,
            summary=row.summary,
            evidence=evidence.get(row.id, []),
        )
        limits = found[row.nation_code]
        if row.exclusive:
            limits.exclusive.append(excluded)
        else:
            limits.blocking.setdefault(role, []).append(excluded)
    return found


def evidence_of(connection: Connection, fact_ids: Iterable[str]) -> dict[str, list[EvidenceRead]]:
    """The evidence of each fact, in curated order, with outlet names: one statement."""
    ids = sorted(set(fact_ids))
    rows = connection.execute(evidence_rows(ids))
    found: dict[str, list[EvidenceRead]] = defaultdict(list)
    for row in rows:
        found[row.fact_id].append(evidence_read(row._mapping))
    return found


# Kept answers hold many evidence items (28,000 in the disputes at 1,000x the seed), and every
# object of theirs that the garbage collector tracks is walked by each full collection, pausing
# the process (74 ms for the disputes alone). So an item is built from its row as read, typed
# by the database (no validation: it adds nothing there), with one set of fields shared by all
# (every field is set) and one reference per outlet.
_EVIDENCE_FIELDS = set(EvidenceRead.model_fields)


@functools.lru_cache(maxsize=1024)
def _outlet(outlet_id: str, name: str) -> OutletRef:
    return OutletRef.model_construct({"id", "name"}, id=outlet_id, name=name)


def evidence_read(row: Any) -> EvidenceRead:
    """An evidence row of Core columns (with `outlet_name`) as its read schema."""
    outlet = _outlet(row["outlet_id"], row["outlet_name"]) if row["outlet_id"] else None
    return EvidenceRead.model_construct(
        _EVIDENCE_FIELDS,
        id=row["id"],
        source=row["source_id"],
        quote=row["quote"],
        start=row["start"],
        end=row["end"],
        line=row["line"],
        outlet=outlet,
        certainty=row["certainty"],
        hedge=row["hedge"],
    )
