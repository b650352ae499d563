"""The seeded database tells the truth about its two source articles.

Everything here is read back from the shared seeded database (the `engine` fixture) with
SQLAlchemy, never from the fact files: what the API serves is what must be true. Expected values
are derived from the stored source texts (and, for byte-level checks, the seed document itself)
rather than written down."""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.facts.files import Dataset
from app.facts.verify import HEDGE_WINDOW
from app.store.models import (
    Commitment,
    Evidence,
    Fact,
    Membership,
    Nation,
    Outlet,
    Source,
    Statement,
)
from app.vocab import (
    ActorKind,
    Basis,
    Certainty,
    CoalitionScope,
    MembershipStatus,
    Role,
)

LIST_INTRO = "the group reportedly involves:"


@dataclass
class Db:
    """Plain snapshot of the seeded database (loaded once, read by every test)."""

    sources: dict[str, Source]
    outlets: dict[str, Outlet]
    nations: dict[str, Nation]
    facts: dict[str, Fact]
    commitments: dict[str, Commitment]
    memberships: dict[str, Membership]
    statements: dict[str, Statement]
    evidence: list[Evidence]

    def evidence_of(self, fact_id: str) -> list[Evidence]:
        return [e for e in self.evidence if e.fact_id == fact_id]

    def sources_of(self, fact_id: str) -> set[str]:
        return {e.source_id for e in self.evidence_of(fact_id)}

    def document(self) -> str:
        names = {s.document for s in self.sources.values()}
        assert len(names) == 1, names
        name = names.pop()
        assert name is not None, "the seeded sources are cut from a document"
        return (PROJECT_ROOT / "data" / name).read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def db(engine: Engine) -> Db:
    with Session(engine) as session:
        snapshot = Db(
            sources={s.id: s for s in session.scalars(select(Source))},
            outlets={o.id: o for o in session.scalars(select(Outlet))},
            nations={n.code: n for n in session.scalars(select(Nation))},
            facts={f.id: f for f in session.scalars(select(Fact))},
            commitments={c.id: c for c in session.scalars(select(Commitment))},
            memberships={m.id: m for m in session.scalars(select(Membership))},
            statements={s.id: s for s in session.scalars(select(Statement))},
            evidence=list(
                session.scalars(select(Evidence).order_by(Evidence.fact_id, Evidence.position))
            ),
        )
        session.expunge_all()
    assert snapshot.evidence, "the shared database holds no evidence"
    return snapshot


def _describe(evidence: Iterable[Evidence]) -> list[str]:
    return [f"{e.id}: {e.quote!r}" for e in evidence]


def _hedges(ev: Evidence) -> list[str]:
    """The hedge words of an evidence row: one, or several stacked ("reportedly, potentially")."""
    return [h.strip() for h in (ev.hedge or "").split(",") if h.strip()]


@dataclass(frozen=True)
class Cut:
    """Where a seeded source sits in the seed document (its columns are nullable only for
    sources added later without a document)."""

    start_char: int
    end_char: int
    first_line: int
    last_line: int


def _cut(source: Source) -> Cut:
    start, end = source.start_char, source.end_char
    first, last = source.first_line, source.last_line
    assert start is not None and end is not None, source.id
    assert first is not None and last is not None, source.id
    return Cut(start, end, first, last)


def _line_span(ev: Evidence) -> range:
    """Document lines the quote covers."""
    return range(ev.line, ev.line + ev.quote.count("\n") + 1)


# --- evidence is verbatim and correctly located ----------------------------------------------


def test_sources_are_exact_cuts_of_the_seed_document(db: Db) -> None:
    document = db.document()
    raw = document.encode("utf-8")
    lines = document.splitlines(keepends=True)
    ordered = sorted(db.sources.values(), key=lambda s: _cut(s).start_char)
    for source in ordered:
        cut = _cut(source)
        assert source.document_sha256 == hashlib.sha256(raw).hexdigest()
        assert document[cut.start_char : cut.end_char] == source.text
        assert cut.first_line == document.count("\n", 0, cut.start_char) + 1
        assert "".join(lines[cut.first_line - 1 : cut.last_line]) == source.text
    # The articles follow each other and cover the whole document, nothing left out.
    assert _cut(ordered[0]).start_char == 0
    assert _cut(ordered[-1]).end_char == len(document)
    for before, after in zip(map(_cut, ordered), map(_cut, ordered[1:]), strict=False):
        assert before.end_char == after.start_char
        assert before.last_line + 1 == after.first_line
    assert {s.id: (s.first_line, s.last_line) for s in ordered} == {
        "article-a": (1, 81),
        "article-b": (82, 110),
    }


