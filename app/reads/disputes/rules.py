"""Disputes: the places where the sources disagree, or where a later source changes an earlier
one. They are found in the facts by general rules, never kept as a list by hand:

- ``role``: the same role of the same nation (or of the coalition's force as a whole) claimed by
  different sources with a different status, or a different location or combat status where
  both sources specify it;
- ``stance``: a nation's own commitments in one source hold no pledge (open to, considering,
  pending, hesitant, ruled out) while another source has it pledging something;
- ``role_set``: both sources give a nation commitments of its own, but for different roles;
- ``leadership``: for a role only a few can hold (leading the coalition), the sources name
  different holders;
- ``wording``: the same speaker on the same curated ``topic``, in different words;
- ``participation``: a source gives a commitment to unnamed members of a named group ("players
  from Asia-Pacific") and another source names nations of that group as members.

Each dispute also says how its claims stand (``kind``): a ``contradiction`` when they cannot
both be right, a ``refinement`` when one narrows or details the other, ``wording`` for words.

The first three, about one nation, make one dispute (its rule is the most specific rule that
found it). Silence is not disagreement: a claim in one source and nothing on the subject in
another is no dispute. Retracted facts take no part.
"""

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import combinations

from app.reads.disputes.facts import (
    EXCLUSIVE_ROLES,
    CommitmentFact,
    Data,
    StatementFact,
    past_deadline,
)
from app.reads.disputes.telling import (
    ROLE_ORDER,
    by_source,
    claim,
    commitment_key,
    describe,
    dispute,
    gives,
    listing,
    member,
    possessive,
    quoted,
    slug,
    source_order,
    sources_of,
    terms,
    together,
    words,
)
from app.schemas.disputes import DisputeKind, DisputeRead, DisputeRule
from app.vocab import (
    ActorKind,
    CoalitionScope,
    Combat,
    Location,
    Role,
    Status,
)

NO_PLEDGE = frozenset(
    {Status.open_to, Status.considering, Status.pending, Status.hesitant, Status.ruled_out}
)
# Statuses that cannot both be true of one role of one actor: a refusal against any willingness,
# a hesitation against a pledge. Any other change of status (open to, then pledged; hesitant,
# then ruled out) narrows or details the other: a refinement.
WILLING = frozenset({Status.pledged, Status.open_to, Status.considering, Status.pending})
CONTRADICTING = frozenset(
    {frozenset({Status.ruled_out, s}) for s in WILLING}
    | {frozenset({Status.hesitant, Status.pledged})}
)
# Most specific first: the kind of a dispute about one nation when several rules find it.
NATION_KINDS = (DisputeRule.role, DisputeRule.stance, DisputeRule.role_set)


# --- the rules ---------------------------------------------------------------------------------


def conflict(f: CommitmentFact, g: CommitmentFact) -> bool:
    if f.status is not g.status:
        return True
    if Location.unspecified not in (f.location, g.location) and f.location is not g.location:
        return True
    return Combat.unspecified not in (f.combat, g.combat) and f.combat is not g.combat


def contradicts(f: CommitmentFact, g: CommitmentFact) -> bool:
    """Whether two claims on one role cannot both be right (not merely one more precise)."""
    if frozenset({f.status, g.status}) in CONTRADICTING:
        return True
    if Location.unspecified not in (f.location, g.location) and f.location is not g.location:
        return True
    return Combat.unspecified not in (f.combat, g.combat) and f.combat is not g.combat


Terms = tuple[Status, Location, Combat]


def _terms_key(f: CommitmentFact) -> Terms:
    return f.status, f.location, f.combat


def _makes_both(x: str, f: CommitmentFact, y: str, g: CommitmentFact) -> bool:
    """Whether source ``x`` (claiming ``f``) or ``y`` (claiming ``g``) makes the other's claim
    too, or they are one source: no difference between them."""
    return x == y or y in f.sources or x in g.sources


