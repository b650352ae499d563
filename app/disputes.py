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

import datetime as dt
import functools
import itertools
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import ColumnElement, Connection, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import GUARD
from app.errors import QueryTimeout
from app.inheritance import evidence_read
from app.models import Commitment, Evidence, Membership, Nation, Outlet, Source, Statement
from app.per_revision import PerRevision
from app.queries import FACTS
from app.schemas.common import EvidenceRead
from app.schemas.disputes import DisputeClaim, DisputeKind, DisputeRead, DisputeRule
from app.vocab import (
    ActorKind,
    Basis,
    CoalitionScope,
    Combat,
    Location,
    MembershipStatus,
    Role,
    StatementMode,
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
# Roles only one nation or a few can hold: sources naming different holders contradict each
# other, whereas for any other role a nation missing from one source is mere silence.
EXCLUSIVE_ROLES: dict[Role, tuple[DisputeRule, str]] = {
    Role.leadership: (DisputeRule.leadership, "Who leads the coalition"),
}
# Most specific first: the kind of a dispute about one nation when several rules find it.
NATION_KINDS = (DisputeRule.role, DisputeRule.stance, DisputeRule.role_set)
LOCATION_WORDS = {
    Location.inside_ukraine: "inside Ukraine",
    Location.outside_ukraine: "outside Ukraine",
}
ROLE_ORDER = {role: i for i, role in enumerate(Role)}
STATUS_ORDER = {status: i for i, status in enumerate(Status)}

F = TypeVar("F", bound="Claimed")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    members: frozenset[str]


@lru_cache
def load_groups(data_dir: Path) -> dict[str, Group]:
    """reference/groups.yaml, by group name (the name is what a commitment stores)."""
    text = (data_dir / "reference" / "groups.yaml").read_text(encoding="utf-8")
    # BaseLoader keeps every scalar a string, so Norway's code "NO" is not read as false.
    raw = yaml.load(text, Loader=yaml.BaseLoader) or []  # noqa: S506 - BaseLoader builds no objects
    groups = (Group(g["id"], g["name"], frozenset(g["members"])) for g in raw)
    return {g.name: g for g in groups}


@dataclass(frozen=True)
class SourceInfo:
    id: str
    title: str
    published: dt.date | None


@dataclass(eq=False)
class Quoted:
    """An evidence item as the rules read it (a Core row), its read schema built once."""

    row: Any

    @property
    def source_id(self) -> str:
        return str(self.row["source_id"])

    @functools.cached_property
    def read(self) -> EvidenceRead:
        return evidence_read(self.row)


@dataclass(eq=False)
class Claimed:
    """What every fact the rules read shares: its id, its evidence and the sources quoted."""

    id: str
    evidence: list[Quoted]
    sources: frozenset[str]


@dataclass(eq=False)
class CommitmentFact(Claimed):
    actor: ActorKind
    nation_code: str | None
    coalition_scope: CoalitionScope | None
    role: Role
    status: Status
    location: Location
    combat: Combat
    group_name: str | None


@dataclass(eq=False)
class StatementFact(Claimed):
    speaker: str
    speaker_nation_code: str | None
    mode: StatementMode
    text: str
    topic: str | None


@dataclass(eq=False)
class MembershipFact(Claimed):
    nation_code: str
    status: MembershipStatus


@dataclass(frozen=True)
class Data:
    """Everything the rules read, loaded in a fixed number of statements."""

    commitments: Sequence[CommitmentFact]
    statements: Sequence[StatementFact]
    memberships: Sequence[MembershipFact]
    sources: dict[str, SourceInfo]
    names: dict[str, str]
    groups: dict[str, Group]
    # Every speaker with a statement on a topic, where `statements` holds only some of them
    # (one nation's disputes): statement ids shorten a speaker's name unless another shares it.
    speakers: frozenset[str] | None = None


C, S, M = Commitment.__table__.c, Statement.__table__.c, Membership.__table__.c
STANDING = FACTS.c.retracted_at.is_(None)
COMMITMENT_COLUMNS = (
    C.id, C.actor, C.nation_code, C.coalition_scope, C.role, C.status, C.location, C.combat,
    C.group_name,
)  # fmt: skip
STATEMENT_COLUMNS = (S.id, S.speaker, S.speaker_nation_code, S.mode, S.text, S.topic)
MEMBERSHIP_COLUMNS = (M.id, M.nation_code, M.status)


def _facts(
    connection: Connection,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    make: Callable[..., F],
) -> list[F]:
    """The standing facts of one kind (columns of its own table) that match ``where``, each
    with its evidence in curated order: two statements, Core rows, no ORM identity map."""
    table = columns[0].table
    ids = select(table.c.id).join(FACTS, FACTS.c.id == table.c.id).where(STANDING, *where)
    rows = connection.execute(
        select(*columns).join(FACTS, FACTS.c.id == table.c.id).where(STANDING, *where)
        .order_by(*order_by)
    ).all()  # fmt: skip
    e, o = Evidence.__table__.c, Outlet.__table__.c
    evidence: dict[str, list[Quoted]] = defaultdict(list)
    for item in connection.execute(
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
        .where(e.fact_id.in_(ids))
        .order_by(e.fact_id, e.position)
    ).mappings():
        evidence[item["fact_id"]].append(Quoted(item))
    found = []
    for row in rows:
        quoted = evidence.get(row.id, [])
        found.append(
            make(**row._mapping, evidence=quoted, sources=frozenset(q.source_id for q in quoted))
        )
    return found


def load(session: Session, nation: str | None = None) -> Data:
    """What the rules read: everything, or with ``nation`` (an alpha-2 code) only what the
    disputes that name that nation are found in (`disputes_for_nation`)."""
    connection = session.connection()
    groups = load_groups(get_settings().data_dir)
    speakers: frozenset[str] | None = None
    if nation is None:
        commitment_filter: list[ColumnElement[bool]] = []
        statement_filter: list[ColumnElement[bool]] = [S.topic.is_not(None)]
    else:
        # Its own commitments; every holder of an exclusive role (leadership); unnamed members
        # of the groups it belongs to. Statements on the topics its speakers spoke on.
        its_groups = sorted(g.name for g in groups.values() if nation in g.members)
        commitment_filter = [
            or_(
                and_(C.actor == ActorKind.nation, C.nation_code == nation),
                C.role.in_(list(EXCLUSIVE_ROLES)),
                and_(
                    C.coalition_scope == CoalitionScope.some_members,
                    C.group_name.in_(its_groups),
                ),
            )
        ]
        own = select(S.speaker, S.topic).where(
            S.speaker_nation_code == nation, S.topic.is_not(None)
        )
        statement_filter = [tuple_(S.speaker, S.topic).in_(own)]
        speakers = frozenset(
            connection.execute(select(S.speaker).where(S.topic.is_not(None)).distinct()).scalars()
        )
    commitments = _facts(connection, COMMITMENT_COLUMNS, commitment_filter, [C.id], CommitmentFact)
    statements = _facts(connection, STATEMENT_COLUMNS, statement_filter, [S.id], StatementFact)
    # Memberships only matter to the participation rule: load those of the groups' nations.
    members: set[str] = set()
    for c in commitments:
        if c.group_name is not None and c.group_name in groups:
            members |= groups[c.group_name].members
    memberships: Sequence[MembershipFact] = []
    if members:
        memberships = _facts(
            connection,
            MEMBERSHIP_COLUMNS,
            [
                M.nation_code.in_(sorted(members)),
                M.status.in_([MembershipStatus.member, MembershipStatus.potential]),
                M.basis.in_([Basis.named, Basis.implied]),
            ],
            [M.nation_code],
            MembershipFact,
        )
    sources = {
        row.id: SourceInfo(row.id, row.title, row.published)
        for row in session.execute(select(Source.id, Source.title, Source.published))
    }
    names = {row.code: row.name for row in session.execute(select(Nation.code, Nation.name))}
    return Data(commitments, statements, memberships, sources, names, groups, speakers)


# --- words -------------------------------------------------------------------------------------


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


# --- claims ------------------------------------------------------------------------------------


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
    return DisputeClaim(
        source=source_id,
        source_title=source.title,
        source_published=source.published,
        facts=[f.id for f in facts],
        claim=text,
        evidence=evidence,
    )


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


def _distinct(facts: Iterable[CommitmentFact]) -> list[CommitmentFact]:
    """A source's claims in order without repeats: two commitments with the same terms and the
    same sources make the same differences, found at the first of them."""
    found: dict[tuple[Role, Status, Location, Combat, frozenset[str]], CommitmentFact] = {}
    for f in facts:
        found.setdefault((f.role, f.status, f.location, f.combat, f.sources), f)
    return list(found.values())


_CONFLICTS: dict[tuple[Status, Location, Combat, Status, Location, Combat], bool] = {}


def _conflicts(f: CommitmentFact, g: CommitmentFact) -> bool:
    """`conflict`, looked up by the terms of both: a handful of combinations, met millions of
    times at 1,000x the seed."""
    key = (f.status, f.location, f.combat, g.status, g.location, g.combat)
    found = _CONFLICTS.get(key)
    if found is None:
        found = _CONFLICTS[key] = conflict(f, g)
    return found


def role_differences(
    per_source: dict[str, list[CommitmentFact]],
) -> list[tuple[Role, str, bool]]:
    """Rule ``role``: one source's claim on a role against another's, where they conflict and
    neither source makes the other's claim too; with whether they contradict each other."""
    found: dict[tuple[Role, str, bool], None] = {}  # in the order found, once each
    distinct = {s: _distinct(fs) for s, fs in per_source.items()}
    by_role: dict[str, dict[Role, list[CommitmentFact]]] = {}
    for s, fs in distinct.items():
        by_role[s] = defaultdict(list)
        for f in fs:
            by_role[s][f.role].append(f)
    for x, y in combinations(distinct, 2):
        for f in distinct[x]:
            if y in f.sources:
                continue
            for g in by_role[y].get(f.role, ()):
                if x not in g.sources and _conflicts(f, g):
                    hit = (
                        f.role,
                        f"{words(f.role)}: {terms(f)} in {x}, {terms(g)} in {y}",
                        contradicts(f, g),
                    )
                    found.setdefault(hit)
    return list(found)


def stance_differences(per_source: dict[str, list[CommitmentFact]]) -> list[str]:
    found = []
    for x, xs in per_source.items():
        if not all(f.status in NO_PLEDGE for f in xs):
            continue
        for y, ys in per_source.items():
            pledged = [words(f.role) for f in ys if f.status is Status.pledged]
            if y != x and pledged:
                stances = ", ".join(describe(f) for f in xs)
                pledges = ", ".join(dict.fromkeys(pledged))
                found.append(f"{x} gives no pledge ({stances}); {y} pledges ({pledges})")
    return found


def role_set_differences(per_source: dict[str, list[CommitmentFact]]) -> list[str]:
    found = []
    for (x, xs), (y, ys) in combinations(per_source.items(), 2):
        x_roles, y_roles = {f.role for f in xs}, {f.role for f in ys}
        parts = [
            f"{', '.join(words(r) for r in sorted(only, key=ROLE_ORDER.__getitem__))} only in {s}"
            for only, s in ((x_roles - y_roles, x), (y_roles - x_roles, y))
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
        roles = role_differences(per_source)
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
        found = role_differences(per_source)
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
        differences = []
        for code in sorted({code for h in holders.values() for code in h}):
            named = [s for s, h in holders.items() if code in h]
            if len(named) < len(holders):
                others = [s for s in holders if s not in named]
                differences.append(
                    f"{data.names.get(code, code)}: {words(role)} in {listing(named)}, "
                    f"not in {listing(others)}"
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
        if len({frozenset(t) for t in texts.values()}) < 2:
            continue
        differences = [
            f"{x}: {'; '.join(texts[x])}; {y}: {'; '.join(texts[y])}"
            for x, y in combinations(texts, 2)
            if set(texts[x]) != set(texts[y])
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


# The rules read every fact: found once per data revision (app.per_revision); one nation's,
# from that nation's facts only, kept per nation.
FOUND: PerRevision[list[DisputeRead]] = PerRevision(max_entries=1)
FOUND_FOR_NATION: PerRevision[list[DisputeRead]] = PerRevision(max_entries=512)


def find_disputes(session: Session) -> list[DisputeRead]:
    """Every dispute in the data, ordered by id (the list is shared: do not change it)."""
    return FOUND.get(session, "disputes", lambda: _find_disputes(session))


def _find_disputes(session: Session, nation: str | None = None) -> list[DisputeRead]:
    data = load(session, nation)
    within = time_limit(session)
    found = [
        *within(exclusive_role_disputes(data)),
        *within(nation_disputes(data)),
        *within(coalition_role_disputes(data) if nation is None else iter(())),
        *within(participation_disputes(data)),
        *within(wording_disputes(data)),
    ]
    if nation is not None:
        found = [d for d in found if nation in d.nations]
    return sorted(found, key=lambda d: d.id)


def disputes_for_nation(session: Session, code: str) -> list[DisputeRead]:
    """The disputes about one nation (alpha-2 code), for its page: the same as those of
    `find_disputes` that name it, found in what concerns that nation only (`load`), unless the
    whole list is at hand already."""
    code = code.upper()

    def find() -> list[DisputeRead]:
        every = FOUND.kept(session, "disputes")
        if every is not None:  # the whole list is at hand: the same answer, no rules to run
            return [d for d in every if code in d.nations]
        return _find_disputes(session, code)

    return FOUND_FOR_NATION.get(session, code, find)


def time_limit(session: Session) -> Callable[[Iterator[DisputeRead]], Iterator[DisputeRead]]:
    """Python work under the request's time limit, as SQL is (app.db): past it, the rules stop
    and the request answers 503 ``/problems/timeout``. Counted from here, after the loads."""
    guard = session.info.get(GUARD)
    timeout_ms = getattr(guard, "timeout_ms", 0)
    deadline = time.monotonic() + timeout_ms / 1000

    def within(found: Iterator[DisputeRead]) -> Iterator[DisputeRead]:
        for dispute in found:
            if timeout_ms > 0 and time.monotonic() > deadline:
                raise QueryTimeout("Finding the disputes took longer than the request time limit.")
            yield dispute

    return within
