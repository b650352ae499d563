"""A draft's quote made into evidence the loader accepts: trimmed to the words that carry it,
its certainty read from the wording (hedged, reported or stated), its occurrence counted, and
then verified by app.facts.files.locate, the loader's own check, so no quote leaves the engine that
`pledgedb import` would refuse."""

import re

from app.facts.verify import HEDGE_WINDOW, SourceRef, locate
from app.facts.wording import HEDGE_WORDS, Wording, overlapping, within
from app.proposals import cues
from app.proposals.model import Draft, ProposedEvidence
from app.schemas.bodies import EvidenceIn
from app.vocab import Certainty

LEADING = re.compile(r"^(?:[\s,;:—–-]|(?:but|and|while|whereas|as|so|yet)\b)+", re.IGNORECASE)
TRAILING = re.compile(r"[\s,;:—–-]+$")


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without leading conjunctions or punctuation and without trailing punctuation."""
    lead = LEADING.match(text, start, end)
    if lead:
        start = lead.end()
    tail = TRAILING.search(text, start, end)
    if tail and tail.start() > start:
        end = tail.start()
    return start, end


def hedge_words(
    text: str, draft: Draft, start: int, end: int, wording: Wording
) -> tuple[list[str], int]:
    """The hedges that bear on the quote ``text[start:end]``, and where the quote must start
    for each of them to stand within the loader's window before it. Read in the quote, in
    the clause before it, in a list's lead, and in the lead-in the checker reads for a list
    (a list under "reportedly involves:")."""
    found = cues.hedges(text, min(start, draft.hedge_from or start), end)
    if draft.unit.lead is not None:
        found = cues.hedges(text, draft.unit.lead.start, draft.unit.lead.end) + found
    found = [h.hedge for h in within(wording.hedged_lists, start, end)] + found
    found = list(dict.fromkeys(found))
    for word in found:
        window = text[max(0, start - HEDGE_WINDOW) : end]
        if word not in window:
            # Too far back to stand in the window: the quote takes in the words up to it.
            at = text.rfind(word, 0, start)
            if at >= 0:
                start = at
    return found, start


def make_evidence(
    text: str, source: SourceRef, draft: Draft, wording: Wording
) -> ProposedEvidence | None:
    """Located, loader-verified evidence for ``draft``; None when its quote cannot be one. Its
    outlet, and the hedge of a list it stands in, are what the checker's ``wording``
    (app.facts.wording) asks of the quote."""
    start, end = trim(text, draft.start, draft.end)
    if end - start < 3:
        return None
    hedges, start = hedge_words(text, draft, start, end, wording)
    quote = text[start:end]
    # The loader demands `hedged` for a quote holding a hedge word, whatever the draft thought.
    if not hedges and HEDGE_WORDS.search(quote):
        hedges = [HEDGE_WORDS.search(quote).group(0)]  # type: ignore[union-attr]
    attributed = overlapping(wording.attributions, start, end)
    outlet = attributed[0].outlet if attributed else None
    certainty = Certainty.hedged if hedges else Certainty.reported if outlet else Certainty.stated
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    if start not in starts:
        return None  # the quote overlaps an earlier copy of itself: no occurrence names it
    occurrence = starts.index(start) + 1 if len(starts) > 1 else None
    try:
        item = EvidenceIn(
            source=source.id,
            quote=quote,
            outlet=outlet,
            certainty=certainty,
            hedge=hedges or None,
            occurrence=occurrence,
        )
    except ValueError:
        return None
    located, problem = locate("proposal", 1, item, source)
    if located is None or problem:
        return None
    return ProposedEvidence(
        source=source.id,
        quote=quote,
        start=located.start,
        end=located.end,
        line=located.line,
        outlet=outlet,
        certainty=certainty,
        hedge=hedges or None,
        occurrence=occurrence,
    )
