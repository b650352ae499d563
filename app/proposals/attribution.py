"""Whose words a passage relays: the outlet an article attributes a sentence to ("According to
Reuters", "(AP)", "as BBC News reported"), carried on to a sentence that continues the
attributed one ("The agency added…") and to the items of a list under an attributed lead."""

import re
from dataclasses import dataclass

from app.proposals.reference import Reference
from app.proposals.text import Unit

CONTINUES = re.compile(
    r"^(?:It|The (?:agency|outlet|report|newspaper|paper|broadcaster|network|wire service|"
    r"news agency|daily)|(?:The|That|This) (?:same )?report|(?:He|She|They) (?:also |further )?"
    r"(?:added|said|noted|continued|reported))\b"
    r"|\b(?:the|that|this) (?:agency|outlet|report|newspaper|broadcaster|paper) "
    r"(?:added|also said|said|reported|noted)\b"
)
DATELINE_CHARS = 120  # "KYIV, Sept 5 (Reuters) -" names the publisher, not a cited outlet


@dataclass(frozen=True)
class Attribution:
    outlet: str  # outlet id
    words: str  # the attributing words as written
    start: int
    end: int
    continued: bool = False  # carried over from the sentence before


class Attributions:
    """The attributions of one article, unit by unit."""

    def __init__(self, reference: Reference, publisher: str | None) -> None:
        pairs = reference.outlet_names()
        self.outlet_of = dict(pairs)
        names = "|".join(re.escape(name) for name, _ in pairs)
        o = rf"(?:[Tt]he\s+)?(?P<o>{names})"
        self.patterns = [
            re.compile(p)
            for p in (
                rf"\b[Aa]ccording to {o}",
                rf"\b[Aa]s {o},? (?:first )?(?:reported|reports|noted|notes|said|says|wrote|"
                r"writes|put it|revealed)",
                rf"\b(?:[Aa]s )?(?:reported|quoted|cited) by {o}",
                rf"\((?P<p>{names})\)",
                rf"\b{o} (?:reported|reports|said|says|noted|wrote|writes|revealed|learned)\b",
                rf"\b(?:told|in an interview with|speaking to) {o}",
            )
        ]
        self.publisher = None
        if publisher:
            self.publisher = self.outlet_of.get(publisher) or next(
                (
                    oid
                    for name, oid in pairs
                    if oid == publisher or name.lower() == publisher.lower()
                ),
                None,
            )

    def _direct(self, text: str, unit: Unit) -> Attribution | None:
        for pattern in self.patterns:
            m = pattern.search(text, unit.start, unit.end)
            if m is None:
                continue
            name = m.group("p") if "p" in pattern.groupindex and m.group("p") else m.group("o")
            outlet = self.outlet_of[name]
            if outlet == self.publisher:
                continue  # the article's own voice
            if m.start() < DATELINE_CHARS and re.match(r"\s*[-–—]", text[m.end() : m.end() + 3]):
                continue
            return Attribution(outlet, m.group(0), m.start(), m.end())
        return None

    def of_units(self, text: str, units: list[Unit]) -> dict[int, Attribution]:
        """Attribution by unit index: its own, the lead's for a list item, or the previous
        sentence's in the same paragraph when this one continues it."""
        found: dict[int, Attribution] = {}
        by_start = {u.start: i for i, u in enumerate(units)}
        for i, unit in enumerate(units):
            own = self._direct(text, unit)
            if own is not None:
                found[i] = own
                continue
            if unit.lead is not None and by_start.get(unit.lead.start) in found:
                found[i] = found[by_start[unit.lead.start]]
                continue
            before = found.get(i - 1)
            if (
                before is not None
                and units[i - 1].paragraph == unit.paragraph
                and CONTINUES.search(text[unit.start : unit.end])
            ):
                found[i] = Attribution(before.outlet, before.words, before.start, before.end, True)
        return found
