"""Verifying facts against their sources: every quote found verbatim at its offset, never more
certain than its wording (hedges, attribution, hedged lists), statuses no stronger than their
quotes, and every reference (nation, group, event, gated commitment) resolved. The loader and
every write run this; a problem names the fact and quote at fault."""

import re
from dataclasses import dataclass, field

from app.facts.reading import FactsError
from app.facts.reference import GroupIn
from app.facts.wording import (
    HEDGE_WORDS,
    overlapping,
    within,
    wording_of,
)
from app.schemas.bodies import EvidenceIn, FactIn
from app.schemas.commitments import CommitmentFields, CommitmentIn
from app.schemas.conditions import ConditionIn
from app.schemas.events import EventIn
from app.schemas.memberships import MembershipIn
from app.schemas.statements import StatementIn
from app.vocab import (
    Certainty,
    Status,
)

HEDGE_WINDOW = 400  # characters before a quote in which its hedge may stand


@dataclass(frozen=True)
class LocatedEvidence:
    fact_id: str
    position: int
    source_id: str
    quote: str
    start: int
    end: int
    line: int
    outlet_id: str | None
    certainty: Certainty
    hedge: str | None


@dataclass(frozen=True)
class SourceRef:
    """What evidence is checked against: a source's id, its text, where it starts in its
    document (1 for a text registered on its own), and who published it (an outlet naming
    itself in its own article cites no one)."""

    id: str
    text: str
    first_line: int = 1
    publisher: str | None = None


def locate(
    fact_id: str, position: int, ev: EvidenceIn, source: SourceRef
) -> tuple[LocatedEvidence | None, str | None]:
    """Find a quote's offsets in its source; or say, naming the fact and quote, why not."""
    text = source.text
    starts = [m.start() for m in re.finditer(re.escape(ev.quote), text)]
    name = f"fact {fact_id!r}, evidence {position}"
    if not starts:
        return None, f"{name}: quote not found verbatim in {source.id}: {ev.quote!r}"
    if ev.occurrence is None and len(starts) > 1:
        return None, (
            f"{name}: quote occurs {len(starts)} times in {source.id}; "
            f"say which with 'occurrence': {ev.quote!r}"
        )
    index = (ev.occurrence or 1) - 1
    if index >= len(starts):
        return None, f"{name}: quote occurs only {len(starts)} time(s): {ev.quote!r}"
    start = starts[index]
    end = start + len(ev.quote)
    hedge_word = HEDGE_WORDS.search(ev.quote)
    if hedge_word and ev.certainty is not Certainty.hedged:
        return None, f"{name}: quote says {hedge_word[0]!r}, so it must be hedged: {ev.quote!r}"
    window = text[max(0, start - HEDGE_WINDOW) : end]
    for hedge in ev.hedges:
        if hedge not in window:
            return None, (
                f"{name}: hedge {hedge!r} is neither in the quote nor in the "
                f"{HEDGE_WINDOW} characters before it: {ev.quote!r}"
            )
    line = source.first_line + text.count("\n", 0, start)
    located = LocatedEvidence(
        fact_id, position, source.id, ev.quote, start, end, line, ev.outlet,
        ev.certainty, ", ".join(ev.hedges) or None,
    )  # fmt: skip
    return located, None


@dataclass
class References:
    """What facts may refer to: the world they are checked against (the files, or the
    database plus the batch being written)."""

    sources: dict[str, SourceRef]
    outlets: dict[str, str]  # id -> name, as the articles write it
    groups: dict[str, GroupIn]
    membership_of: dict[str, str]  # nation code -> membership fact id
    events: set[str]
    commitments: set[str]
    # nation code -> its retracted membership fact: a nation has one membership fact, ever.
    retracted_membership_of: dict[str, str] = field(default_factory=dict)

    def all_text(self) -> str:
        return "\n".join(s.text for s in self.sources.values())


def verify_facts(facts: list[FactIn], refs: References) -> list[LocatedEvidence]:
    """Locate every quote and check every reference; raise FactsError listing all problems."""
    problems: list[str] = []
    located_all: list[LocatedEvidence] = []
    seen: set[str] = set()
    for fact in facts:
        if fact.id in seen:
            problems.append(f"fact {fact.id!r}: id used twice")
        seen.add(fact.id)
        for position, ev in enumerate(fact.evidence, start=1):
            source = refs.sources.get(ev.source)
            if source is None:
                problems.append(f"fact {fact.id!r}, evidence {position}: no source {ev.source!r}")
                continue
            if ev.outlet is not None and ev.outlet not in refs.outlets:
                problems.append(f"fact {fact.id!r}, evidence {position}: no outlet {ev.outlet!r}")
                continue
            located, problem = locate(fact.id, position, ev, source)
            if problem:
                problems.append(problem)
            elif located:
                located_all.append(located)
                problems.extend(_wording_problems(fact.id, position, ev, located, source, refs))
        problems.extend(_status_problems(fact))
    problems.extend(_check_references(facts, refs))
    if problems:
        raise FactsError(problems)
    return located_all