def role_differences(
    per_source: dict[str, list[CommitmentFact]], deadline: float | None = None
) -> list[tuple[Role, str, bool]]:
    """Rule ``role``: where sources' claims on a role conflict (and neither source makes the
    other's claim too), one line per pair of conflicting terms, each naming every source that
    makes it ("pledged in A and C, ruled out in B"), with whether they contradict each other.
    Sources that say the same are told together: the lines are as many as the distinct claims
    make, not as the pairs of sources (at 1,000x the seed, 2,000 sources on a role of the
    coalition's force as a whole)."""
    order = {s: i for i, s in enumerate(per_source)}
    # Each role's claims by their terms, in source order: [(source, fact, its place there)].
    claims: dict[Role, dict[Terms, list[tuple[str, CommitmentFact, int]]]] = {}
    for s, fs in per_source.items():
        seen: set[tuple[Role, Terms, frozenset[str]]] = set()
        for i, f in enumerate(fs):
            if (f.role, _terms_key(f), f.sources) not in seen:  # a repeat makes no difference
                seen.add((f.role, _terms_key(f), f.sources))
                claims.setdefault(f.role, {}).setdefault(_terms_key(f), []).append((s, f, i))
    found: dict[str, tuple[tuple[int, ...], Role, bool]] = {}
    for role, by_terms in claims.items():
        for a, b in combinations(by_terms.values(), 2):
            past_deadline(deadline)
            if not conflict(a[0][1], b[0][1]):  # the terms decide: the same for every pair
                continue
            sides = [
                [(x, f, i) for x, f, i in a if any(not _makes_both(x, f, y, g) for y, g, _ in b)],
                [(y, g, j) for y, g, j in b if any(not _makes_both(x, f, y, g) for x, f, _ in a)],
            ]
            if not sides[0]:
                continue
            # The side a source told first comes first, as the sources come.
            sides.sort(key=lambda side: (order[side[0][0]], side[0][2]))
            (x, f, i), (y, g, j) = sides[0][0], sides[1][0]
            told = ", ".join(
                f"{terms(side[0][1])} in {listing(dict.fromkeys(s for s, _, _ in side))}"
                for side in sides
            )
            text = f"{words(role)}: {told}"
            if text not in found:
                found[text] = ((order[x], i, order[y], j), role, contradicts(f, g))
    ranked = sorted(found.items(), key=lambda item: item[1][0])
    return [(role, text, contradiction) for text, (_, role, contradiction) in ranked]


def stance_differences(per_source: dict[str, list[CommitmentFact]]) -> list[str]:
    """Rule ``stance``: sources that hold no pledge of the nation against those that have it
    pledging, told together where they say the same."""
    stances = together(
        {
            s: ", ".join(describe(f) for f in fs)
            for s, fs in per_source.items()
            if all(f.status in NO_PLEDGE for f in fs)
        }
    )
    pledged = {
        s: ", ".join(dict.fromkeys(words(f.role) for f in fs if f.status is Status.pledged))
        for s, fs in per_source.items()
    }
    pledges = together({s: roles for s, roles in pledged.items() if roles})
    return [
        f"{gives(xs, 'give')} no pledge ({stance}); {gives(ys, 'pledge')} ({pledged})"
        for stance, xs in stances.items()
        for pledged, ys in pledges.items()
    ]


def role_set_differences(per_source: dict[str, list[CommitmentFact]]) -> list[str]:
    """Rule ``role_set``: the roles some sources give the nation and others do not, sources
    with the same roles told together."""
    role_sets = together({s: frozenset(f.role for f in fs) for s, fs in per_source.items()})
    found = []
    for x, y in combinations(role_sets, 2):
        parts = [
            f"{', '.join(words(r) for r in sorted(only, key=ROLE_ORDER.__getitem__))} only in "
            f"{listing(role_sets[roles])}"
            for only, roles in ((x - y, x), (y - x, y))
            if only
        ]
        if parts:
            found.append("; ".join(parts))
    return found