def test_every_quote_equals_its_source_slice(db: Db) -> None:
    wrong = [
        e
        for e in db.evidence
        if db.sources[e.source_id].text[e.start : e.end] != e.quote
        or e.end - e.start != len(e.quote)
    ]
    assert not wrong, _describe(wrong)


def test_every_quote_line_is_its_line_in_the_document(db: Db) -> None:
    document_lines = db.document().splitlines()
    wrong = []
    for e in db.evidence:
        source = db.sources[e.source_id]
        expected = _cut(source).first_line + source.text.count("\n", 0, e.start)
        first_part = e.quote.split("\n", 1)[0]
        if e.line != expected or first_part not in document_lines[e.line - 1]:
            wrong.append(f"{e.id}: line {e.line}, expected {expected}: {e.quote!r}")
    assert not wrong


def test_every_statement_text_is_inside_one_of_its_quotes(db: Db) -> None:
    assert db.statements
    outside = [
        f"{s.id}: {s.text!r}"
        for s in db.statements.values()
        if not any(s.text in e.quote for e in db.evidence_of(s.id))
    ]
    assert not outside


def test_every_fact_has_evidence(db: Db) -> None:
    with_evidence = {e.fact_id for e in db.evidence}
    assert set(db.facts) <= with_evidence, sorted(set(db.facts) - with_evidence)


# --- coalition tasks are not nations' tasks --------------------------------------------------

NAVAL_WORDS = re.compile(r"\b(naval|navy|sea|maritime)\b", re.IGNORECASE)


def _names_of(nation: Nation) -> list[str]:
    return [n for n in (nation.name, nation.official_name) if n]


def test_no_nation_has_a_naval_commitment_its_quotes_do_not_give_it(db: Db) -> None:
    unsupported = []
    for c in db.commitments.values():
        if c.actor is not ActorKind.nation or c.role is not Role.naval:
            continue
        assert c.nation_code is not None
        names = _names_of(db.nations[c.nation_code])
        if not any(
            any(name in e.quote for name in names) and NAVAL_WORDS.search(e.quote)
            for e in db.evidence_of(c.id)
        ):
            unsupported.append(c.id)
    assert not unsupported, f"naval patrols attributed to a named nation: {unsupported}"


def test_naval_patrols_are_a_whole_coalition_commitment(db: Db) -> None:
    naval = [
        c
        for c in db.commitments.values()
        if c.role is Role.naval
        and c.actor is ActorKind.coalition
        and c.coalition_scope is CoalitionScope.whole
        and c.nation_code is None
    ]
    assert naval, "no coalition-level naval commitment"
    assert any(
        re.search(r"naval patrols", e.quote, re.IGNORECASE)
        for c in naval
        for e in db.evidence_of(c.id)
    )


def test_air_policing_quotes_are_only_on_coalition_commitments(db: Db) -> None:
    policing = [e for e in db.evidence if "air policing" in e.quote.lower()]
    assert policing, "no evidence quotes the air policing task"
    misplaced = [
        e
        for e in policing
        if e.fact_id not in db.commitments
        or db.commitments[e.fact_id].actor is not ActorKind.coalition
    ]
    assert not misplaced, _describe(misplaced)
    assert any(
        db.commitments[e.fact_id].role is Role.air
        and db.commitments[e.fact_id].coalition_scope is CoalitionScope.whole
        for e in policing
    )


AIR_DEFENCE = re.compile(r"air[ -]defen[cs]e", re.IGNORECASE)


def test_help_to_ukraines_air_defence_is_air_defense_not_air(db: Db) -> None:
    quoting = [e for e in db.evidence if AIR_DEFENCE.search(e.quote)]
    assert quoting, "no evidence mentions air defence"
    on_air = [
        e
        for e in quoting
        if e.fact_id in db.commitments and db.commitments[e.fact_id].role is Role.air
    ]
    assert not on_air, _describe(on_air)
    air_defense = [c for c in db.commitments.values() if c.role is Role.air_defense]
    assert air_defense, "no air_defense commitment"
    for c in air_defense:
        assert any(AIR_DEFENCE.search(e.quote) for e in db.evidence_of(c.id)), c.id
    assert {e.fact_id for e in quoting} & {c.id for c in air_defense}


