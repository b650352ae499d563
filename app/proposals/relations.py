"""How a candidate stands to the facts already held, compared on plain fact data (the files'
models, whether read from data/ or from a database): the same subject and claim confirms a
fact, the same subject with a narrower claim refines it, the same subject with another claim
contradicts it (a dispute to be), and anything else is new."""

import re
from collections.abc import Sequence
from typing import Any

from app.proposals.model import Relation
from app.schemas.bodies import FactIn
from app.schemas.commitments import CommitmentIn
from app.schemas.conditions import ConditionIn
from app.schemas.memberships import MembershipIn
from app.schemas.statements import StatementIn
from app.vocab import Basis, RelationKind

UNSPECIFIED = {None, "unspecified"}
RANK = {RelationKind.confirms: 0, RelationKind.refines: 1, RelationKind.contradicts: 2}


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _narrower(candidate: dict[str, Any], fact: FactIn, names: Sequence[str]) -> list[str]:
    """The fields the candidate specifies where the fact leaves them open."""
    return [
        n
        for n in names
        if _value(candidate.get(n)) not in UNSPECIFIED and _value(getattr(fact, n)) in UNSPECIFIED
    ]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _same_words(a: str, b: str) -> bool:
    if a in b or b in a:
        return True
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


def _surname(name: str) -> str:
    return name.split()[-1].lower() if name.split() else ""


def _compare(kind: str, c: dict[str, Any], fact: FactIn, narrows: bool) -> Relation | None:
    v = _value
    if kind == "commitment" and isinstance(fact, CommitmentIn):
        subject = ("actor", "nation", "coalition_scope", "role")
        if any(v(c.get(n)) != v(getattr(fact, n)) for n in subject):
            return None
        finer = _narrower(c, fact, ("location", "combat", "group"))
        if v(c["status"]) == v(fact.status):
            if finer:
                return Relation(
                    kind=RelationKind.refines,
                    fact_id=fact.id,
                    note=f"same claim, narrower: {', '.join(finer)}",
                )
            return Relation(
                kind=RelationKind.confirms,
                fact_id=fact.id,
                note="same actor, role and status: extra evidence for it",
            )
        if narrows:
            return Relation(
                kind=RelationKind.refines,
                fact_id=fact.id,
                note=f"the role is narrowed to this: {v(fact.status)} -> {v(c['status'])}",
            )
        return Relation(
            kind=RelationKind.contradicts,
            fact_id=fact.id,
            note=f"same actor and role, status {v(fact.status)} there, {v(c['status'])} here",
        )
    if kind == "membership" and isinstance(fact, MembershipIn):
        if c["nation"] != fact.nation:
            return None
        if (v(c["status"]), v(c["part"])) != (v(fact.status), v(fact.part)):
            return Relation(
                kind=RelationKind.contradicts,
                fact_id=fact.id,
                note=f"{v(fact.status)}/{v(fact.part)} there, {v(c['status'])}/{v(c['part'])} here",
            )
        if v(c["basis"]) == Basis.named and fact.basis is not Basis.named:
            return Relation(
                kind=RelationKind.refines,
                fact_id=fact.id,
                note=f"named here, {fact.basis.value} there",
            )
        return Relation(kind=RelationKind.confirms, fact_id=fact.id, note="same place in the story")
    if kind == "condition" and isinstance(fact, ConditionIn):
        if (v(c["kind"]), c.get("nation")) != (v(fact.kind), fact.nation):
            return None
        if v(c["nature"]) != v(fact.nature):
            return Relation(
                kind=RelationKind.contradicts,
                fact_id=fact.id,
                note=f"{v(fact.nature)} there, {v(c['nature'])} here",
            )
        return Relation(kind=RelationKind.confirms, fact_id=fact.id, note="same condition")
    if kind == "statement" and isinstance(fact, StatementIn):
        if _surname(c["speaker"]) != _surname(fact.speaker) or v(c["mode"]) != v(fact.mode):
            return None
        if _same_words(c["text"], fact.text):
            return Relation(kind=RelationKind.confirms, fact_id=fact.id, note="the same words")
    return None


def relate(
    kind: str, candidate: dict[str, Any], existing: Sequence[FactIn], narrows: bool = False
) -> Relation:
    """The closest relation of a candidate (its fields) to the existing facts: confirms before
    refines before contradicts; new when none shares its subject. ``narrows``: the wording
    limits a role ("has limited its role to"), which refines rather than contradicts."""
    found = [r for fact in existing if (r := _compare(kind, candidate, fact, narrows))]
    if not found:
        return Relation(kind=RelationKind.new)
    return min(found, key=lambda r: (RANK[r.kind], r.fact_id or ""))
