"""Condition drafts: what must happen before the coalition acts (a ceasefire, conditions on the
ground, rules of engagement, a parliament's approval, U.S. engagement) and what stands in its
way (Russia's opposition). A ceasefire or U.S. engagement counts only where the wording makes
it a condition ("once", "pending", "awaiting … before"); "ceasefire monitoring" is a role."""

import re

from app.proposals import cues
from app.proposals.model import Draft
from app.proposals.reading import ADVERSARY, NOT_ACTORS, Reading
from app.vocab import ConditionKind, ConditionNature, Role

K = ConditionKind
KINDS: list[tuple[ConditionKind, re.Pattern[str], bool]] = [
    (
        K.ceasefire,
        re.compile(
            r"\bcease-?fire\b|\barmistice\b|\b(?:end|cessation) (?:to|of) (?:the )?hostilities\b"
            r"|\bthe day the (?:war|conflict|fighting) (?:ends|stops)\b"
            r"|\bpeace (?:deal|agreement)\b",
            re.I,
        ),
        True,
    ),
    (
        K.ground_conditions,
        re.compile(r"\b(?:conditions|situation) on the ground\b|\bterritory held\b", re.I),
        False,
    ),
    (K.rules_of_engagement, re.compile(r"\brules of engagement\b", re.I), False),
    (
        K.parliamentary_approval,
        re.compile(
            r"\bparliament(?:ary)? (?:approvals?|consent|vote|mandate|backing)\b"
            r"|\blegislative (?:consent|approval)\b|\bBundestag mandate\b"
            r"|\bvote (?:in|of|by) (?:the |its |their )?(?:parliament|legislature|Bundestag)\b"
            r"|\bcongressional approval\b"
            r"|\b(?:approval|consent|vote|mandate) (?:of|by|from) (?:the |their |its )?"
            r"(?:parliament|legislature|Bundestag|Congress)\b",
            re.I,
        ),
        False,
    ),
    (
        K.us_engagement,
        re.compile(
            r"\b(?:U\.S\.|US|American|Washington[’']s)\s+(?:\w+\s+)?(?:engagement|involvement|"
            r"backing|backstop|support|participation|security guarantees?)\b|\bbackstop\b"
        ),
        True,
    ),
]
# The wording that makes a ceasefire or U.S. engagement a condition.
GATING = re.compile(
    r"\b(?:once|after|until|pending|dependent on|depend(?:s|ing)? on|contingent on|"
    r"conditional on|subject to|only if|provided|as soon as|before|the day|require[sd]?|"
    r"await(?:s|ed|ing)?|in the event of|following)\b",
    re.I,
)
OPPOSES = re.compile(
    r"\b(?:oppos(?:es|ed)|reject(?:s|ed)|objects? to|warn(?:s|ed) against|will not accept|"
    r"won[’']t accept|refuses? to accept)\b",
    re.I,
)
DEPLOYMENT = re.compile(r"\btroops?\b|\bdeploy(?:ment|ing)?\b|\bforces\b|\bpeacekeep", re.I)


def _nation_of(reading: Reading, index: int, before: int, skip: set[str]) -> str | None:
    """The named nation the condition is about: the subject before the cue, if one nation."""
    found = [
        n
        for m in reading.mentions[index]
        if m.kind in {"nation", "person"} and not m.governed and m.end <= before
        for n in m.nations
        if n not in skip and n not in NOT_ACTORS
    ]
    return found[-1] if len(set(found)) == 1 else None


def condition_drafts(reading: Reading) -> list[Draft]:
    text = reading.text
    drafts: list[Draft] = []
    for index, unit in enumerate(reading.units):
        if unit.heading:
            continue
        roles = cues.roles(text, unit.start, unit.end)
        monitoring = [r for r in roles if r.value == Role.monitoring]
        lead = unit.lead
        for kind, pattern, needs_gate in KINDS:
            m = pattern.search(text, unit.start, unit.end)
            if m is None:
                continue
            if kind is K.ceasefire and any(abs(r.start - m.start()) < 30 for r in monitoring):
                continue  # "ceasefire monitoring": a role, not a condition
            gate = GATING.search(text, unit.start, unit.end) or (
                lead is not None and GATING.search(text, lead.start, lead.end)
            )
            if needs_gate and not gate:
                continue
            nation = None
            if kind in {K.us_engagement, K.parliamentary_approval}:
                nation = _nation_of(
                    reading, index, m.start(), {"US"} if kind is K.us_engagement else set()
                )
            reasons = [f'kind: "{m.group(0)}" -> {kind.value}']
            if gate:
                reasons.append(f'a condition: "{gate.group(0)}"')
            if nation:
                reasons.append(f"the condition of {nation}, the subject before it")
            drafts.append(
                _draft(
                    reading,
                    index,
                    kind,
                    ConditionNature.precondition,
                    nation,
                    reasons,
                    0.7 if gate else 0.6,
                )
            )
        opposed = OPPOSES.search(text, unit.start, unit.end)
        russia = [
            m
            for m in reading.mentions[index]
            if ADVERSARY in m.nations and not m.governed and opposed and m.end <= opposed.start()
        ]
        if opposed and russia and DEPLOYMENT.search(text, opposed.end(), unit.end):
            reasons = [
                f'"{text[russia[-1].start : russia[-1].end]}" "{opposed.group(0)}" the '
                "deployment: an obstacle"
            ]
            drafts.append(
                _draft(
                    reading,
                    index,
                    K.russian_opposition,
                    ConditionNature.obstacle,
                    ADVERSARY,
                    reasons,
                    0.7,
                )
            )
    return drafts


def _draft(
    reading: Reading,
    index: int,
    kind: ConditionKind,
    nature: ConditionNature,
    nation: str | None,
    reasons: list[str],
    confidence: float,
) -> Draft:
    unit = reading.units[index]
    roles = tuple(
        r.value
        for r in cues.roles(reading.text, unit.start, unit.end)
        if r.value != Role.monitoring
    )
    return Draft(
        kind="condition",
        fields={"kind": kind, "nature": nature, "nation": nation},
        start=unit.start,
        end=unit.end,
        unit=unit,
        confidence=confidence,
        reasons=reasons,
        hedge_from=unit.start,
        # Russia's opposition stands in the way of the coalition's deployment, not of Russia's.
        gates_hint=(
            None if kind is K.russian_opposition else nation,
            roles or (Role.troops.value,),
        ),
    )