def nation_disputes(data: Data) -> Iterator[DisputeRead]:
    """Rules ``role``, ``stance`` and ``role_set``: one dispute per nation."""
    by_nation: dict[str, list[CommitmentFact]] = defaultdict(list)
    for c in data.commitments:
        if c.actor is ActorKind.nation and c.nation_code and c.role not in EXCLUSIVE_ROLES:
            by_nation[c.nation_code].append(c)
    for code, facts in sorted(by_nation.items()):
        per_source = by_source(data, sorted(facts, key=commitment_key))
        if len(per_source) < 2:
            continue
        roles = role_differences(per_source, data.deadline)
        found = {
            DisputeRule.role: [text for _, text, _ in roles],
            DisputeRule.stance: stance_differences(per_source),
            DisputeRule.role_set: role_set_differences(per_source),
        }
        kind = next((k for k in NATION_KINDS if found[k]), None)
        if kind is None:
            continue
        name = possessive(data.names.get(code, code))
        if kind is DisputeRule.role:
            subject = f"{name} role in {listing(dict.fromkeys(words(r) for r, _, _ in roles))}"
        else:
            subject = f"{name} {'stance' if kind is DisputeRule.stance else 'roles'}"
        # Stances and role sets alone never contradict: one source says what the other omits.
        contradiction = any(c for _, _, c in roles)
        yield dispute(
            f"nation-{code.lower()}-{kind.value.replace('_', '-')}",
            DisputeKind.contradiction if contradiction else DisputeKind.refinement,
            kind,
            subject,
            [code],
            [text for k in NATION_KINDS for text in found[k]],
            [claim(data, s, fs, "; ".join(map(describe, fs))) for s, fs in per_source.items()],
        )


def coalition_role_disputes(data: Data) -> Iterator[DisputeRead]:
    """Rule ``role`` for the coalition's force as a whole."""
    by_role: dict[Role, list[CommitmentFact]] = defaultdict(list)
    for c in data.commitments:
        if c.actor is ActorKind.coalition and c.coalition_scope is CoalitionScope.whole:
            by_role[c.role].append(c)
    for role, facts in sorted(by_role.items(), key=lambda item: ROLE_ORDER[item[0]]):
        per_source = by_source(data, facts)
        found = role_differences(per_source, data.deadline)
        if found:
            yield dispute(
                f"coalition-{slug(role)}",
                DisputeKind.contradiction
                if any(c for _, _, c in found)
                else DisputeKind.refinement,
                DisputeRule.role,
                f"The coalition's force as a whole: {words(role)}",
                [],
                [text for _, text, _ in found],
                [claim(data, s, fs, "; ".join(map(terms, fs))) for s, fs in per_source.items()],
            )


def exclusive_role_disputes(data: Data) -> Iterator[DisputeRead]:
    """Rule ``leadership``: the sources name different holders of an exclusive role."""
    for role, (kind, subject) in EXCLUSIVE_ROLES.items():
        facts = [
            c
            for c in data.commitments
            if c.actor is ActorKind.nation and c.nation_code and c.role is role
        ]
        per_source = by_source(data, sorted(facts, key=lambda c: (c.nation_code or "", c.id)))
        holders = {
            s: [f.nation_code or "" for f in fs if f.status is Status.pledged]
            for s, fs in per_source.items()
        }
        if len(per_source) < 2 or len({frozenset(h) for h in holders.values()}) < 2:
            continue
        # The sources naming each holder, in claim order, found in one pass (at 1,000x the seed:
        # 144 holders in 2,000 sources).
        naming: dict[str, list[str]] = defaultdict(list)
        for s, h in holders.items():
            for code in dict.fromkeys(h):
                naming[code].append(s)
        differences = []
        for code in sorted(naming):
            named = naming[code]
            if len(named) < len(holders):
                named_set = set(named)
                others = [s for s in holders if s not in named_set]
                # The sources that do not name a holder are counted where they outnumber those
                # that do (each claim says whom its source names): a line as long as the
                # holder's own (at 1,000x the seed, 2 sources name a holder and 1,998 do not).
                not_in = listing(others) if len(others) <= len(named) else (
                    f"the other {len(others):,} sources"
                )  # fmt: skip
                differences.append(
                    f"{data.names.get(code, code)}: {words(role)} in {listing(named)}, "
                    f"not in {not_in}"
                )
        claims = []
        for s, fs in per_source.items():
            named = [data.names.get(code, code) for code in dict.fromkeys(holders[s])]
            parts = [f"{words(role)}: {listing(named)}"] if named else []
            parts += [
                f"{data.names.get(f.nation_code or '', f.nation_code)}: {terms(f)}"
                for f in fs
                if f.status is not Status.pledged
            ]
            claims.append(claim(data, s, fs, "; ".join(parts)))
        # One source naming more holders than the other details it ("France" and then "France
        # and the United Kingdom"); holders that exclude each other contradict.
        sets = sorted((frozenset(h) for h in holders.values()), key=len)
        nested = all(a <= b for a, b in itertools.pairwise(sets))
        yield dispute(
            role.value,
            DisputeKind.refinement if nested else DisputeKind.contradiction,
            kind,
            subject,
            [f.nation_code or "" for f in facts],
            differences,
            claims,
        )


