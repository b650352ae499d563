"""The proposal engine's one entry point: read an article, run each kind's extractor, give each
draft its verified evidence (capping a hedged status), merge drafts per fact, relate each to
the facts held, and write it in the data files' format with an id and a summary."""

import re
from collections.abc import Sequence
from typing import Any

from app.proposals.commitments import commitment_drafts
from app.proposals.conditions import condition_drafts
from app.proposals.evidence import make_evidence
from app.proposals.memberships import implied_memberships, membership_drafts
from app.proposals.model import (
    Article,
    Candidate,
    Draft,
    ProposedEvidence,
    Relation,
)
from app.proposals.reading import Reading
from app.proposals.reference import Reference
from app.proposals.relations import relate
from app.proposals.statements import statement_drafts
from app.proposals.summaries import summary_of
from app.schemas.bodies import FactIn
from app.schemas.memberships import MembershipIn
from app.vocab import (
    Basis,
    Certainty,
    Location,
    MembershipStatus,
    Part,
    RelationKind,
    Role,
    Status,
)

KIND_ORDER = ("membership", "commitment", "condition", "statement")
MAX_EVIDENCE = 4
STRONG = {Status.pledged, Status.open_to}
# Which membership claim wins when passages differ: the weaker wording, then the named.
MEMBERSHIP_RANK = [
    (MembershipStatus.non_member, Part.beneficiary),
    (MembershipStatus.non_member, Part.adversary),
    (MembershipStatus.potential, Part.guarantor),
    (MembershipStatus.member, Part.guarantor),
    (MembershipStatus.non_member, Part.third_country),
]


def _located(reading: Reading, drafts: list[Draft]) -> list[tuple[Draft, ProposedEvidence]]:
    """Each draft with its evidence; a hedged quote never carries a pledge or an offer."""
    out = []
    for draft in drafts:
        evidence = make_evidence(reading.text, reading.article.source, draft, reading.wording)
        if evidence is None:
            continue
        status = draft.fields.get("status")
        if (
            draft.kind == "commitment"
            and evidence.certainty is Certainty.hedged
            and status in STRONG
        ):
            draft.fields["status"] = Status.considering
            words = ", ".join(evidence.hedge or [])
            draft.reasons.append(f'hedged ("{words}"): {status.value} capped at considering')
        out.append((draft, evidence))
    return out


def _membership_choice(
    group: list[tuple[Draft, ProposedEvidence]],
) -> list[tuple[Draft, ProposedEvidence]]:
    """The drafts that carry the membership claim the article supports most cautiously."""

    def rank(d: Draft) -> tuple[int, int]:
        claim = (d.fields["status"], d.fields["part"])
        basis = [Basis.named, Basis.inferred_from_group, Basis.implied].index(d.fields["basis"])
        return MEMBERSHIP_RANK.index(claim) if claim in MEMBERSHIP_RANK else 9, basis

    best = min((d for d, _ in group), key=rank)
    claim = (best.fields["status"], best.fields["part"])
    return [(d, e) for d, e in group if (d.fields["status"], d.fields["part"]) == claim]


def _merge(
    group: list[tuple[Draft, ProposedEvidence]],
) -> tuple[dict[str, Any], list[ProposedEvidence], float, list[str], bool]:
    if group[0][0].kind == "membership":
        group = _membership_choice(group)
        group.sort(
            key=lambda de: [Basis.named, Basis.inferred_from_group, Basis.implied].index(
                de[0].fields["basis"]
            )
        )
    fields = dict(group[0][0].fields)
    for name in ("location", "combat"):
        specific = [
            d.fields[name]
            for d, _ in group
            if d.fields.get(name) not in (None, Location.unspecified, "unspecified")
        ]
        if name in fields and specific:
            fields[name] = specific[0]
    evidence: list[ProposedEvidence] = []
    for _, e in sorted(group, key=lambda de: de[1].start):
        if all((e.quote, e.start) != (x.quote, x.start) for x in evidence):
            evidence.append(e)
    reasons: list[str] = []
    for d, _ in group:
        reasons += [r for r in d.reasons if r not in reasons]
    confidence = min(0.99, max(d.confidence for d, _ in group) + 0.03 * (len(evidence) - 1))
    narrows = any("narrows its role" in r for r in reasons)
    return fields, evidence[:MAX_EVIDENCE], round(confidence, 2), reasons, narrows


def _slug(*parts: object) -> str:
    words = "-".join(str(getattr(p, "value", p)) for p in parts if p)
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def _fact_id(kind: str, fields: dict[str, Any], source: str, taken: set[str]) -> str:
    if kind == "membership":
        base = _slug("membership", fields["nation"])
    elif kind == "commitment":
        who = fields.get("nation") or (
            "coalition" if fields.get("coalition_scope") == "whole" else "coalition-some"
        )
        base = _slug(who, fields["role"], fields["status"], source)
    elif kind == "condition":
        base = _slug(fields["kind"], fields.get("nation"), source)
    else:
        head = " ".join(fields["text"].split()[:5])
        base = _slug(fields["speaker"].split()[-1], head, source)
    base = base[:72].rstrip("-") or kind
    fact_id, n = base, 2
    while fact_id in taken:
        fact_id, n = f"{base}-{n}", n + 1
    taken.add(fact_id)
    return fact_id


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Enum values as strings, empty optional fields left out: the files' own form."""
    out = {}
    for k, v in fields.items():
        if v is None:
            continue
        out[k] = getattr(v, "value", v)
    return out


