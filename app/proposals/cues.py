"""The domain cues: the words that give a commitment's status, its role, where it happens and
whether it is combat, and the words that negate or hedge them. Hand-written regular
expressions (our vocabulary, not a model's), each with the label a curator sees as a reason."""

import re
from dataclasses import dataclass

from app.facts.wording import HEDGE_WORDS
from app.vocab import Combat, Location, Role, Status


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    value: str  # a Status, Role, Location or Combat value
    words: str  # the words as written
    kind: str = ""  # what sort of cue: "inclusion", "negation", "actor-after", ...


def _compile(table: list[tuple[str, str, str]]) -> list[tuple[re.Pattern[str], str, str]]:
    return [(re.compile(p, re.IGNORECASE), value, kind) for p, value, kind in table]


S = Status
# Status cues. Where two overlap, the longer wins: "will not" over "will", "will be finalized"
# over "will", "force ready to" over "ready to".
STATUS = _compile(
    [
        # ruled out
        (
            r"\b(?:will|would|shall|can|could|does|do|did)\s*(?:not|n[’']t)\b",
            S.ruled_out,
            "negation",
        ),
        (r"\bwon[’']t\b|\bcannot\b|\bwill never\b", S.ruled_out, "negation"),
        (r"\b(?:has |have |had )?rul(?:ed|es|e|ing) out\b", S.ruled_out, ""),
        (r"\brefus(?:e|es|ed|ing)\b|\bdeclin(?:e|es|ed|ing) to\b", S.ruled_out, ""),
        (r"\b(?:rejects?|rejected|oppos(?:es|ed))\b", S.ruled_out, ""),
        (r"\bexclud(?:e|es|ed|ing)\b", S.ruled_out, ""),
        # "Polish troops would remain in Poland": kept at home, not sent.
        (
            r"\b(?:remain|stay)(?:s|ed)? (?:at home|in (?!Ukraine\b)[A-Z]\w+)",
            S.ruled_out,
            "at home",
        ),
        (r"\b(?:has|have|had) no (?:plans?|intention)\b", S.ruled_out, "negation"),
        (r"\bnot (?:going|planning|intending|willing) to\b", S.ruled_out, "negation"),
        # hesitant
        (r"\bhesita(?:nt|ncy|nce|tion|tes?|ted|ting)\b", S.hesitant, ""),
        (
            r"\bcautio(?:n|us|usly|ned)\b|\breluctan(?:t|ce)\b|\bwary\b|\bunwilling\b",
            S.hesitant,
            "",
        ),
        (r"\bs[ck]eptic(?:al|ism)?\b|\breservations\b", S.hesitant, ""),
        (r"\bnot (?:yet )?(?:prepared|ready) to\b", S.hesitant, "negation"),
        (r"\b(?:has|have|had) not (?:committed|pledged|agreed)\b", S.hesitant, "negation"),
        # pending
        (r"\bawait(?:s|ed|ing)?\b|\bpending\b|\bunder negotiation\b", S.pending, ""),
        (
            r"\b(?:will|is|are|yet|still) (?:to )?be finali[sz]ed\b|\bto be finali[sz]ed\b",
            S.pending,
            "",
        ),
        (r"\b(?:yet|still) to be (?:decided|confirmed|agreed)\b", S.pending, ""),
        (
            r"\bnot yet (?:signed|committed|decided|confirmed|agreed|pledged)\b",
            S.pending,
            "negation",
        ),
        (r"\b(?:has|have) not yet\b|\b(?:has|have) (?:yet|still) to\b", S.pending, "negation"),
        (r"\banticipated\b|\bexpected to\b|\bsubject to\b|\bconditional on\b", S.pending, ""),
        # considering
        (
            r"\bconsider(?:s|ed|ing)?\b|\bweigh(?:s|ed|ing)?\b|\bmull(?:s|ed|ing)?\b",
            S.considering,
            "",
        ),
        (
            r"\bexplor(?:e|es|ed|ing)\b|\bdiscuss(?:es|ed|ing)\b|\bstudy(?:ing)?\b",
            S.considering,
            "",
        ),
        (r"\b(?:may|might|could|potentially|possibly)\b", S.considering, "hedge"),
        (r"\bremains? on the table\b|\bin talks\b", S.considering, ""),
        # open to
        (
            r"\bopen to\b|\bwilling to\b|\bprepared to\b|\bready to\b|\bstands? ready\b",
            S.open_to,
            "",
        ),
        (r"\bnot (?:ruled|ruling) out\b", S.open_to, "negation"),
        # pledged
        (r"\bwill\b|\bshall\b", S.pledged, "future"),
        # "Tusk said his country would serve": the future of reported speech (see REPORTED_FUTURE).
        (r"\bwould\b", S.pledged, "would"),
        (r"\bcommit(?:s|ted|ting|ment to)?\b|\bvow(?:s|ed)?\b", S.pledged, ""),
        (r"\bpledg(?:ed|es|ing)\b|\bpledge to\b|\bpromis(?:e|es|ed) to\b", S.pledged, ""),
        (
            r"\bagree(?:s|d)?(?: to)?\b|\boffer(?:s|ed)?\b|\bsigned (?:up|on)(?:to)?\b",
            S.pledged,
            "",
        ),
        (
            r"\b(?:provides|provided|contributes|contributed|deploys|deployed|sends|sent)\b",
            S.pledged,
            "provision",
        ),
        (r"\b(?:supplies|supplied|takes on|took on|has taken on)\b", S.pledged, "provision"),
        (
            r"\b(?:includ(?:e|es|ed|ing)|encompass(?:es|ed)?|envision(?:s|ed)?|envisag(?:e|es|ed))\b",
            S.pledged,
            "inclusion",
        ),
        (
            r"\b(?:cover(?:s|ed|ing)|compris(?:e|es|ed)|consists? of|extends? to)\b",
            S.pledged,
            "inclusion",
        ),
        (
            r"\blimit(?:s|ed)? (?:its|their|his|her) (?:role|contribution|participation) to\b",
            S.pledged,
            "limited",
        ),
        # A force described as ready is formed and waiting, not merely willing.
        (r"\b(?:force|forces|troops)\s+(?:will be\s+)?ready (?:to|for)\b", S.pledged, "inclusion"),
    ]
)
STRENGTH = {S.pledged: 5, S.pending: 4, S.open_to: 3, S.considering: 2, S.hesitant: 1}

