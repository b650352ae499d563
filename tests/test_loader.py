"""load_dataset refuses fact files that are not backed verbatim by the seed document, and says
which fact and which quote are at fault -- every problem at once.

Each test edits a private copy of data/ (`data_copy`) and loads it with the loader's API."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.facts.files import load_dataset
from app.facts.reading import FactsError
from app.facts.verify import HEDGE_WINDOW

Facts = list[dict[str, Any]]


# --- editing the copy ------------------------------------------------------------------------


def read_facts(data_dir: Path, name: str) -> Facts:
    items = yaml.safe_load((data_dir / "facts" / f"{name}.yaml").read_text(encoding="utf-8"))
    return items or []


def write_facts(data_dir: Path, name: str, items: Facts) -> None:
    # safe_dump quotes strings YAML 1.1 would read as something else (Norway's "NO").
    text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1_000_000)
    (data_dir / "facts" / f"{name}.yaml").write_text(text, encoding="utf-8")


def edit_facts(data_dir: Path, name: str, change: Callable[[Facts], None]) -> None:
    items = read_facts(data_dir, name)
    change(items)
    write_facts(data_dir, name, items)


def first(items: Facts, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(item for item in items if predicate(item))


def source_texts(data_dir: Path) -> dict[str, str]:
    return {s.spec.id: s.text for s in load_dataset(data_dir).sources}


def document_text(data_dir: Path) -> str:
    name: str = yaml.safe_load((data_dir / "sources.yaml").read_text(encoding="utf-8"))["document"]
    return (data_dir / name).read_text(encoding="utf-8")


def load_problems(data_dir: Path) -> list[str]:
    with pytest.raises(FactsError) as caught:
        load_dataset(data_dir)
    assert caught.value.problems, "FactsError without problems"
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def restate(evidence: dict[str, Any], quote: str) -> None:
    """Make ``evidence`` a plain stated quote."""
    for key in ("outlet", "hedge", "occurrence"):
        evidence.pop(key, None)
    evidence["quote"] = quote
    evidence["certainty"] = "stated"


def has_stated(source: str) -> Callable[[dict[str, Any]], bool]:
    return lambda item: any(
        e["certainty"] == "stated" and e["source"] == source for e in item["evidence"]
    )


def stated_evidence(item: dict[str, Any], source: str) -> dict[str, Any]:
    """The fact's first plain stated evidence from ``source``."""
    return first(item["evidence"], lambda e: e["certainty"] == "stated" and e["source"] == source)


# --- the copy loads as it is -----------------------------------------------------------------


def test_unedited_copy_loads(data_copy: Path) -> None:
    data = load_dataset(data_copy)
    counts = data.counts()
    assert all(counts.values()), counts
    assert counts["evidence"] == sum(len(f.evidence) for f in data.facts())


# --- quotes ----------------------------------------------------------------------------------

INVENTED = "Italy has pledged a naval squadron to the Black Sea"


def test_quote_not_in_its_source_fails_naming_fact_and_quote(data_copy: Path) -> None:
    assert INVENTED not in document_text(data_copy)
    commitment = read_facts(data_copy, "commitments")[0]

    def change(items: Facts) -> None:
        items[0]["evidence"][0]["quote"] = INVENTED

    edit_facts(data_copy, "commitments", change)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert commitment["id"] in problems[0]
    assert INVENTED in problems[0]
    assert "not found" in problems[0]


def test_quote_with_one_character_changed_fails(data_copy: Path) -> None:
    item = read_facts(data_copy, "statements")[0]
    quote = item["evidence"][0]["quote"]
    # Straight apostrophes and quotes are not the article's curly ones (’ “ ”).
    altered = quote.replace("’", "'").replace("“", '"').replace("”", '"')
    if altered == quote:
        altered = quote[:-1] + ("X" if quote[-1] != "X" else "Y")

    def change(items: Facts) -> None:
        items[0]["evidence"][0]["quote"] = altered

    edit_facts(data_copy, "statements", change)
    problems = load_problems(data_copy)
    assert any(item["id"] in p and "not found" in p for p in problems), problems


def test_changed_seed_document_is_refused_by_sha256(data_copy: Path) -> None:
    name = yaml.safe_load((data_copy / "sources.yaml").read_text(encoding="utf-8"))["document"]
    path = data_copy / name
    raw = bytearray(path.read_bytes())
    index = raw.index(b"26")  # one ASCII byte: still valid UTF-8, same length
    raw[index : index + 1] = b"3"
    path.write_bytes(bytes(raw))
    problems = load_problems(data_copy)
    assert len(problems) == 1
    assert "sha256" in problems[0]
    assert name in problems[0]


