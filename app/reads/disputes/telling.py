"""How a dispute is told: each claim in its source's own terms (roles, statuses, places, people's
words), the sources in the order they came, and the dispute's id, subject and
differences (sources that say the same told together)."""

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

from app.reads.disputes.facts import Claimed, CommitmentFact, Data, F, MembershipFact, StatementFact
from app.schemas.disputes import DisputeClaim, DisputeKind, DisputeRead, DisputeRule
from app.vocab import (
    Combat,
    Location,
    MembershipStatus,
    Role,
    StatementMode,
    Status,
)

LOCATION_WORDS = {
    Location.inside_ukraine: "inside Ukraine",
    Location.outside_ukraine: "outside Ukraine",
}
K = TypeVar("K", bound=Hashable)
ROLE_ORDER = {role: i for i, role in enumerate(Role)}
STATUS_ORDER = {status: i for i, status in enumerate(Status)}


def words(value: str) -> str:
    return value.replace("non_combat", "non-combat").replace("_", " ")


def terms(c: CommitmentFact) -> str:
    """Status, with place and combat where the source gives them: 'pledged (outside Ukraine)'."""
    extra = [LOCATION_WORDS[c.location]] if c.location in LOCATION_WORDS else []
    if c.combat is not Combat.unspecified:
        extra.append(words(c.combat))
    return words(c.status) + (f" ({', '.join(extra)})" if extra else "")


def describe(c: CommitmentFact) -> str:
    return f"{words(c.role)}: {terms(c)}"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def listing(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def together(told: dict[str, K]) -> dict[K, list[str]]:
    """Each thing told (by source, in source order) with the sources that tell it: sources that
    say the same are told together."""
    found: dict[K, list[str]] = {}
    for source, what in told.items():
        found.setdefault(what, []).append(source)
    return found


def gives(sources: list[str], verb: str) -> str:
    """'article-a gives', 'article-a and article-b give'."""
    return f"{listing(sources)} {verb + 's' if len(sources) == 1 else verb}"


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def quoted(s: StatementFact) -> str:
    return f"“{s.text}”" + (" (reported)" if s.mode is StatementMode.reported else "")


def member(data: Data, m: MembershipFact) -> str:
    name = data.names.get(m.nation_code, m.nation_code)
    return name if m.status is MembershipStatus.member else f"{name} ({words(m.status)})"


def commitment_key(c: CommitmentFact) -> tuple[int, int, str]:
    return ROLE_ORDER[c.role], STATUS_ORDER[c.status], c.id


def sources_of(fact: Claimed) -> frozenset[str]:
    return fact.sources


def by_source(data: Data, facts: Iterable[F]) -> dict[str, list[F]]:
    """The facts each source makes (a fact quoted from two sources is made by both), sources in
    claim order."""
    found: dict[str, list[F]] = defaultdict(list)
    for fact in facts:
        for source in sources_of(fact):
            found[source].append(fact)
    return {s: found[s] for s in sorted(found, key=lambda s: source_order(data, s))}


def source_order(data: Data, source_id: str) -> tuple[bool, dt.date, str]:
    published = data.sources[source_id].published
    return published is None, published or dt.date.min, source_id


# Every field of a claim is set, from values already typed: built without validation, one set
# of fields shared by all (the kept disputes hold 11,000 claims at 1,000x the seed, and each
# object the garbage collector tracks is walked by every full collection: app.reads.inheritance).
_CLAIM_FIELDS = set(DisputeClaim.model_fields)


def claim(data: Data, source_id: str, facts: Sequence[Claimed], text: str) -> DisputeClaim:
    seen: set[tuple[int, int]] = set()
    evidence = []
    for fact in facts:
        for e in fact.evidence:
            span = (e.row["start"], e.row["end"])
            if e.source_id == source_id and span not in seen:
                seen.add(span)
                evidence.append(e.read)
    source = data.sources[source_id]
    return DisputeClaim.model_construct(
        _CLAIM_FIELDS,
        source=source_id,
        source_title=source.title,
        source_published=source.published,
        facts=[f.id for f in facts],
        claim=text,
        nations=sorted({code for f in facts if (code := named_nation(f))}),
        evidence=evidence,
    )


def named_nation(fact: Claimed) -> str | None:
    """The nation a fact names: a nation's commitment or membership, a speaker's nation."""
    if isinstance(fact, StatementFact):
        return fact.speaker_nation_code
    if isinstance(fact, CommitmentFact | MembershipFact):
        return fact.nation_code
    return None


def dispute(
    dispute_id: str,
    kind: DisputeKind,
    rule: DisputeRule,
    subject: str,
    nations: Iterable[str],
    differences: list[str],
    claims: list[DisputeClaim],
) -> DisputeRead:
    dates = [c.source_published for c in claims]
    later: bool | None = None
    if all(d is not None for d in dates):
        later = len(set(dates)) == len(dates)
    return DisputeRead(
        id=dispute_id,
        kind=kind,
        rule=rule,
        subject=subject,
        nations=sorted(set(nations)),
        differences=differences,
        claims=claims,
        later_source_changes_earlier=later,
    )