R = Role
# Role cues; "actor-after" marks the passive forms whose actor follows ("led by France").
ROLES = _compile(
    [
        (
            r"\b(?:led|spearheaded|headed|chaired|co-led|co-chaired) by\b",
            R.leadership,
            "actor-after",
        ),
        (r"\b(?:co-?)?lead(?:s|ing)? the (?:coalition|force|mission|effort)\b", R.leadership, ""),
        (r"\bleadership of the (?:coalition|force|mission)\b", R.leadership, ""),
        (r"\b(?:ground |combat |peacekeeping |foreign )?troops?\b|\bsoldiers\b", R.troops, ""),
        (r"\bpeacekeep(?:ers|ing)\b|\bboots on the ground\b|\bground forces\b", R.troops, ""),
        (r"\bmilitary presence\b|\bmultinational forces\b", R.troops, ""),
        (
            r"\b(?:deploy(?:ing|ment of)?|send(?:ing)?|station(?:ing)?)\s+(?:\w+\s+){0,2}forces\b",
            R.troops,
            "",
        ),
        (r"\bair policing\b|\bair support\b|\baerial support\b|\bair ?power\b", R.air, ""),
        (r"\bair patrols?\b|\bfighter (?:jets|aircraft)\b|\bair cover\b", R.air, ""),
        (r"\bpolic(?:e|es|ing) (?:the |Ukrainian |Ukraine[’']s )?(?:skies|airspace)\b", R.air, ""),
        (r"\bnaval(?: (?:patrols?|forces?|mission|presence|assets))?\b|\bnavy\b", R.naval, ""),
        (r"\bwarships?\b|\bfrigates?\b|\bminesweep(?:ers|ing)\b|\bmaritime\b", R.naval, ""),
        (r"\bpatrol(?:s|ling)? (?:of |in )?the Black Sea\b|\bBlack Sea patrols?\b", R.naval, ""),
        (r"\btrain(?:ing|ers)?\b|\binstructors\b", R.training, ""),
        (r"\bintelligence(?: sharing)?\b|\breconnaissance\b|\bsurveillance\b", R.intelligence, ""),
        (
            r"\bair[ -]defen[cs]es?\b|\bmissile defen[cs]e\b|\bpatriot (?:systems?|batteries)\b",
            R.air_defense,
            "",
        ),
        (r"\bmonitor(?:ing|s)?\b|\bobservers?\b", R.monitoring, ""),
        (r"\blogistic(?:s|al)(?: (?:support|aid|help))?\b|\bairlift\b", R.logistics, ""),
        (r"\barm(?:ing)? (?:new |its |their )?(?:\w+ )?brigades\b|\bweapons?\b", R.equipment, ""),
        (
            r"\bequipment\b|\bequip(?:ping)?\b|\bmunitions\b|\bammunition\b|\bmilitary aid\b",
            R.equipment,
            "",
        ),
        (r"\bsanctions?(?: enforcement)?\b|\beconomic pressure\b|\bprice cap\b", R.sanctions, ""),
        (r"\bpressure (?:on )?(?:third countries|Russia|Moscow|the Kremlin)\b", R.sanctions, ""),
        (r"\breconstruction\b|\brebuild(?:ing)? (?:Ukraine|the country)\b", R.reconstruction, ""),
        (r"\bdiplomatic efforts?\b|\bdiplomacy\b", R.diplomacy, ""),
        (
            r"\bnon-?combat (?:support|contributions?|roles?|assistance|tasks)\b",
            R.non_combat_support,
            "",
        ),
        (r"\bnon-?military (?:support|assistance)\b", R.non_combat_support, ""),
    ]
)
# "covering land, sea, and air": each element of the triad is a role.
# "on land, at sea or in the air" too.
_PLACE = r"(?:(?:on|at|by|in the|in)\s+)?(land|sea|air)"
_JOIN = r"(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)"
TRIAD = re.compile(rf"\b{_PLACE}{_JOIN}{_PLACE}(?:{_JOIN}{_PLACE})?\b", re.IGNORECASE)
TRIAD_ROLE = {"land": R.troops, "sea": R.naval, "air": R.air}

