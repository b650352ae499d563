"""Candidates written out: as YAML in the import format (`memberships:`, `commitments:`, …) with
each candidate's confidence, relation and reasons as comments above it, so the file goes
through `pledgedb import` unchanged; or as JSON with all their metadata."""

import json
from collections.abc import Sequence

import yaml

from app.proposals.engine import KIND_ORDER, relation_counts
from app.proposals.model import Candidate

SECTIONS = {k: f"{k}s" for k in KIND_ORDER}


def _comment(text: str) -> str:
    return " ".join(text.split())


def _entry(candidate: Candidate) -> list[str]:
    rel = candidate.relation
    relation = rel.kind.value + (f" {rel.fact_id}" if rel.fact_id else "")
    lines = [f"  # confidence {candidate.confidence:.2f} · {relation}"]
    if rel.note:
        lines.append(f"  #   {_comment(rel.note)}")
    lines += [f"  #   - {_comment(r)}" for r in candidate.reasons]
    body = yaml.safe_dump([candidate.fact], allow_unicode=True, sort_keys=False, width=100)
    item = ["  " + line for line in body.rstrip("\n").splitlines()]
    if not candidate.importable:
        lines.append(
            f"  #   not importable as is: {rel.fact_id} is this nation's membership fact; "
            "edit that fact if this source should change it"
        )
        item = ["  # " + line[2:] for line in item]
    return lines + item


def to_yaml(
    candidates: Sequence[Candidate], source_id: str, unregistered_outlets: Sequence[str] = ()
) -> str:
    counts = relation_counts(candidates)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    out = [
        f"# Proposed facts from source {source_id}: {len(candidates)} candidate(s)"
        + (f" ({summary})." if summary else "."),
        "# Review each: edit it, or delete it, then load the file with `pledgedb import FILE`.",
        "# Above each: its confidence, its relation to the facts held, and the cues that fired.",
    ]
    if unregistered_outlets:
        out.append(
            "# Outlets cited here that the database does not hold yet (register them with "
            f"`pledgedb sources add`): {', '.join(unregistered_outlets)}"
        )
    for kind in KIND_ORDER:
        items = [c for c in candidates if c.kind == kind]
        if not items:
            continue
        out.append("")
        importable = any(c.importable for c in items)
        out.append(f"{SECTIONS[kind]}:" if importable else f"{SECTIONS[kind]}: []")
        for candidate in items:
            out += _entry(candidate)
    return "\n".join(out) + "\n"


def to_json(candidates: Sequence[Candidate], source_id: str) -> str:
    return json.dumps(
        {
            "source": source_id,
            "relations": relation_counts(candidates),
            "candidates": [c.model_dump(mode="json") for c in candidates],
        },
        ensure_ascii=False,
        indent=2,
    )
