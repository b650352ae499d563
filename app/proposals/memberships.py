"""Membership drafts: each nation's place in the story as the article gives it. Named in a
passage about the coalition's make-up (a list under "involves:", "partners such as…") it is a
member, `potential` where the wording holds it back ("potentially the United States"); a
named group ("the Nordic states") stands for each of its members (`inferred_from_group`);
Ukraine and Russia are the beneficiary and the adversary; a nation pressed or sanctioned from
outside is a third country. A nation that only acts in a commitment is an implied member."""

import re

from app.proposals.mentions import Mention, coordinated
from app.proposals.model import Draft
from app.proposals.reading import ADVERSARY, BENEFICIARY, Reading
from app.vocab import Basis, MembershipStatus, Part, Status

MAKE_UP = re.compile(
    r"\b(?:includ(?:es|ed|ing)|involv(?:es|ed|ing)|encompass(?:es|ed)?|members?|partners?|"
    r"participants?|signator(?:y|ies)|joined|join(?:s|ing)?|alongside|supporters|backers|"
    r"allies|among|spearheaded|led by|co-led|part of the coalition|coalition of)\b",
    re.IGNORECASE,
)
NOUNS = {
    "member",
    "members",
    "partner",
    "partners",
    "participant",
    "participants",
    "signatory",
    "signatories",
    "supporters",
    "backers",
    "allies",
}
# What may stand between "includes" and the first nation of its list.
LIST_OPENS = re.compile(r"[\s,:]*(?:(?:the|both|such as|like|countries|nations)\s+){0,3}")
HELD_BACK = re.compile(r"\b(?:potentially|possibly|perhaps|may|might)\s+(?:also\s+)?$", re.I)
NOT_YET = re.compile(r"\b(?:not yet signed|under negotiation|yet to (?:join|sign|commit))\b", re.I)
THIRD = re.compile(
    r"\b(?:third countries,? (?:including|such as|like)|targeting|sanctions (?:on|against)|"
    r"pressure (?:on )?)\s*$",
    re.IGNORECASE,
)
NOT_YET_REACH = 90  # characters after a nation in which "under negotiation" still speaks of it


def _draft(
    reading: Reading,
    index: int,
    nation: str,
    fields: dict[str, object],
    confidence: float,
    reasons: list[str],
) -> Draft:
    unit = reading.units[index]
    return Draft(
        kind="membership",
        fields={"nation": nation, **fields},
        start=unit.start,
        end=unit.end,
        unit=unit,
        confidence=confidence,
        reasons=reasons,
        hedge_from=unit.start,
    )


def _not_yet(reading: Reading, index: int, m: Mention) -> re.Match[str] | None:
    """ "…the United States (though Washington’s commitment is still under negotiation)": the
    words close after this mention, before any other nation is named."""
    later = [
        n.start
        for n in reading.mentions[index]
        if n.start > m.end and n.kind == "nation" and n.nations != m.nations
    ]
    stop = min([m.end + NOT_YET_REACH, reading.units[index].end, *later])
    return NOT_YET.search(reading.text, m.end, stop)


def membership_drafts(reading: Reading) -> list[Draft]:
    """One draft per nation and passage; the engine merges them per nation."""
    text = reading.text
    drafts: list[Draft] = []
    for index, unit in enumerate(reading.units):
        if unit.heading:
            continue
        lead = unit.lead
        in_unit = list(MAKE_UP.finditer(text, unit.start, unit.end))
        in_lead = lead is not None and MAKE_UP.search(text, lead.start, lead.end)
        mentions = reading.mentions[index]
        for m in mentions:
            # A verb ("includes", "among") names the members right after it, in a list; a noun
            # ("partners", "supporters") wherever it stands.
            first = coordinated(text, mentions, mentions.index(m))[0].start
            make_up = in_lead or next(
                (
                    c
                    for c in in_unit
                    if c.group(0).lower() in NOUNS
                    or (c.end() <= first and LIST_OPENS.fullmatch(text, c.end(), first))
                ),
                None,
            )
            words = text[m.start : m.end]
            before = text[unit.start : m.start]
            adjective = m.via == "demonym" and re.match(r"\s+[a-z]", text[m.end : m.end + 2])
            if m.kind == "nation" and m.target in {BENEFICIARY, ADVERSARY} and not adjective:
                part = Part.beneficiary if m.target == BENEFICIARY else Part.adversary
                drafts.append(
                    _draft(
                        reading,
                        index,
                        m.target,
                        {"status": MembershipStatus.non_member, "part": part, "basis": Basis.named},
                        0.8,
                        [f'"{words}" names {m.target}, the story\'s {part.value}'],
                    )
                )
                continue
            if m.kind == "nation" and THIRD.search(before):
                drafts.append(
                    _draft(
                        reading,
                        index,
                        m.target,
                        {
                            "status": MembershipStatus.non_member,
                            "part": Part.third_country,
                            "basis": Basis.named,
                        },
                        0.6,
                        [f'"{words}" is pressed or sanctioned from outside: a third country'],
                    )
                )
                continue
            if not make_up or m.kind not in {"nation", "group"} or m.governed:
                continue
            cue = f'"{make_up.group(0)}"'
            held = HELD_BACK.search(before) or _not_yet(reading, index, m)
            status = MembershipStatus.potential if held else MembershipStatus.member
            why = [f'named where the coalition\'s make-up is given ({cue}): "{words}"']
            if held:
                why.append(f'held back by "{held.group(0).strip()}" -> potential')
            if m.kind == "group":
                for member in m.nations:
                    drafts.append(
                        _draft(
                            reading,
                            index,
                            member,
                            {
                                "status": status,
                                "part": Part.guarantor,
                                "basis": Basis.inferred_from_group,
                                "group": m.target,
                            },
                            0.6,
                            [*why, f"inferred from group {m.target}"],
                        )
                    )
            else:
                drafts.append(
                    _draft(
                        reading,
                        index,
                        m.target,
                        {"status": status, "part": Part.guarantor, "basis": Basis.named},
                        0.75,
                        why,
                    )
                )
    return drafts


def implied_memberships(reading: Reading, commitments: list[Draft], have: set[str]) -> list[Draft]:
    """A membership for each nation that acts in a commitment and has none yet (a commitment
    needs its nation's membership): `potential` when its every role waits on something."""
    statuses: dict[str, list[Draft]] = {}
    for d in commitments:
        nation = d.fields.get("nation")
        if nation and nation not in have:
            statuses.setdefault(str(nation), []).append(d)
    drafts = []
    for nation, ds in statuses.items():
        pending = all(d.fields["status"] in {Status.pending, Status.hesitant} for d in ds) and any(
            d.fields["status"] is Status.pending for d in ds
        )
        status = MembershipStatus.potential if pending else MembershipStatus.member
        first = ds[0]
        drafts.append(
            Draft(
                kind="membership",
                fields={
                    "nation": nation,
                    "status": status,
                    "part": Part.guarantor,
                    "basis": Basis.implied,
                },
                start=first.start,
                end=first.end,
                unit=first.unit,
                confidence=0.5,
                reasons=[
                    f"acts in {len(ds)} commitment(s) here but is named in no list of members:"
                    f" implied{', potential: every role waits' if pending else ''}"
                ],
                hedge_from=first.hedge_from,
            )
        )
    return drafts