def test_quote_occurring_twice_needs_occurrence(data_copy: Path) -> None:
    text = source_texts(data_copy)["article-a"]
    phrase = "Germany"
    count = text.count(phrase)
    assert count >= 2
    commitments = read_facts(data_copy, "commitments")
    target = first(commitments, has_stated("article-a"))
    evidence = stated_evidence(target, "article-a")
    restate(evidence, phrase)
    write_facts(data_copy, "commitments", commitments)

    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert target["id"] in problems[0]
    assert f"occurs {count} times" in problems[0]
    assert "occurrence" in problems[0]
    assert repr(phrase) in problems[0]

    # Saying which occurrence makes it load, located at that occurrence.
    evidence["occurrence"] = 2
    write_facts(data_copy, "commitments", commitments)
    data = load_dataset(data_copy)
    position = target["evidence"].index(evidence) + 1
    located = next(e for e in data.evidence if e.fact_id == target["id"] and e.position == position)
    second = [m.start() for m in re.finditer(phrase, text)][1]
    assert (located.start, located.end) == (second, second + len(phrase))


def test_occurrence_beyond_the_count_fails(data_copy: Path) -> None:
    text = source_texts(data_copy)["article-a"]
    commitments = read_facts(data_copy, "commitments")
    target = first(commitments, has_stated("article-a"))
    evidence = stated_evidence(target, "article-a")
    evidence["occurrence"] = text.count(evidence["quote"]) + 1
    write_facts(data_copy, "commitments", commitments)
    problems = load_problems(data_copy)
    assert any(target["id"] in p and "occurs only" in p for p in problems), problems


# --- certainty -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hedge", "source"),
    [
        pytest.param("allegedly", "article-a", id="hedge-nowhere-in-document"),
        pytest.param("reportedly", "article-b", id="hedge-only-in-the-other-article"),
    ],
)
def test_hedged_evidence_whose_hedge_is_absent_fails(
    data_copy: Path, hedge: str, source: str
) -> None:
    texts = source_texts(data_copy)
    commitments = read_facts(data_copy, "commitments")
    target = first(commitments, has_stated(source))
    evidence = stated_evidence(target, source)
    start = texts[source].index(evidence["quote"])
    assert hedge not in texts[source][max(0, start - HEDGE_WINDOW) : start + len(evidence["quote"])]
    evidence["certainty"] = "hedged"
    evidence["hedge"] = hedge
    write_facts(data_copy, "commitments", commitments)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert target["id"] in problems[0]
    assert repr(hedge) in problems[0]
    assert evidence["quote"] in problems[0]


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("the group reportedly involves:", id="reportedly"),
        pytest.param("potentially the United States", id="potentially"),
    ],
)
def test_quote_with_a_hedge_word_marked_stated_fails(data_copy: Path, quote: str) -> None:
    assert source_texts(data_copy)["article-a"].count(quote) == 1
    memberships = read_facts(data_copy, "memberships")
    target = first(memberships, has_stated("article-a"))
    restate(stated_evidence(target, "article-a"), quote)
    write_facts(data_copy, "memberships", memberships)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert target["id"] in problems[0]
    assert "must be hedged" in problems[0]
    assert quote in problems[0]


def test_reported_evidence_without_outlet_fails(data_copy: Path) -> None:
    commitments = read_facts(data_copy, "commitments")
    target = first(commitments, lambda c: any(e["certainty"] == "reported" for e in c["evidence"]))
    first(target["evidence"], lambda e: e["certainty"] == "reported").pop("outlet")
    write_facts(data_copy, "commitments", commitments)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert target["id"] in problems[0]
    assert "reported" in problems[0]
    assert "outlet" in problems[0]


def test_hedged_evidence_without_hedge_fails(data_copy: Path) -> None:
    memberships = read_facts(data_copy, "memberships")
    target = first(memberships, lambda m: any(e["certainty"] == "hedged" for e in m["evidence"]))
    first(target["evidence"], lambda e: e["certainty"] == "hedged").pop("hedge")
    write_facts(data_copy, "memberships", memberships)
    problems = load_problems(data_copy)
    assert any(target["id"] in p and "hedge" in p for p in problems), problems


