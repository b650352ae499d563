"""Precision and recall of the proposal engine on the seed's two articles, against the curated
facts in data/facts/: a table, and the two truth checks (`python -m bench.proposals_eval`, add -v
to list what was missed and what was extra). The measure and its matching rules are the tests'
own: tests/proposals_eval.py."""

import sys
from collections.abc import Iterable

from app.config import PROJECT_ROOT
from tests.proposals_eval import KINDS, Score, evaluate


def table(scores: dict[str, Score]) -> list[str]:
    total = Score()
    rows = [
        "| kind | curated | proposed | found | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        s = scores[kind]
        total.add(s)
        rows.append(
            f"| {kind} | {s.gold} | {s.proposed} | {s.matched_gold} | "
            f"{s.precision:.0%} | {s.recall:.0%} |"
        )
    rows.append(
        f"| **all** | {total.gold} | {total.proposed} | {total.matched_gold} | "
        f"**{total.precision:.0%}** | **{total.recall:.0%}** |"
    )
    return rows


def main(argv: Iterable[str] = ()) -> int:
    verbose = "-v" in list(argv)
    scores, stronger, coalition_tasks, _ = evaluate(PROJECT_ROOT / "data")
    print("\n".join(table(scores)))
    print()
    print(f"(a) proposals stronger than their quote's wording: {stronger}")
    print(f"(b) proposals giving a named nation a coalition-level task: {coalition_tasks}")
    if verbose:
        for kind in KINDS:
            for line in scores[kind].missed:
                print(f"missed {kind}: {line}")
            for line in scores[kind].extra:
                print(f"extra  {kind}: {line}")
    return 0 if stronger == coalition_tasks == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
