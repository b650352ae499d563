"""A candidate's `summary`: one sentence that says no more than its evidence (who, what, the
status as worded, and whose report it is), for the curator to rewrite in their own words."""

from typing import Any

from app.proposals.model import ProposedEvidence
from app.proposals.reference import Reference
from app.vocab import Certainty

STATUS_WORDS = {
    "pledged": "has committed to",
    "open_to": "is open to",
    "considering": "is considering",
    "pending": "is expected to take on, pending",
    "hesitant": "is hesitant about",
    "ruled_out": "has ruled out",
}
ROLE_WORDS = {
    "troops": "troops",
    "air": "air policing or air support",
    "naval": "naval patrols",
    "training": "training",
    "intelligence": "intelligence sharing",
    "air_defense": "help with Ukraine's air defence",
    "monitoring": "ceasefire monitoring",
    "logistics": "logistical support",
    "equipment": "arming or equipping Ukraine's forces",
    "sanctions": "sanctions and economic pressure",
    "reconstruction": "investment in reconstruction",
    "diplomacy": "diplomatic efforts",
    "leadership": "leading the coalition",
    "non_combat_support": "non-combat support",
}


def _v(value: Any) -> str:
    return str(getattr(value, "value", value))


def _whose(evidence: list[ProposedEvidence], source: str) -> str:
    first = evidence[0]
    said = f"per {source}"
    if first.outlet:
        said += f", citing {first.outlet}"
    if first.certainty is Certainty.hedged:
        said += f" (hedged: {', '.join(first.hedge or [])})"
    return said


def _nation(reference: Reference, code: str | None) -> str:
    return reference.nation_names.get(code or "", code or "")


def summary_of(
    kind: str,
    fields: dict[str, Any],
    evidence: list[ProposedEvidence],
    reference: Reference,
    source: str,
) -> str:
    whose = _whose(evidence, source)
    if kind == "commitment":
        if fields.get("nation"):
            actor = _nation(reference, fields["nation"])
        elif _v(fields.get("coalition_scope")) == "whole":
            actor = "The coalition as a whole"
        else:
            group = fields.get("group")
            actor = "Some coalition members, not named" + (f", from {group}" if group else "")
        status = _v(fields["status"])
        text = f"{actor} {STATUS_WORDS[status]} {ROLE_WORDS[_v(fields['role'])]}"
        if status == "pending":
            text = f"{actor}: {ROLE_WORDS[_v(fields['role'])]}, pending"
        if _v(fields.get("location")) != "unspecified":
            text += f" ({_v(fields['location']).replace('_', ' ')})"
        return f"{text}, {whose}."
    if kind == "membership":
        nation = _nation(reference, fields["nation"])
        basis = _v(fields["basis"]).replace("_", " ")
        group = f" {fields['group']}" if fields.get("group") else ""
        return (
            f"{nation}: {_v(fields['status']).replace('_', ' ')}, "
            f"{_v(fields['part']).replace('_', ' ')} ({basis}{group}), {whose}."
        )
    if kind == "condition":
        nation = f" for {_nation(reference, fields['nation'])}" if fields.get("nation") else ""
        return (
            f"{_v(fields['kind']).replace('_', ' ').capitalize()}: a "
            f"{_v(fields['nature'])}{nation}, {whose}."
        )
    words = fields["text"]
    short = words if len(words) <= 160 else words[:157] + "…"
    mode = "said" if _v(fields["mode"]) == "direct" else "said (in paraphrase)"
    return f"{fields['speaker']} {mode}: “{short}” ({whose})."
