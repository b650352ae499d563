"""What a source's wording says about how certain its words are: hedge words, whose words a
sentence relays (the outlet the article attributes it to), and bulleted lists that stand under a
hedged or attributed lead-in. The data checks (app.facts.verify) hold every quote to these, and
the proposal engine (app.proposals) marks its quotes by them, so evidence cannot be marked more
certain than its words — in the seed files, a curator's write and a proposal alike."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

# Words that, written in a quote, make it uncertain: such evidence must be marked hedged.
HEDGE_WORDS = re.compile(
    r"\b(reportedly|potentially|perhaps|may|might|could|possibly|anticipated|envisions?|envisaged?)\b",
    re.IGNORECASE,
)
# A sentence ends at . ! or ? (a closing quotation mark or bracket may follow) before a space and
# a capital or an opening quotation mark, or at the end of the line. Initials such as "U.S."
# are no ends: the letter before the point is a lone capital.
_SENTENCE_END = re.compile(r"(?<![A-Z]\.[A-Z])(?<!\b[A-Z])[.!?][”’\")]*(?=\s+[A-Z“\"‘(]|\s*$)")
# The words that make an outlet the one whose words a sentence relays. {o} stands for the
# outlet's name as written (a "the" before it allowed), {name} for the bare name; the cue's own
# words are read in any case, the name as written ("an economist said" cites no Economist).
_CUES = (
    r"\b(?i:according to) {o}",
    r"\b(?i:as) {o},? (?i:(?:first )?(?:reported|reports|noted|notes|said|says|wrote|writes|"
    r"put it|revealed))\b",
    r"\b(?i:(?:as )?(?:reported|quoted|cited) by) {o}",
    r"\(\s*{name}\s*\)",
    r"\b{o} (?i:reported|reports|said|says|noted|wrote|writes|revealed|learned)\b",
    r"\b(?i:told|in an interview with|speaking to) {o}",
)
# A sentence that only goes on with the one before it, in the same paragraph ("Rather, it is
# meant to deter…", "The agency added…"), is the same outlet's words.
_CONTINUES = re.compile(
    r"^(?:Rather|Instead|Moreover|Furthermore|In addition|Also|Still|Yet|Indeed|He|She|It|They"
    r"|The (?:agency|outlet|report|newspaper|paper|broadcaster|network|wire service|"
    r"news agency|daily)|(?:That|This) (?:same )?report)\b"
    r"|\b(?:the|that|this) (?:agency|outlet|report|newspaper|broadcaster|paper) "
    r"(?:added|also said|said|reported|noted)\b"
)
# "KYIV, Sept 5 (Reuters) -" opening an article names its publisher, not an outlet it cites.
_DATELINE_CHARS = 120
_DATELINE_DASH = re.compile(r"\s*[-–—]")
BULLET = re.compile(r"[-–—•*·]")  # a line holding only a bullet mark
BULLETED = re.compile(r"([-–—•*·])[ \t]+(?=\S)")  # a line opening with one


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Attribution(Span):
    """A stretch of text the article attributes to an outlet: `cue` is the attributing words."""

    outlet: str  # the outlet's id
    cue: str


@dataclass(frozen=True)
class HedgedList(Span):
    """A bulleted list whose lead-in sentence hedges every item ("the group reportedly
    involves:")."""

    hedge: str


def _lines(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, line.rstrip("\r\n")
        start += len(line)


def sentences(text: str) -> list[Span]:
    """Sentences, line by line (a line is a paragraph, a heading or a list item)."""
    spans: list[Span] = []
    for line_start, line in _lines(text):
        begin = len(line) - len(line.lstrip())
        for match in _SENTENCE_END.finditer(line):
            if line[begin : match.end()].strip():
                spans.append(Span(line_start + begin, line_start + match.end()))
            begin = match.end()
            while begin < len(line) and line[begin].isspace():
                begin += 1
        if line[begin:].strip():
            spans.append(Span(line_start + begin, line_start + len(line.rstrip())))
    return spans


@lru_cache(maxsize=16)
def _cue_patterns(names: tuple[str, ...]) -> list[re.Pattern[str]]:
    longest_first = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    name = rf"(?P<name>{longest_first})(?!\w)"
    written = rf"(?:[Tt]he\s+)?{name}"
    return [re.compile(cue.replace("{o}", written).replace("{name}", name)) for cue in _CUES]


class _Cues:
    """Where a text names an outlet as the one it relays: the first cue in a stretch, skipping
    the article's own publisher and its dateline."""

    def __init__(self, text: str, outlets: Iterable[tuple[str, str]], publisher: str | None):
        self.text = text
        self.outlet_of = {name: oid for oid, name in outlets}
        self.patterns = _cue_patterns(tuple(self.outlet_of)) if self.outlet_of else []
        wanted = (publisher or "").lower()
        self.publisher = next(
            (oid for name, oid in self.outlet_of.items() if wanted in {oid, name.lower()}), None
        )

    def first(self, span: Span) -> tuple[str, str] | None:
        """(outlet id, cue) of the first cue in ``span``."""
        for pattern in self.patterns:
            for m in pattern.finditer(self.text, span.start, span.end):
                outlet = self.outlet_of[m["name"]]
                dateline = m.start() < _DATELINE_CHARS and _DATELINE_DASH.match(self.text, m.end())
                if outlet != self.publisher and not dateline:
                    return outlet, m[0]
        return None


def attributions(
    text: str, outlets: Iterable[tuple[str, str]], publisher: str | None = None
) -> list[Attribution]:
    """Every sentence ``text`` attributes to one of ``outlets`` ((id, name) pairs; an outlet
    may have several names), each sentence that goes on with an attributed one in its paragraph,
    and the bulleted items under an attributed lead-in. ``publisher`` (an outlet's id or name)
    is the article's own voice: its name cites no one."""
    cues = _Cues(text, outlets, publisher)
    found: list[Attribution] = []
    carried: tuple[str, str] | None = None  # what the sentence before carries on to this one
    line_end = -1
    for span in sentences(text):
        own = cues.first(span)
        if own is None and carried is not None and span.start <= line_end:
            goes_on = _CONTINUES.search(text[span.start : span.end]) is not None
            own = carried if goes_on else None
        elif own is not None:
            line_end = text.find("\n", span.end)
            line_end = len(text) if line_end < 0 else line_end
        carried = own
        if own is not None:
            found.append(Attribution(span.start, span.end, *own))
    for lead_in, items in _lists(text):
        cue = cues.first(lead_in)
        if cue is not None:
            found += [Attribution(s.start, s.end, *cue) for s in items]
    return found


def hedged_lists(text: str) -> list[HedgedList]:
    """The items of every bulleted list whose lead-in carries a hedge word."""
    found: list[HedgedList] = []
    for lead_in, items in _lists(text):
        hedge = HEDGE_WORDS.search(text[lead_in.start : lead_in.end])
        if hedge is not None:
            found += [HedgedList(s.start, s.end, hedge[0]) for s in items]
    return found


def _lists(text: str) -> Iterator[tuple[Span, list[Span]]]:
    """(lead-in line, its items) for each bulleted list: items are the lines after a line
    holding only a bullet mark, and lines that open with one, below a line that ends with ":".
    Blank lines neither end a list nor start one."""
    lead_in: Span | None = None
    items: list[Span] = []
    after_mark = False
    for start, line in _lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        if BULLET.fullmatch(stripped):
            after_mark = True
            continue
        indent = len(line) - len(line.lstrip())
        mark = None if after_mark else BULLETED.match(line, indent)
        if after_mark or mark is not None:
            begin = start + (mark.end() if mark is not None else indent)
            items.append(Span(begin, start + len(line.rstrip())))
            after_mark = False
            continue
        if lead_in is not None and items:
            yield lead_in, items
        items = []
        lead_in = Span(start, start + len(line)) if stripped.endswith(":") else None
    if lead_in is not None and items:
        yield lead_in, items


@dataclass(frozen=True)
class Wording:
    """Where a source's wording attributes or hedges what it says."""

    attributions: list[Attribution]
    hedged_lists: list[HedgedList]


@lru_cache(maxsize=64)
def wording_of(
    text: str, outlets: tuple[tuple[str, str], ...], publisher: str | None = None
) -> Wording:
    """The wording of ``text`` with ``outlets`` as (id, name) pairs and its ``publisher``; kept
    for the texts checked most recently (a batch of facts quotes the same few sources again and
    again)."""
    return Wording(attributions(text, outlets, publisher), hedged_lists(text))


def overlapping(spans: list[Attribution], start: int, end: int) -> list[Attribution]:
    return [s for s in spans if s.start < end and start < s.end]


def within(spans: list[HedgedList], start: int, end: int) -> list[HedgedList]:
    return [s for s in spans if s.start <= start and end <= s.end]