def wording_disputes(data: Data) -> Iterator[DisputeRead]:
    """Rule ``wording``: the same speaker on the same topic, in different words."""
    by_subject: dict[tuple[str, str], list[StatementFact]] = defaultdict(list)
    for s in data.statements:
        if s.topic is not None:
            by_subject[(s.speaker, s.topic)].append(s)
    # The speaker's last name keeps ids short; the full name where two speakers share it.
    speakers = data.speakers if data.speakers is not None else {s for s, _ in by_subject}
    short = {speaker: slug(speaker.split()[-1]) for speaker in speakers}
    shared = Counter(short.values())
    clash = {n for n, count in shared.items() if count > 1}
    for (speaker, topic), facts in sorted(by_subject.items()):
        per_source = by_source(data, facts)
        texts = {src: [quoted(f) for f in fs] for src, fs in per_source.items()}
        # Sources with the same words told together, in the words of the first of them.
        alike = together({src: frozenset(t) for src, t in texts.items()})
        if len(alike) < 2:
            continue
        differences = [
            f"{listing(xs)}: {'; '.join(texts[xs[0]])}; {listing(ys)}: {'; '.join(texts[ys[0]])}"
            for xs, ys in combinations(alike.values(), 2)
        ]
        name = short[speaker] if short[speaker] not in clash else slug(speaker)
        yield dispute(
            f"statement-{name}-{topic}",
            DisputeKind.wording,
            DisputeRule.wording,
            f"{possessive(speaker)} words: {words(topic.replace('-', ' '))}",
            [f.speaker_nation_code for f in facts if f.speaker_nation_code],
            differences,
            [claim(data, src, fs, "; ".join(texts[src])) for src, fs in per_source.items()],
        )


def participation_disputes(data: Data) -> Iterator[DisputeRead]:
    """Rule ``participation``: unnamed members of a group in one source, nations of that group
    named as members only by another."""
    by_group: dict[str, list[CommitmentFact]] = defaultdict(list)
    for c in data.commitments:
        if c.coalition_scope is CoalitionScope.some_members and c.group_name:
            by_group[c.group_name].append(c)
    for group_name, facts in sorted(by_group.items()):
        group = data.groups.get(group_name)
        if group is None:
            continue
        unnamed_in = {s for f in facts for s in sources_of(f)}
        named = [
            m
            for m in data.memberships
            if m.nation_code in group.members and not sources_of(m) & unnamed_in
        ]
        if not named:
            continue
        unnamed = f"unnamed members from {group.name}"
        claims = [
            claim(data, s, fs, "; ".join(f"{unnamed}: {describe(f)}" for f in fs))
            for s, fs in by_source(data, facts).items()
        ]
        named_by = by_source(data, named)
        claims += [
            claim(data, s, ms, f"named as members: {listing(member(data, m) for m in ms)}")
            for s, ms in named_by.items()
        ]
        claims.sort(key=lambda c: source_order(data, c.source))
        yield dispute(
            f"participation-{group.id}",
            DisputeKind.refinement,  # one source names members the other leaves unnamed
            DisputeRule.participation,
            f"Which {group.name} nations take part",
            [m.nation_code for m in named],
            [
                f"{listing(sorted(unnamed_in))} leaves the {group.name} members unnamed; "
                f"{s} names {listing(member(data, m) for m in ms)}"
                for s, ms in named_by.items()
            ],
            claims,
        )


# --- entry points ------------------------------------------------------------------------------
