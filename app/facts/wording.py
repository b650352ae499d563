"""What a source's wording says about how certain its words are: hedge words, sentences the
article attributes to an outlet, and bulleted lists that stand under a hedged or attributed
lead-in. The data checks (app.facts.files) hold every quote to these, so evidence cannot be marked
more certain than its words — in the seed files and in a curator's write alike."""

import re
from collections.abc import Iterator, Mapping
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
# A sentence that only goes on with the one before it ("Rather, it is meant to deter…") is the
# same speaker's or outlet's words.
_CONTINUES = re.compile(
    r"^(Rather|Instead|Moreover|Furthermore|In addition|Also|Still|Yet|Indeed|He|She|It|They)\b"
)
_BULLET_MARK = re.compile(r"^-\s*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Attribution(Span):
    """A stretch of text the article attributes to an outlet: `cue` is the attributing words."""

    outlet: str  # the outlet's name as the article writes it
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


def _attribution_patterns(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(
        rf"\bAccording to {n}\b|\bAs {n} (?:reported|noted|said|wrote|reports|notes)\b"
        rf"|\(\s*{n}\s*\)|\b(?:as )?reported by {n}\b|\b{n} (?:reported|said|noted|reports)\b",
        re.IGNORECASE,
    )


def attributions(text: str, outlets: Mapping[str, str]) -> list[Attribution]:
    """Every sentence the text attributes to one of ``outlets`` (id -> name), the sentences that
    only go on with one of them, and the bulleted items under an attributed lead-in."""
    patterns = {oid: _attribution_patterns(name) for oid, name in outlets.items()}
    found: list[Attribution] = []
    spans = sentences(text)
    for i, span in enumerate(spans):
        sentence = text[span.start : span.end]
        for outlet_id, pattern in patterns.items():
            cue = pattern.search(sentence)
            if cue is None:
                continue
            found.append(Attribution(span.start, span.end, outlet_id, cue[0]))
            line_end = text.find("\n", span.end)
            line_end = len(text) if line_end < 0 else line_end
            for following in spans[i + 1 :]:
                if following.start > line_end:
                    break
                if not _CONTINUES.match(text[following.start : following.end]):
                    break
                found.append(Attribution(following.start, following.end, outlet_id, cue[0]))
            break
    for lead_in, items in _lists(text):
        lead = text[lead_in.start : lead_in.end]
        for outlet_id, pattern in patterns.items():
            cue = pattern.search(lead)
            if cue is not None:
                found += [Attribution(s.start, s.end, outlet_id, cue[0]) for s in items]
                break
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
    """(lead-in line, its items) for each bulleted list: items are lines after a line holding
    only "-", or lines that start with "- ", following a line that ends with ":"."""
    lead_in: Span | None = None
    items: list[Span] = []
    after_mark = False
    for start, line in _lines(text):
        stripped = line.strip()
        if stripped == "-":
            after_mark = True
            continue
        if after_mark or (stripped.startswith("- ") and lead_in is not None):
            offset = len(line) - len(line.lstrip())
            mark = _BULLET_MARK.match(line[offset:]) if not after_mark else None
            begin = start + offset + (mark.end() if mark else 0)
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
def wording_of(text: str, outlets: tuple[tuple[str, str], ...]) -> Wording:
    """The wording of ``text`` with ``outlets`` as (id, name) pairs; kept for the texts checked
    most recently (a batch of facts quotes the same few sources again and again)."""
    return Wording(attributions(text, dict(outlets)), hedged_lists(text))


def overlapping(spans: list[Attribution], start: int, end: int) -> list[Attribution]:
    return [s for s in spans if s.start < end and start < s.end]


def within(spans: list[HedgedList], start: int, end: int) -> list[HedgedList]:
    return [s for s in spans if s.start <= start and end <= s.end]
