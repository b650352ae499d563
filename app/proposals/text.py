"""An article cut into the units the cues read: sentences and list items, each with its exact
character offsets, its paragraph, and (for a list item) the sentence that introduces the list;
and each unit cut into clauses. Offsets always index the original text: nothing is cleaned."""

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from app.facts.wording import BULLET, BULLETED

# A list's label ("Caution: Germany and Italy…"): a few words, then a colon.
LABEL = re.compile(r"(?:[A-Z][\w’'/-]*)(?:[ \t]+[\w’'/-]+){0,4}:[ \t]+")
SENTENCE_END = re.compile(r"[.!?:;…”\"’')\]]\s*$")
HEADING_MAX_WORDS = 16


@dataclass(frozen=True)
class Unit:
    """A sentence, or a list item (a line under a bullet)."""

    start: int
    end: int
    paragraph: int  # the line it stands on (0-based); units on one line share it
    heading: bool = False
    lead: "Unit | None" = None  # for a list item: the sentence ending in ":" above the list
    label_end: int | None = None  # end of the item's label ("Caution: "), if any

    @property
    def is_item(self) -> bool:
        return self.lead is not None


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _regex_sentences(line: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"(?<=[.!?])[”\"’)]?\s+(?=[“\"‘(]?[A-Z0-9])", line):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(line)))
    return spans


def sentence_spans(line: str) -> list[tuple[int, int]]:
    """Sentences of one line as (start, end) offsets into it, trailing spaces trimmed. pysbd
    knows abbreviations ("U.S.", "Mr."); its spans are checked, and a line where they do not
    index the text (or that it cannot read) falls back to a plain splitter."""
    spans: list[tuple[int, int]] = []
    try:
        found = _segmenter().segment(line) if line.strip() else []
        if all(line[s.start : s.end] == s.sent for s in found):
            spans = [(s.start, s.end) for s in found]
    except Exception:  # noqa: BLE001 - a third-party splitter must never stop a proposal run
        spans = []
    if not spans:
        spans = _regex_sentences(line)
    trimmed = []
    for start, end in spans:
        while end > start and line[end - 1].isspace():
            end -= 1
        while start < end and line[start].isspace():
            start += 1
        if end > start:
            trimmed.append((start, end))
    return trimmed


def _is_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= HEADING_MAX_WORDS
        and not SENTENCE_END.search(line)
        and not line.lstrip().startswith(("“", '"'))
    )


def segment(text: str) -> list[Unit]:
    """Every unit of ``text`` in order."""
    units: list[Unit] = []
    offset = 0
    lead: Unit | None = None  # the sentence that introduces the current list
    pending_bullet = False
    for number, raw in enumerate(text.splitlines(keepends=True)):
        line_start, line = offset, raw.rstrip("\r\n")
        offset += len(raw)
        stripped = line.strip()
        if not stripped:
            continue
        if BULLET.fullmatch(stripped):
            pending_bullet = True
            continue
        content_start = line_start + (len(line) - len(line.lstrip()))
        bulleted = BULLETED.match(line.lstrip())
        is_item = pending_bullet or bulleted is not None
        pending_bullet = False
        if bulleted is not None:
            content_start += bulleted.end()
        content = text[content_start : line_start + len(line)]
        if not is_item:
            lead = None
        heading = not is_item and _is_heading(content)
        label = LABEL.match(content) if is_item else None
        line_units = []
        for first, (s, e) in enumerate(sentence_spans(content)):
            line_units.append(
                Unit(
                    start=content_start + s,
                    end=content_start + e,
                    paragraph=number,
                    heading=heading,
                    lead=lead if is_item else None,
                    label_end=content_start + label.end() if label and first == 0 else None,
                )
            )
        units += line_units
        if not is_item and line_units and text[line_units[-1].end - 1] == ":":
            lead = line_units[-1]
    return units


# Where a sentence divides into clauses that may have subjects of their own. A plain "and"
# does not (it joins roles: "air defence and arm new brigades"), unless a verb follows soon.
CLAUSE_BREAK = re.compile(
    r";\s*"
    r"|,?\s+but\s+(?!also\b)"
    r"|,\s*(?:while|whereas|though|although|as|yet)\s+(?!well\b)"
    r"|\s+(?:while|whereas|although)\s+"
    r"|,?\s+(?:and\s+)?instead\s+"
    r"|,?\s+and\s+that\s+"
    r"|(?P<colon>:\s+)(?=\S)"
    r"|,?\s+and\s+(?=(?:will|would|has|have|is|are|was|were|could|may|might|can)\b)"
    r"|,\s+(?=(?:its|their)\s+(?:[\w’'-]+\s+){0,3}?(?:is|are|was|were|will|would|has|have)\b)"
    r"|(?P<and>,?\s+and\s+)(?=(?:(?:the|its|their|this|these)\s+)?(?:[A-Z][\w’'.-]*|it|they|he|she)"
    r"\s+(?:[\w’'.-]+\s+){0,2}?(?:will|would|has|have|had|is|are|was|were)\b)"
)
# "While Washington has not yet signed, Macron…": an opening subordinate clause ends at its comma.
OPENING = re.compile(r"(?:While|Although|Though|Whereas)\b[^,;]*?(,\s+)")
# A verb before the "and": without one, "the Baltics, Poland, and Czech Republic have" is one
# subject, not two clauses.
VERB = re.compile(
    r"\b(?:will|would|has|have|had|is|are|was|were|could|may|can|must|remains?|stays?|says|"
    r"\w+ed)\b"
)


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The clauses of ``text[start:end]`` as (start, end) offsets into ``text``; each break's
    own words ("but", "while") are left out of both sides."""
    spans, cursor = [], start
    opening = OPENING.match(text, start, end)
    if opening:
        spans.append((start, opening.start(1)))
        cursor = opening.end(1)
    for m in CLAUSE_BREAK.finditer(text, cursor, end):
        if (m.group("and") or m.group("colon")) and not VERB.search(text, cursor, m.start()):
            continue  # "Caution: Germany…", "partners: Canada": a label, not a clause
        if m.start() > cursor:
            spans.append((cursor, m.start()))
        cursor = m.end()
    if end > cursor:
        spans.append((cursor, end))
    return spans or [(start, end)]


def line_of(text: str, offset: int, first_line: int = 1) -> int:
    return first_line + text.count("\n", 0, offset)