LOCATIONS = _compile(
    [
        (r"(?<!force )\b(?:inside|in|within|into) Ukraine\b(?![’']s)", Location.inside_ukraine, ""),
        (
            r"\b(?:(?:on|over) )?Ukrainian (?:soil|territory|skies|airspace)\b",
            Location.inside_ukraine,
            "",
        ),
        (
            r"\boutside(?: of)? Ukraine\b|\bbeyond Ukraine[’']s borders\b",
            Location.outside_ukraine,
            "",
        ),
        (r"\bfrom (?:outside Ukraine|neighbou?ring countries)\b", Location.outside_ukraine, ""),
    ]
)
COMBAT = _compile(
    [
        (r"\bnon-?combat\b|\bnot (?:a |in a )?combat\b|\bno combat\b", Combat.non_combat, ""),
        (
            r"(?<!non-)(?<!non)\bcombat (?:troops|forces|role|missions?|operations)\b",
            Combat.combat,
            "",
        ),
    ]
)
# What makes a role the negative of its clause's status: "not troops but logistics",
# "logistics rather than troops", "no ground troops".
ROLE_NEGATOR = re.compile(
    r"\b(?:not|no|nor|rather than|instead of|excluding|except|without|but not)\s+"
    r"(?:[\w’'-]+\s+){0,2}$",
    re.IGNORECASE,
)
# "would" is a status only after a verb of saying; elsewhere it is a conditional, no claim.
SAYING_BEFORE = re.compile(
    r"\b(?:said|says|told|announced|stated|added|confirmed|declared|insisted|promised)\b", re.I
)
EXTRA_HEDGES = re.compile(r"\b(?:might|possibly|likely|is said to|are said to)\b", re.IGNORECASE)


def _longest(cues: list[Cue]) -> list[Cue]:
    """Drop every cue that overlaps a longer one."""
    kept: list[Cue] = []
    for cue in sorted(cues, key=lambda c: (-(c.end - c.start), c.start)):
        if not any(k.start < cue.end and cue.start < k.end for k in kept):
            kept.append(cue)
    return sorted(kept, key=lambda c: c.start)


def _find(
    table: list[tuple[re.Pattern[str], str, str]], text: str, start: int, end: int
) -> list[Cue]:
    return _longest(
        [
            Cue(m.start(), m.end(), value, m.group(0), kind)
            for pattern, value, kind in table
            for m in pattern.finditer(text, start, end)
        ]
    )


def statuses(text: str, start: int, end: int, sentence_start: int | None = None) -> list[Cue]:
    """Status cues of ``text[start:end]``; a "would" counts only after a verb of saying in the
    sentence (which starts at ``sentence_start``)."""
    since = start if sentence_start is None else sentence_start
    return [
        c
        for c in _find(STATUS, text, start, end)
        if c.kind != "would" or SAYING_BEFORE.search(text, since, c.start)
    ]


def roles(text: str, start: int, end: int) -> list[Cue]:
    cues = [
        Cue(m.start(i), m.end(i), TRIAD_ROLE[m.group(i).lower()], m.group(i), "triad")
        for m in TRIAD.finditer(text, start, end)
        for i in (1, 2, 3)
        if m.group(i)
    ]
    return _longest(cues + _find(ROLES, text, start, end))


def locations(text: str, start: int, end: int) -> list[Cue]:
    return _find(LOCATIONS, text, start, end)


def combat(text: str, start: int, end: int) -> list[Cue]:
    return _find(COMBAT, text, start, end)


def role_negated(text: str, since: int, role: Cue) -> str | None:
    """The negating words right before ``role`` (after ``since``), if any."""
    m = ROLE_NEGATOR.search(text[since : role.start])
    return m.group(0).strip() if m else None


def hedges(text: str, start: int, end: int) -> list[str]:
    """Hedging words in ``text[start:end]``, as written, in order."""
    found = [
        (m.start(), m.group(0))
        for pattern in (HEDGE_WORDS, EXTRA_HEDGES)
        for m in pattern.finditer(text, start, end)
    ]
    return list(dict.fromkeys(word for _, word in sorted(found)))