def _as_update(fact: FactIn, evidence: list[ProposedEvidence]) -> dict[str, Any]:
    """An existing fact with the new evidence added after its own (unchanged) items."""
    body = fact.model_dump(mode="json", exclude_none=True)
    held = {(e["source"], e["quote"], e.get("occurrence")) for e in body["evidence"]}
    for e in evidence:
        if (e.source, e.quote, e.occurrence) not in held:
            body["evidence"].append(e.as_file_item())
    return body


def propose(
    article: Article, reference: Reference, existing: Sequence[FactIn] = ()
) -> list[Candidate]:
    """Candidate facts for ``article``, each related to ``existing`` (plain fact data)."""
    reading = Reading.of(article, reference)
    commitments = commitment_drafts(reading)
    memberships = membership_drafts(reading)
    have = {f.nation for f in existing if isinstance(f, MembershipIn)}
    named = {str(d.fields["nation"]) for d in memberships}
    memberships += implied_memberships(reading, commitments, have | named)
    drafts = [*memberships, *commitments, *condition_drafts(reading), *statement_drafts(reading)]
    groups: dict[tuple[Any, ...], list[tuple[Draft, ProposedEvidence]]] = {}
    for draft, located in _located(reading, drafts):
        groups.setdefault(draft.key(), []).append((draft, located))
    by_id = {f.id: f for f in existing}
    taken = set(by_id)
    members = have | {k[1] for k in groups if k[0] == "membership"}
    candidates: list[Candidate] = []
    commitment_ids: list[tuple[dict[str, Any], str]] = []
    pending_conditions: list[tuple[Candidate, Draft]] = []
    for key in sorted(groups, key=lambda k: KIND_ORDER.index(k[0])):
        kind = key[0]
        fields, evidence, confidence, reasons, narrows = _merge(groups[key])
        for name in ("speaker_nation", "nation"):
            if (
                kind in {"statement", "condition"}
                and fields.get(name)
                and fields[name] not in members
            ):
                reasons.append(f"{name} {fields[name]} left out: it has no membership fact")
                fields[name] = None
        relation = relate(kind, fields, existing, narrows)
        importable = True
        if relation.kind is RelationKind.confirms and relation.fact_id:
            fact = _as_update(by_id[relation.fact_id], evidence)
            if len(fact["evidence"]) == len(by_id[relation.fact_id].evidence):
                continue  # every quote is already on that fact: nothing to propose
        else:
            if kind == "membership" and relation.fact_id:
                importable = False  # a nation has one membership fact: edit that one instead
            fact = {"id": _fact_id(kind, fields, article.source.id, taken), **_clean(fields)}
            if kind == "condition":
                fact["gates"] = []
            fact["summary"] = summary_of(kind, fields, evidence, reference, article.source.id)
            fact["evidence"] = [e.as_file_item() for e in evidence]
        candidate = Candidate(
            kind=kind,
            fact=fact,
            evidence=evidence,
            confidence=confidence,
            reasons=reasons,
            relation=relation,
            importable=importable,
        )
        if kind == "commitment":
            commitment_ids.append((fields, fact["id"]))
        if kind == "condition":
            pending_conditions.append((candidate, groups[key][0][0]))
        candidates.append(candidate)
    for candidate, draft in pending_conditions:
        if candidate.relation.kind is not RelationKind.confirms:
            candidate.fact["gates"] = _gates(draft, commitment_ids)
    return candidates


def _gates(draft: Draft, commitments: list[tuple[dict[str, Any], str]]) -> list[str]:
    """What a condition gates among this article's commitments: its nation's, or the
    coalition's deployments (troops, air, naval) when it names no nation."""
    nation, roles = draft.gates_hint or (None, (Role.troops.value,))
    wanted = set(roles) | (
        {Role.troops.value, Role.air.value, Role.naval.value} if nation is None else set()
    )
    gated = [
        fact_id
        for fields, fact_id in commitments
        if fields.get("nation") == nation
        and getattr(fields["role"], "value", fields["role"]) in wanted
        and fields["status"] is not Status.ruled_out
    ]
    return sorted(set(gated))


def relation_counts(candidates: Sequence[Candidate]) -> dict[str, int]:
    counts = {k.value: 0 for k in RelationKind}
    for c in candidates:
        counts[c.relation.kind.value] += 1
    return counts


__all__ = ["Article", "Candidate", "Relation", "propose", "relation_counts"]
