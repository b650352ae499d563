"""Precision and recall of the proposal engine on the seed's two articles, against the curated
facts in data/facts/: tests/test_proposals.py holds it to the issue's targets, and
`python -m bench.proposals_eval` prints it.

Each article is proposed on its own, against no existing facts. The curated facts of an article
are those with at least one evidence item quoting it. A proposal matches a curated fact when:

- membership: same nation, status and part (basis aside: named, implied or inferred are three
  ways of reaching the same place in the story);
- commitment: same kind, actor (the nation, or the coalition with its scope: whole or
  some_members), role and status;
- condition: same kind, nature and nation (none for the coalition's own conditions);
- statement: same speaker (by surname), same mode (direct or reported), and words that overlap:
  one text inside the other, or at least half their words shared.

Keys are counted once per article (two curated facts with one key are one thing to find), and
summed over the two articles. The truth checks count, over every proposal:

- (a) stronger than its wording: a commitment proposed `pledged` or `open_to` whose evidence is
  hedged, or whose quote holds words that weaken it (a hedge, "considering", "hesitant",
  "awaiting", "pending", "not yet", "under negotiation");
- (b) a named nation given a coalition-level task: a nation's commitment whose quote overlaps
  the evidence of a curated coalition-as-a-whole commitment of the same role, where no curated
  commitment of that nation and role quotes the same words.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.facts.files import Dataset, load_dataset
from app.proposals.engine import propose
from app.proposals.model import Article, Candidate
from app.proposals.reference import load_reference
from app.schemas.bodies import FactIn
from app.schemas.commitments import CommitmentIn
from app.schemas.conditions import ConditionIn
from app.schemas.memberships import MembershipIn
from app.schemas.statements import StatementIn

KINDS = ("membership", "commitment", "condition", "statement")
WEAKENING = re.compile(
    r"\b(?:reportedly|potentially|perhaps|may|might|could|anticipated|consider\w*|weigh\w*|"
    r"hesita\w*|cautio\w*|reluctan\w*|await\w*|pending|not yet|under negotiation)\b",
    re.IGNORECASE,
)


def _v(value: Any) -> str:
    return str(getattr(value, "value", value))


def key(kind: str, f: dict[str, Any]) -> tuple[str, ...]:
    if kind == "membership":
        return (f["nation"], _v(f["status"]), _v(f["part"]))
    if kind == "commitment":
        who = f.get("nation") or f"coalition:{_v(f.get('coalition_scope'))}"
        return (who, _v(f["role"]), _v(f["status"]))
    if kind == "condition":
        return (_v(f["kind"]), _v(f["nature"]), f.get("nation") or "-")
    return (f["speaker"].split()[-1].lower(), _v(f["mode"]), f["text"])


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def same_statement(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a[:2] != b[:2]:
        return False
    if a[2] in b[2] or b[2] in a[2]:
        return True
    wa, wb = _words(a[2]), _words(b[2])
    return len(wa & wb) / max(1, len(wa | wb)) >= 0.5


def kind_of(fact: FactIn) -> str | None:
    for kind, model in zip(
        KINDS, (MembershipIn, CommitmentIn, ConditionIn, StatementIn), strict=True
    ):
        if isinstance(fact, model):
            return kind
    return None


@dataclass
class Score:
    gold: int = 0
    proposed: int = 0
    matched_gold: int = 0
    matched_proposed: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        self.gold += other.gold
        self.proposed += other.proposed
        self.matched_gold += other.matched_gold
        self.matched_proposed += other.matched_proposed

    @property
    def precision(self) -> float:
        return self.matched_proposed / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 1.0


def score(kind: str, gold: set[tuple[str, ...]], got: set[tuple[str, ...]]) -> Score:
    same = same_statement if kind == "statement" else (lambda a, b: a == b)
    s = Score(gold=len(gold), proposed=len(got))
    s.matched_gold = sum(any(same(g, p) for p in got) for g in gold)
    s.matched_proposed = sum(any(same(g, p) for g in gold) for p in got)
    s.missed = sorted(" ".join(g) for g in gold if not any(same(g, p) for p in got))
    s.extra = sorted(" ".join(p) for p in got if not any(same(g, p) for g in gold))
    return s


def stronger_than_wording(c: Candidate) -> bool:
    if c.kind != "commitment" or c.fact["status"] not in {"pledged", "open_to"}:
        return False
    return any(e.certainty.value == "hedged" or WEAKENING.search(e.quote) for e in c.evidence)


def coalition_task_to_nation(c: Candidate, data: Dataset, source: str) -> bool:
    if c.kind != "commitment" or not c.fact.get("nation"):
        return False
    spans = {(e.start, e.end) for e in c.evidence if e.source == source}
    by_id: dict[str, list[tuple[int, int]]] = {e.fact_id: [] for e in data.evidence}
    for e in data.evidence:
        if e.source_id == source:
            by_id[e.fact_id].append((e.start, e.end))

    def overlaps(fact: CommitmentIn) -> bool:
        return any(s < e2 and s2 < e for s, e in spans for s2, e2 in by_id.get(fact.id, []))

    role = c.fact["role"]
    coalition = [
        f
        for f in data.commitments
        if _v(f.coalition_scope) == "whole" and _v(f.role) == role and overlaps(f)
    ]
    own = [
        f
        for f in data.commitments
        if f.nation == c.fact["nation"] and _v(f.role) == role and overlaps(f)
    ]
    return bool(coalition) and not own


def evaluate(data_dir: Path) -> tuple[dict[str, Score], int, int, dict[str, list[Candidate]]]:
    data = load_dataset(data_dir)
    reference = load_reference(data_dir)
    scores = {kind: Score() for kind in KINDS}
    stronger = coalition_tasks = 0
    proposals: dict[str, list[Candidate]] = {}
    for src in data.sources:
        article = Article(src.ref())
        candidates = propose(article, reference, [])
        proposals[src.spec.id] = candidates
        quoted = {e.fact_id for e in data.evidence if e.source_id == src.spec.id}
        for kind in KINDS:
            gold = {
                key(kind, f.model_dump())
                for f in data.facts()
                if kind_of(f) == kind and f.id in quoted
            }
            got = {key(kind, c.fact) for c in candidates if c.kind == kind}
            s = score(kind, gold, got)
            scores[kind].add(s)
            scores[kind].missed += [f"{src.spec.id}: {m}" for m in s.missed]
            scores[kind].extra += [f"{src.spec.id}: {x}" for x in s.extra]
        stronger += sum(stronger_than_wording(c) for c in candidates)
        coalition_tasks += sum(coalition_task_to_nation(c, data, src.spec.id) for c in candidates)
    return scores, stronger, coalition_tasks, proposals