# --- hedges are kept -------------------------------------------------------------------------


def test_quotes_saying_reportedly_or_potentially_are_hedged(db: Db) -> None:
    hedgy = [e for e in db.evidence if re.search(r"reportedly|potentially", e.quote, re.I)]
    assert hedgy
    unhedged = [
        e
        for e in hedgy
        if e.certainty is not Certainty.hedged
        or not all(
            word in _hedges(e) for word in ("reportedly", "potentially") if word in e.quote.lower()
        )
    ]
    assert not unhedged, _describe(unhedged)


def test_every_hedge_stands_in_or_just_before_its_quote(db: Db) -> None:
    hedged = [e for e in db.evidence if e.certainty is Certainty.hedged]
    assert hedged
    missing = []
    for e in hedged:
        text = db.sources[e.source_id].text
        window = text[max(0, e.start - HEDGE_WINDOW) : e.end]
        if not _hedges(e) or any(hedge not in window for hedge in _hedges(e)):
            missing.append(f"{e.id}: hedge {e.hedge!r}: {e.quote!r}")
    assert not missing


def _reportedly_block(source: Source) -> tuple[int, int, str]:
    """Character range (in the source text) of the list after "the group reportedly involves:",
    and the line that ends it. The list alternates "-" lines and item lines; it ends at the
    first line that is neither a "-" nor the item following one."""
    lines = source.text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    intro = next(i for i, line in enumerate(lines) if line.rstrip().endswith(LIST_INTRO))
    end = intro + 1
    while end < len(lines):
        this, previous = lines[end].strip(), lines[end - 1].strip()
        if this != "-" and previous != "-":
            break
        end += 1
    return offsets[intro + 1], offsets[end], lines[end] if end < len(lines) else ""


def test_reportedly_block_is_computed_as_the_list(db: Db) -> None:
    start, end, stop_line = _reportedly_block(db.sources["article-a"])
    block = db.sources["article-a"].text[start:end]
    assert stop_line.startswith("Italy has already clarified")
    items = [line for line in block.splitlines() if line.strip() != "-"]
    assert items
    assert len(items) == block.count("-\n")
    assert items[0].startswith("Core European powers:")


def test_memberships_from_the_reportedly_list_are_hedged_reportedly(db: Db) -> None:
    source = db.sources["article-a"]
    start, end, _ = _reportedly_block(source)
    in_block = [
        e
        for e in db.evidence
        if e.fact_id in db.memberships
        and e.source_id == source.id
        and e.start < end
        and e.end > start
    ]
    # Every nation the list names, directly or through a group, has evidence from it.
    block = source.text[start:end]
    named = {
        m.id
        for m in db.memberships.values()
        if any(name in block for name in _names_of(db.nations[m.nation_code]))
        or (m.group_name is not None and m.group_name in block)
    }
    assert len(named) >= 10, sorted(named)
    assert named <= {e.fact_id for e in in_block}, sorted(named - {e.fact_id for e in in_block})
    wrong = [
        e for e in in_block if e.certainty is not Certainty.hedged or "reportedly" not in _hedges(e)
    ]
    assert not wrong, "membership evidence from the reportedly list: " + "; ".join(
        f"{e.id} ({e.certainty.value}, hedge {e.hedge!r}): {e.quote!r}" for e in wrong
    )


def test_the_united_states_is_a_potential_member_not_a_member(db: Db) -> None:
    us = [m for m in db.memberships.values() if m.nation_code == "US"]
    assert len(us) == 1
    assert us[0].status is MembershipStatus.potential
    assert any("potentially the United States" in e.quote for e in db.evidence_of(us[0].id))