def _wording_problems(
    fact_id: str,
    position: int,
    ev: EvidenceIn,
    at: LocatedEvidence,
    source: SourceRef,
    refs: References,
) -> list[str]:
    """Evidence is never more certain than its words: a quote in a sentence the source
    attributes to an outlet (or one that goes on with it) is that outlet's report, and an item
    of a list under a hedged lead-in ("the group reportedly involves:") is hedged."""
    name = f"fact {fact_id!r}, evidence {position}"
    wording = wording_of(source.text, tuple(sorted(refs.outlets.items())), source.publisher)
    problems = []
    attributed = overlapping(wording.attributions, at.start, at.end)
    if attributed and ev.outlet not in {a.outlet for a in attributed}:
        a = attributed[0]
        problems.append(
            f"{name}: the quote stands in a sentence {source.id} attributes to "
            f"{refs.outlets[a.outlet]} ({a.cue!r}): give outlet {a.outlet!r} and certainty "
            f"reported (or hedged): {ev.quote!r}"
        )
    hedges = {h.lower() for h in ev.hedges}
    for listed in within(wording.hedged_lists, at.start, at.end):
        if listed.hedge.lower() not in hedges:
            problems.append(
                f"{name}: the quote is an item of a list whose lead-in says {listed.hedge!r}: "
                f"mark it hedged with that hedge: {ev.quote!r}"
            )
    return problems


def _status_problems(fact: FactIn) -> list[str]:
    """A status never says more than the wording: `pledged` needs evidence that is not
    hedged ("may contribute", "envisions" and "anticipated" are no pledges)."""
    if (
        isinstance(fact, CommitmentFields)
        and fact.status is Status.pledged
        and all(ev.certainty is Certainty.hedged for ev in fact.evidence)
    ):
        return [
            f"fact {fact.id!r}: status pledged, but every quote is hedged "
            f"({', '.join(repr(h) for ev in fact.evidence for h in ev.hedges)}): use "
            "considering, open_to or pending, as the wording says"
        ]
    return []


def _check_references(facts: list[FactIn], refs: References) -> list[str]:
    problems: list[str] = []
    owners = dict(refs.membership_of)
    for m in (f for f in facts if isinstance(f, MembershipIn)):
        withdrawn = refs.retracted_membership_of.get(m.nation, m.id)
        if withdrawn != m.id:
            problems.append(
                f"nation {m.nation}: its membership fact {withdrawn!r} was retracted, and a "
                "nation has one membership fact; it cannot be given another"
            )
        elif owners.get(m.nation, m.id) != m.id:
            problems.append(f"nation {m.nation}: more than one membership fact ({m.id!r})")
        owners[m.nation] = m.id
    nations = set(owners)
    events = refs.events | {f.id for f in facts if isinstance(f, EventIn)}
    commitments = refs.commitments | {f.id for f in facts if isinstance(f, CommitmentIn)}
    all_text = refs.all_text()

    def nation_ok(fact: FactIn, code: str | None, what: str) -> None:
        if code is not None and code not in nations:
            problems.append(f"fact {fact.id!r}: {what} {code!r} has no membership fact")

    def group_ok(fact: FactIn, group: str | None) -> None:
        if group is not None and group not in refs.groups:
            problems.append(f"fact {fact.id!r}: no group {group!r} in reference/groups.yaml")

    for fact in facts:
        if isinstance(fact, MembershipIn):
            group_ok(fact, fact.group)
            if fact.group in refs.groups and fact.nation not in refs.groups[fact.group].members:
                problems.append(
                    f"fact {fact.id!r}: {fact.nation} is not a member of group {fact.group!r}"
                )
        elif isinstance(fact, CommitmentIn):
            nation_ok(fact, fact.nation, "nation")
            group_ok(fact, fact.group)
        elif isinstance(fact, ConditionIn):
            nation_ok(fact, fact.nation, "nation")
            problems.extend(
                f"fact {fact.id!r}: gates unknown commitment {gated!r}"
                for gated in fact.gates
                if gated not in commitments
            )
        elif isinstance(fact, StatementIn):
            nation_ok(fact, fact.speaker_nation, "speaker_nation")
            if fact.event is not None and fact.event not in events:
                problems.append(f"fact {fact.id!r}: no event {fact.event!r}")
            if not any(fact.text in ev.quote for ev in fact.evidence):
                problems.append(
                    f"fact {fact.id!r}: text is not inside any of its quotes: {fact.text!r}"
                )
            if fact.speaker not in all_text:
                problems.append(f"fact {fact.id!r}: speaker {fact.speaker!r} occurs in no source")
        elif isinstance(fact, EventIn):
            for p in fact.participants:
                nation_ok(fact, p.nation, "participant nation")
                if p.name not in all_text:
                    problems.append(f"fact {fact.id!r}: participant {p.name!r} occurs in no source")
    return problems
