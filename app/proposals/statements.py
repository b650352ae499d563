"""Statement drafts: a person's words, `direct` where the article quotes them in quotation
marks, `reported` where it paraphrases them after a verb of saying ("Macron stressed that…").
The speaker is a leader known to data/reference/leaders.yaml or a generic "leaders"/"officials"
the article names; scare quotes with no one speaking are not statements. "Announced" and
"confirmed" introduce facts (an event, a commitment), which the other kinds take, not words."""

import re

from app.proposals.model import Draft
from app.proposals.reading import Reading

SAYING = (
    r"(?:said|says|stated|states|declared|declares|stressed|stresses|emphasi[sz]ed|"
    r"emphasi[sz]es|told|added|noted|warned|insisted|argued|urged|"
    r"expressed (?:confidence|hope|concern|doubt)|welcomed|praised|called|calling|described|"
    r"describing|referring to|referred to)"
)
VERB = re.compile(rf"\b{SAYING}\b", re.I)
THAT = re.compile(rf"\b{SAYING}\s+that\s+", re.I)
QUOTED = re.compile(r"“([^”]{2,600})”|\"([^\"]{2,600})\"")
GENERIC = re.compile(r"\b(?:leaders|officials|diplomats|ministers)\b", re.I)
# Where a paraphrase stops: an attribution in brackets, a colon opening a quotation, the end.
REPORTED_END = re.compile(r"\s*(?:\([^)]*\))?\s*(?::\s*[“\"]|[.;]?\s*$)")
MIN_DIRECT_WORDS = 2


def _speaker(
    reading: Reading, index: int, verb_at: int, verb_end: int
) -> tuple[str, str | None, str | None, int] | None:
    """(name, title, nation, where) of who speaks: the person nearest before the verb of
    saying, or right after it ("…,” Macron declared)."""
    people = [m for m in reading.mentions[index] if m.kind == "person"]
    before = [m for m in people if m.end <= verb_at]
    after = [m for m in people if m.start >= verb_end and m.start - verb_end < 3]
    unit = reading.units[index]
    text = reading.text
    chosen = before[-1] if before else None
    if chosen is None:
        gap = [m for m in people if 0 <= verb_at - m.end < 3]
        chosen = gap[-1] if gap else (after[0] if after else None)
    if chosen is not None:
        name = chosen.target if chosen.target in text else text[chosen.start : chosen.end]
        nation = chosen.nations[0] if chosen.nations else None
        return name, chosen.title, nation, chosen.start
    pronouns = [
        m for m in reading.mentions[index]
        if m.kind == "pronoun" and m.target in {"he", "she"} and m.end <= verb_at
    ]  # fmt: skip
    person = reading.antecedent(index, pronouns[-1]) if pronouns else None
    if person is not None:
        name = person.target if person.target in text else text[person.start : person.end]
        return name, person.title, person.nations[0] if person.nations else None, person.start
    generic = list(GENERIC.finditer(text, unit.start, verb_at))
    if generic:
        return generic[-1].group(0), None, None, generic[-1].start()
    return None


def statement_drafts(reading: Reading) -> list[Draft]:
    text = reading.text
    drafts: list[Draft] = []
    for index, unit in enumerate(reading.units):
        if unit.heading:
            continue
        verb = VERB.search(text, unit.start, unit.end)
        if verb is None:
            continue
        found = _speaker(reading, index, verb.start(), verb.end())
        if found is None:
            continue
        name, title, nation, _ = found
        fields: dict[str, object] = {
            "speaker": name,
            "speaker_title": title,
            "speaker_nation": nation,
        }
        that = THAT.search(text, unit.start, unit.end)
        if that is not None:
            stop = REPORTED_END.search(text, that.end(), unit.end)
            end = stop.start() if stop else unit.end
            words = text[that.end() : end].strip()
            if len(words.split()) >= 3:
                drafts.append(
                    _draft(
                        reading,
                        index,
                        fields,
                        "reported",
                        words,
                        f'"{that.group(0).strip()}" introduces a paraphrase',
                    )
                )
        for q in QUOTED.finditer(text, unit.start, unit.end):
            words = (q.group(1) or q.group(2)).strip().rstrip(",")
            if len(words.split()) < MIN_DIRECT_WORDS:
                continue
            drafts.append(
                _draft(
                    reading,
                    index,
                    fields,
                    "direct",
                    words,
                    f'in quotation marks, with "{verb.group(0)}"',
                )
            )
    return drafts


def _draft(
    reading: Reading, index: int, fields: dict[str, object], mode: str, words: str, why: str
) -> Draft:
    unit = reading.units[index]
    return Draft(
        kind="statement",
        fields={**fields, "mode": mode, "text": words},
        start=unit.start,
        end=unit.end,
        unit=unit,
        confidence=0.7 if fields["speaker_nation"] else 0.55,
        reasons=[f'speaker: "{fields["speaker"]}"', why],
        hedge_from=unit.start,
    )