# --- references ------------------------------------------------------------------------------


def _nation_without_membership(data_dir: Path) -> str:
    members = {m["nation"] for m in read_facts(data_dir, "memberships")}
    code = "BR"  # a real ISO 3166 code (Brazil) the articles never mention
    assert code not in members
    return code


def _unknown_commitment_nation(data_dir: Path) -> tuple[str, str]:
    code = _nation_without_membership(data_dir)
    items = read_facts(data_dir, "commitments")
    target = first(items, lambda c: c["actor"] == "nation")
    target["nation"] = code
    write_facts(data_dir, "commitments", items)
    return target["id"], repr(code)


def _unknown_condition_nation(data_dir: Path) -> tuple[str, str]:
    code = _nation_without_membership(data_dir)
    items = read_facts(data_dir, "conditions")
    items[0]["nation"] = code
    write_facts(data_dir, "conditions", items)
    return items[0]["id"], repr(code)


def _unknown_speaker_nation(data_dir: Path) -> tuple[str, str]:
    code = _nation_without_membership(data_dir)
    items = read_facts(data_dir, "statements")
    items[0]["speaker_nation"] = code
    write_facts(data_dir, "statements", items)
    return items[0]["id"], repr(code)


def _unknown_group(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "memberships")
    target = first(items, lambda m: m["basis"] == "inferred_from_group")
    target["group"] = "benelux"
    write_facts(data_dir, "memberships", items)
    return target["id"], "'benelux'"


def _group_not_containing_the_nation(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "memberships")
    groups = {m["group"] for m in items if m.get("group")}
    target = first(items, lambda m: m["basis"] == "inferred_from_group")
    other = sorted(groups - {target["group"]})[0]
    target["group"] = other
    write_facts(data_dir, "memberships", items)
    return target["id"], f"not a member of group {other!r}"


def _unknown_gated_commitment(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "conditions")
    items[0]["gates"] = [*items[0]["gates"], "no-such-commitment"]
    write_facts(data_dir, "conditions", items)
    return items[0]["id"], "'no-such-commitment'"


def _unknown_event(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "statements")
    items[0]["event"] = "no-such-event"
    write_facts(data_dir, "statements", items)
    return items[0]["id"], "'no-such-event'"


def _unknown_source(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "events")
    items[0]["evidence"][0]["source"] = "article-z"
    write_facts(data_dir, "events", items)
    return items[0]["id"], "'article-z'"


def _unknown_outlet(data_dir: Path) -> tuple[str, str]:
    items = read_facts(data_dir, "commitments")
    target = first(items, lambda c: any(e.get("outlet") for e in c["evidence"]))
    first(target["evidence"], lambda e: bool(e.get("outlet")))["outlet"] = "pravda"
    write_facts(data_dir, "commitments", items)
    return target["id"], "'pravda'"


def _participant_nation(data_dir: Path) -> tuple[str, str]:
    code = _nation_without_membership(data_dir)
    items = read_facts(data_dir, "events")
    target = first(items, lambda e: bool(e.get("participants")))
    target["participants"][0]["nation"] = code
    write_facts(data_dir, "events", items)
    return target["id"], repr(code)


@pytest.mark.parametrize(
    "break_reference",
    [
        _unknown_commitment_nation,
        _unknown_condition_nation,
        _unknown_speaker_nation,
        _participant_nation,
        _unknown_group,
        _group_not_containing_the_nation,
        _unknown_gated_commitment,
        _unknown_event,
        _unknown_source,
        _unknown_outlet,
    ],
)
def test_unknown_reference_fails_naming_the_fact(
    data_copy: Path, break_reference: Callable[[Path], tuple[str, str]]
) -> None:
    fact_id, reference = break_reference(data_copy)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert repr(fact_id) in problems[0]
    assert reference in problems[0]


def test_duplicate_fact_id_in_one_file_fails(data_copy: Path) -> None:
    items = read_facts(data_copy, "commitments")
    items.append(items[0])
    write_facts(data_copy, "commitments", items)
    problems = load_problems(data_copy)
    assert len(problems) == 1, problems
    assert repr(items[0]["id"]) in problems[0]
    assert "used twice" in problems[0]


def test_duplicate_fact_id_across_files_fails(data_copy: Path) -> None:
    commitment_id = read_facts(data_copy, "commitments")[0]["id"]
    statements = read_facts(data_copy, "statements")
    statements[0]["id"] = commitment_id
    write_facts(data_copy, "statements", statements)
    problems = load_problems(data_copy)
    assert any(commitment_id in p and "used twice" in p for p in problems), problems


