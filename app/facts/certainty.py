"""A fact's certainty: the strongest among its evidence (`stated` > `reported` > `hedged`), and
its hedge words when all of it is hedged. Read schemas take it from `Fact.certainty`; filters
and counts use its SQL twin, `app.reads.queries.certainty_column`, which tests hold to the same
answers."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from app.vocab import Certainty

# Strongest first.
ORDER = (Certainty.stated, Certainty.reported, Certainty.hedged)


class EvidenceLike(Protocol):
    @property
    def certainty(self) -> Any: ...

    @property
    def hedge(self) -> str | None: ...


@dataclass(frozen=True)
class FactCertainty:
    certainty: Certainty
    hedge: str | None  # with hedged: the hedge words as written, comma-separated


def certainty_of(evidence: Iterable[EvidenceLike]) -> FactCertainty:
    evidence = list(evidence)
    levels = {Certainty(e.certainty) for e in evidence}
    certainty = next((c for c in ORDER if c in levels), Certainty.hedged)
    if certainty is not Certainty.hedged:
        return FactCertainty(certainty, None)
    words: list[str] = []
    for e in evidence:
        for word in (e.hedge or "").split(", "):
            if word and word not in words:
                words.append(word)
    return FactCertainty(certainty, ", ".join(words) or None)
