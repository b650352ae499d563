"""Properties of the proposal engine over random texts and random mutations of the seed's
articles: it never fails; every quote it proposes is exactly text[start:end], on the line it
names, and passes the loader's own checks (its place, and the outlet and hedges its wording
asks for); no hedged quote is proposed as a pledge or an offer;
and a task given to the coalition's force is never handed to a nation named around it."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.facts.files import load_dataset
from app.facts.verify import SourceRef, locate
from app.facts.wording import overlapping, within, wording_of
from app.proposals.engine import propose
from app.proposals.model import Article, Candidate
from app.proposals.reference import load_reference
from app.schemas.bodies import EvidenceIn
from tests.conftest import DATA_DIR

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DATA = load_dataset(DATA_DIR)
REFERENCE = load_reference(DATA_DIR)
SEED_TEXTS = [s.text for s in DATA.sources]
# Words the cues react to, so random texts exercise them and not only the "nothing found" path.
WORDS = [
    "France",
    "the Netherlands",
    "Berlin",
    "Rome",
    "Washington",
    "Moscow",
    "Kyiv",
    "Beijing",
    "the Italians",
    "German",
    "British",
    "Merz",
    "Starmer",
    "Zelenskyy",
    "the Nordic states",
    "the Baltic countries",
    "the coalition",
    "the force",
    "some nations",
    "others",
    "it",
    "they",
    "will",
    "will not",
    "has committed to",
    "vowed to",
    "pledged",
    "is open to",
    "ready to",
    "willing to",
    "is considering",
    "may",
    "could",
    "has ruled out",
    "refuses to",
    "hesitant",
    "cautious",
    "awaiting",
    "pending",
    "to be finalized",
    "reportedly",
    "potentially",
    "anticipated",
    "not",
    "but",
    "rather than",
    "troops",
    "logistics",
    "naval patrols",
    "air policing",
    "training",
    "intelligence",
    "air defense",
    "ceasefire",
    "sanctions",
    "monitoring",
    "inside Ukraine",
    "outside Ukraine",
    "According to Reuters,",
    "(AP)",
    "as BBC News reported",
    "said that",
    "“",
    "”",
    '"',
    ",",
    ".",
    ":",
    ";",
    "\n",
    "\n-\n",
    "—",
    "May",
    "U.S.",
    "led by",
    "spearheaded by",
]


def check(text: str, candidates: list[Candidate], first_line: int = 1) -> None:
    source = SourceRef("article-x", text, first_line)
    wording = wording_of(text, tuple(REFERENCE.outlet_names()))
    for c in candidates:
        assert c.evidence, c
        for e in c.evidence:
            assert text[e.start : e.end] == e.quote
            assert e.line == first_line + text.count("\n", 0, e.start)
            item = EvidenceIn.model_validate(e.as_file_item())
            located, problem = locate(c.fact["id"], 1, item, source)
            assert problem is None and located is not None and located.start == e.start
            attributed = {a.outlet for a in overlapping(wording.attributions, e.start, e.end)}
            assert ({e.outlet} if e.outlet else set()) <= attributed, (e.quote, attributed)
            assert e.outlet in attributed or not attributed, (e.quote, attributed)
            listed = {h.hedge.lower() for h in within(wording.hedged_lists, e.start, e.end)}
            assert listed <= {h.lower() for h in e.hedge or []}, (e.quote, listed, e.hedge)
            if c.kind == "commitment" and c.fact["status"] in {"pledged", "open_to"}:
                assert e.certainty.value != "hedged", c
        if c.relation.kind.value == "new":
            assert [EvidenceIn.model_validate(i) for i in c.fact["evidence"]]


def run(text: str, first_line: int = 1) -> list[Candidate]:
    article = Article(SourceRef("article-x", text, first_line), published=dt.date(2025, 9, 20))
    candidates = propose(article, REFERENCE, [])
    check(text, candidates, first_line)
    return candidates


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400))
def test_random_text_never_fails(text: str) -> None:
    run(text)


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join))
def test_random_cue_soup_never_fails(text: str) -> None:
    run(text)


@st.composite
def mutated_article(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 300)))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "swap"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif action == "insert":
            text = text[:i] + " " + draw(st.sampled_from(WORDS)) + " " + text[i:]
        else:
            text = text[j:] + text[i:j] + text[:i]
    return text


@settings(max_examples=25, deadline=None)
@given(mutated_article(), st.integers(1, 200))
def test_mutated_seed_articles_keep_exact_quotes(text: str, first_line: int) -> None:
    run(text, first_line)


COALITION_TASKS = {
    "naval": "The force will patrol the Black Sea.",
    "air": "The coalition will provide air policing over Ukrainian skies.",
    "monitoring": "The reassurance force will take on ceasefire monitoring.",
}
NATION_TASKS = [
    "{n} will train Ukrainian brigades.",
    "{n} has committed to sending troops.",
    "{n} is open to logistical support.",
    "{n} has ruled out sanctions.",
]
NATIONS = ["France", "Germany", "Britain", "Poland", "Canada", "Italy", "Berlin", "Merz"]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(sorted(COALITION_TASKS)),
    st.lists(st.tuples(st.sampled_from(NATION_TASKS), st.sampled_from(NATIONS)), max_size=5),
    st.randoms(use_true_random=False),
    st.sampled_from([" ", "\n", "\n\n"]),
)
def test_no_named_nation_is_given_a_coalition_task(
    role: str, nation_sentences: list[tuple[str, str]], rnd: object, joiner: str
) -> None:
    sentences = [COALITION_TASKS[role]] + [t.format(n=n) for t, n in nation_sentences]
    rnd.shuffle(sentences)  # type: ignore[attr-defined]
    text = joiner.join(sentences)
    candidates = run(text)
    given_to_nations = [
        c.fact
        for c in candidates
        if c.kind == "commitment" and c.fact.get("nation") and c.fact["role"] == role
    ]
    assert not given_to_nations, text
    assert any(
        c.kind == "commitment"
        and c.fact.get("coalition_scope") == "whole"
        and c.fact["role"] == role
        for c in candidates
    ), text


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "articles").glob("*.txt")))
def test_the_test_articles_keep_exact_quotes(path: Path) -> None:
    run(path.read_bytes().decode("utf-8"))


def test_the_seed_articles_keep_exact_quotes_at_their_document_lines() -> None:
    for source in DATA.sources:
        run(source.text, source.spec.lines[0])


@pytest.mark.parametrize("text", SEED_TEXTS, ids=[s.spec.id for s in DATA.sources])
def test_the_seed_articles_keep_exact_quotes(text: str) -> None:
    run(text)