def test_second_membership_for_a_nation_fails(data_copy: Path) -> None:
    items = read_facts(data_copy, "memberships")
    copy = dict(items[0], id=f"{items[0]['id']}-again")
    items.append(copy)
    write_facts(data_copy, "memberships", items)
    problems = load_problems(data_copy)
    assert any(items[0]["nation"] in p and "more than one" in p for p in problems), problems


# --- YAML 1.2: Norway is "NO", not false -----------------------------------------------------

NORWAY_UNQUOTED = """
- id: membership-norway-unquoted
  nation: NO
  status: member
  part: guarantor
  basis: inferred_from_group
  group: nordic-states
  summary: Norway is inferred from "the Nordic states".
  evidence:
    - source: article-a
      quote: "the Nordic states"
      certainty: hedged
      hedge: reportedly
"""


def test_unquoted_no_is_norway(data_copy: Path) -> None:
    others = [m for m in read_facts(data_copy, "memberships") if m["nation"] != "NO"]
    write_facts(data_copy, "memberships", others)
    path = data_copy / "facts" / "memberships.yaml"
    path.write_text(path.read_text(encoding="utf-8") + NORWAY_UNQUOTED, encoding="utf-8")
    assert "\n  nation: NO\n" in path.read_text(encoding="utf-8")
    # The trap is real: a YAML 1.1 loader reads it as a boolean.
    plain = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert plain[-1]["nation"] is False

    data = load_dataset(data_copy)
    norway = [m for m in data.memberships if m.id == "membership-norway-unquoted"]
    assert len(norway) == 1
    assert norway[0].nation == "NO"
    nation = next(n for n in data.nations if n.code == "NO")
    assert nation.name == "Norway"
    assert nation.alpha3 == "NOR"
    assert nation.nato


# --- every problem at once -------------------------------------------------------------------


def test_all_problems_are_reported_at_once(data_copy: Path) -> None:
    commitments = read_facts(data_copy, "commitments")
    statements = read_facts(data_copy, "statements")
    bad = {
        commitments[0]["id"]: INVENTED,
        statements[-1]["id"]: "Zelenskyy called it a modest first step",
    }
    commitments[0]["evidence"][0]["quote"] = bad[commitments[0]["id"]]
    statements[-1]["evidence"][0]["quote"] = bad[statements[-1]["id"]]
    # Keep the statement's text inside its (new) quote: only the quote is wrong.
    statements[-1]["text"] = "a modest first step"
    write_facts(data_copy, "commitments", commitments)
    write_facts(data_copy, "statements", statements)

    problems = load_problems(data_copy)
    assert len(problems) == 2, problems
    for fact_id, quote in bad.items():
        assert sum(fact_id in p and quote in p for p in problems) == 1, (fact_id, problems)


def test_problems_of_different_kinds_are_reported_together(data_copy: Path) -> None:
    commitments = read_facts(data_copy, "commitments")
    commitments[0]["evidence"][0]["quote"] = INVENTED
    nation_fact = first(commitments[1:], lambda c: c["actor"] == "nation")
    nation_fact["nation"] = _nation_without_membership(data_copy)
    duplicate = commitments[-1]
    assert duplicate is not nation_fact
    commitments.append(duplicate)
    write_facts(data_copy, "commitments", commitments)
    problems = load_problems(data_copy)
    assert len(problems) == 3, problems
    assert any(commitments[0]["id"] in p and INVENTED in p for p in problems)
    assert any(nation_fact["id"] in p and "no membership" in p for p in problems)
    assert any(duplicate["id"] in p and "used twice" in p for p in problems)


def test_all_schema_problems_are_reported_at_once(data_copy: Path) -> None:
    commitments = read_facts(data_copy, "commitments")
    commitments[0]["role"] = "navy"
    reported = first(
        commitments[1:], lambda c: any(e["certainty"] == "reported" for e in c["evidence"])
    )
    first(reported["evidence"], lambda e: e["certainty"] == "reported").pop("outlet")
    write_facts(data_copy, "commitments", commitments)
    problems = load_problems(data_copy)
    assert len(problems) == 2, problems
    assert any(commitments[0]["id"] in p and "role" in p for p in problems)
    assert any(reported["id"] in p and "outlet" in p for p in problems)