def test_nations_known_only_through_a_group_are_inferred_from_it(db: Db, dataset: Dataset) -> None:
    all_text = "".join(s.text for s in db.sources.values())
    by_nation = {m.nation_code: m for m in db.memberships.values()}
    # Groups the articles list as coalition members. (A group named only as the origin of
    # unnamed contributors — "global players from Asia-Pacific" — makes no one a member.)
    member_groups = {m.group for m in dataset.memberships if m.group}
    named_groups = [
        g for g in dataset.groups.values() if g.name in all_text and g.id in member_groups
    ]
    assert {g.id for g in named_groups} >= {"nordic-states", "baltic-countries"}
    checked = 0
    for group in named_groups:
        for code in group.members:
            nation = db.nations.get(code)
            if nation is not None and any(name in all_text for name in _names_of(nation)):
                continue  # the articles name it: it need not be inferred
            membership = by_nation.get(code)
            assert membership is not None, f"{code} of {group.name} has no membership"
            assert membership.basis is Basis.inferred_from_group, membership.id
            assert membership.group_name == group.name, membership.id
            assert any(group.name in e.quote for e in db.evidence_of(membership.id)), membership.id
            checked += 1
    assert checked >= 8
    for m in db.memberships.values():
        if m.basis is Basis.inferred_from_group:
            assert m.group_name in {g.name for g in named_groups}, m.id
        else:
            assert m.group_name is None, m.id


# --- where the articles disagree, both claims stand, each with its own article ---------------


def _only_source_with(db: Db, phrase: str) -> str:
    holding = [s.id for s in db.sources.values() if phrase in s.text]
    assert len(holding) == 1, (phrase, holding)
    return holding[0]


def test_zelenskyys_two_wordings_are_two_statements_from_their_own_articles(db: Db) -> None:
    phrases = ["serious, very specific substance", "serious concrete step"]
    found = {}
    for phrase in phrases:
        matching = [s for s in db.statements.values() if phrase in s.text]
        assert len(matching) == 1, (phrase, [s.id for s in matching])
        statement = matching[0]
        assert "Zelenskyy" in statement.speaker
        assert db.sources_of(statement.id) == {_only_source_with(db, phrase)}, statement.id
        found[phrase] = statement
    first, second = (found[p] for p in phrases)
    assert first.id != second.id
    assert db.sources_of(first.id) != db.sources_of(second.id)


def _leadership(db: Db, code: str) -> list[Commitment]:
    return [
        c
        for c in db.commitments.values()
        if c.role is Role.leadership and c.actor is ActorKind.nation and c.nation_code == code
    ]


def test_leadership_claims_of_each_article_are_kept_apart(db: Db) -> None:
    france = [db.sources_of(c.id) for c in _leadership(db, "FR")]
    assert {"article-a"} in france, "no France leadership commitment from article A alone"
    assert {"article-b"} in france, "no France leadership commitment from article B alone"
    uk = [db.sources_of(c.id) for c in _leadership(db, "GB")]
    assert {"article-b"} in uk, "no UK leadership commitment from article B"
    assert all(sources == {"article-b"} for sources in uk), uk
    # Only article B names the United Kingdom as a leader; article A says "led by France".
    assert "led by France" in db.sources["article-a"].text
    assert "United Kingdom" in db.sources["article-b"].text


# --- attributions ----------------------------------------------------------------------------


def test_every_outlet_is_named_in_or_next_to_the_quoted_paragraph(db: Db) -> None:
    document_lines = db.document().splitlines()
    attributed = [e for e in db.evidence if e.outlet_id is not None]
    assert attributed
    unattributed = []
    for e in attributed:
        assert e.outlet_id is not None
        name = db.outlets[e.outlet_id].name
        span = _line_span(e)
        near = document_lines[max(0, span.start - 2) : span.stop]
        if not any(name in line for line in near):
            unattributed.append(f"{e.id}: {name} not near line {e.line}: {e.quote!r}")
    assert not unattributed


def test_reported_evidence_names_its_outlet(db: Db) -> None:
    reported = [e for e in db.evidence if e.certainty is Certainty.reported]
    assert reported
    assert all(e.outlet_id in db.outlets for e in reported), _describe(
        e for e in reported if e.outlet_id not in db.outlets
    )


def test_evidence_points_at_its_fact(db: Db) -> None:
    by_fact: dict[str, list[int]] = defaultdict(list)
    for e in db.evidence:
        assert e.id == f"{e.fact_id}/{e.position}"
        by_fact[e.fact_id].append(e.position)
    for fact_id, positions in by_fact.items():
        assert fact_id in db.facts
        assert sorted(positions) == list(range(1, len(positions) + 1)), fact_id
