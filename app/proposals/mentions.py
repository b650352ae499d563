"""Who a passage names: nations (by name, demonym, capital or seat of government), groups of
nations, leaders (resolved by the article's date), the coalition, unnamed "some members", and
pronouns. Each mention keeps its exact span and says how it was recognised."""

import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import cached_property

from rapidfuzz import fuzz, process

from app.proposals.reference import NameEntry, Reference, names_pattern

# After one of these words a nation is an object or a place ("commitments to Kyiv", "a summit
# in Paris", "sanctions targeting Beijing"), not who acts. "by" and "from" are left out on
# purpose: "led by France", "support from the United States" name the actor.
GOVERNING = frozenset(
    re.findall(
        r"\w+",
        "in at to into for on onto over against targeting toward towards with of about "
        "aiding than across within inside outside near behind",
    )
)
TITLE = re.compile(
    r"\s+(?:President|Prime Minister|Premier|Chancellor|Foreign Minister|Defen[cs]e Minister|"
    r"Foreign Secretary|Defen[cs]e Secretary|Secretary of State|envoy|ambassador)\s+[A-Z]"
)
COALITION = re.compile(
    r"\b(?:(?:[Tt]he|[Tt]his|[Tt]hat|[Oo]ur|[Aa])\s+)?(?:[\w’']+[’']s\s+)?"
    r"(?:Coalition of the Willing|coalition|reassurance force|multinational force|force|"
    r"(?:security\s+)?guarantees|pledge|alliance|security package|initiative|"
    r"(?:(?:these|those|all|the|[Tt]he)\s+)?(?:\d+|[Tt]wenty-six)[ -](?:nations?|countries|members)"
    r"(?:\s+coalition)?|(?:these|those|all\s+the|participating)\s+(?:nations|countries|allies|"
    r"partners|members|states))\b"
    r"|\b[Ll]eaders\b"
)
SOME_MEMBERS = re.compile(
    r"\b(?:[Ss]ome|[Ss]everal|[Mm]any|[Oo]ther|[Cc]ertain|[Aa] few|[Aa] number of|[Mm]ost|"
    r"[Ss]maller)(?:\s+(?:coalition|European|global|member|partner|allied|other))?\s+"
    r"(?:nations|countries|members|partners|allies|states|players|governments)\b"
    r"|\b[Oo]thers\b"
)
PARTITIVE = re.compile(r"\s+(?:from|in|of)\s+(?:the\s+)?$")
PRONOUN = re.compile(
    r"\b(?:[Hh]is|[Hh]er|[Tt]heir|[Ii]ts) (?:country|government|nation)\b"
    r"|\b(?:[Ii]t|[Ii]ts|[Tt]hey|[Tt]heir|[Hh]e|[Hh]is|[Ss]he|[Hh]er)\b"
)
WORD = re.compile(r"[\w’'.-]+")
CAPITALISED = re.compile(r"\b[A-Z][a-z]{4,}\b")
FUZZY_CUTOFF = 86  # rapidfuzz ratio: "Zelenskiy" ~ "Zelenskyy", not "Macro" ~ "Macron"
PRIORITY = {"name": 0, "demonym": 1, "seat": 2, "capital": 3, "group": 4, "leader": 5}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  # nation | group | person | coalition | some_members | pronoun
    target: str  # nation code, group id, person's name, or the words as written
    via: (
        str  # name | demonym | capital | seat | group | leader | fuzzy | coalition | some | pronoun
    )
    nations: tuple[str, ...] = ()  # the nation(s) it stands for
    governed: bool = False  # an object or a place, not an actor
    title: str | None = None  # a person's office on the article's date
    group: str | None = None  # some_members "from Asia-Pacific": the group they come from

    @property
    def plural(self) -> bool:
        return self.kind in {"group", "coalition", "some_members"} or self.target.lower() in {
            "they",
            "their",
        }


class Mentions:
    """The mention finder of one run: the reference's names compiled once."""

    def __init__(self, reference: Reference, published: dt.date | None) -> None:
        self.reference = reference
        self.published = published
        self.by_surface: dict[str, NameEntry] = {}
        for entry in sorted(reference.names, key=lambda e: PRIORITY[e.via]):
            self.by_surface.setdefault(entry.surface, entry)
        surnames = [
            e.surface for e in reference.names if e.kind == "person" and " " not in e.surface
        ]
        self.surnames = sorted(set(surnames))
        # "Kyiv Post", "Washington Post": an outlet's name names no nation.
        outlets = sorted({n for n, _ in reference.outlet_names()}, key=len, reverse=True)
        self.outlet_pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, outlets)) + r")\b")

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return names_pattern(self.reference.names)

    def _governed(self, text: str, start: int) -> bool:
        before = WORD.findall(text[max(0, start - 30) : start])
        return bool(before) and before[-1].lower() in GOVERNING

    def _person(self, start: int, end: int, name: str, via: str, text: str) -> Mention:
        offices = self.reference.offices_of(name, self.published)
        nations = tuple(dict.fromkeys(o.nation for o in offices if o.nation))[:1]
        return Mention(
            start,
            end,
            "person",
            name,
            via,
            nations,
            governed=self._governed(text, start),
            title=offices[0].office if offices else None,
        )

    def find(self, text: str, start: int, end: int) -> list[Mention]:
        """Every mention in ``text[start:end]``, in order, none overlapping another."""
        found: list[Mention] = []
        taken = [(m.start(), m.end()) for m in self.outlet_pattern.finditer(text, start, end)]
        for m in self.pattern.finditer(text, start, end):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            entry = self.by_surface[m.group("name")]
            if entry.kind == "person":
                found.append(self._person(m.start(), m.end(), entry.target, "leader", text))
                continue
            if entry.kind == "group":
                members = tuple(self.reference.groups[entry.target].members)
                found.append(
                    Mention(
                        m.start(),
                        m.end(),
                        "group",
                        entry.target,
                        "group",
                        members,
                        governed=self._governed(text, m.start()),
                    )
                )
                continue
            # "French President Emmanuel Macron": the nation is the person's, who acts.
            titled = entry.via in {"demonym", "name"} and TITLE.match(text, m.end(), end)
            governed = bool(titled) or self._governed(text, m.start())
            found.append(
                Mention(
                    m.start(),
                    m.end(),
                    "nation",
                    entry.target,
                    entry.via,
                    (entry.target,),
                    governed=governed,
                )
            )
        taken += [(f.start, f.end) for f in found]
        found += self._fuzzy_people(text, start, end, taken)
        taken += [(f.start, f.end) for f in found]
        for pattern, kind in ((SOME_MEMBERS, "some_members"), (COALITION, "coalition")):
            for m in pattern.finditer(text, start, end):
                if not any(s < m.end() and m.start() < e for s, e in taken):
                    found.append(self._collective(text, m, kind, end))
                    taken.append((m.start(), m.end()))
        for m in PRONOUN.finditer(text, start, end):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                found.append(
                    Mention(
                        m.start(),
                        m.end(),
                        "pronoun",
                        m.group(0).lower(),
                        "pronoun",
                        governed=self._governed(text, m.start()),
                    )
                )
        partitive = {(m.end, m.group) for m in found if m.kind == "some_members" and m.group}
        found = [
            replace(m, governed=True)
            if m.kind == "group"
            and any(0 < m.start - e <= 12 and g == m.target for e, g in partitive)
            else m
            for m in found
        ]
        return sorted(found, key=lambda f: f.start)

    def _fuzzy_people(
        self, text: str, start: int, end: int, taken: list[tuple[int, int]]
    ) -> list[Mention]:
        """Leaders' surnames spelt another way ("Zelenskiy"), by edit distance."""
        people: list[Mention] = []
        for m in CAPITALISED.finditer(text, start, end):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            best = process.extractOne(
                m.group(0), self.surnames, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if best is not None:
                person = self.by_surface[best[0]].target
                people.append(self._person(m.start(), m.end(), person, "fuzzy", text))
        return people

    def _collective(self, text: str, m: re.Match[str], kind: str, end: int) -> Mention:
        mention = Mention(
            m.start(),
            m.end(),
            kind,
            m.group(0),
            "coalition" if kind == "coalition" else "some",
            governed=self._governed(text, m.start()),
        )
        if kind == "some_members":
            # "other global players from Asia-Pacific": some members, of a named group.
            tail = self.pattern.match(text, m.end() + len(_gap(text, m.end(), end)), end)
            if tail is not None and _gap(text, m.end(), end):
                entry = self.by_surface[tail.group("name")]
                if entry.kind == "group":
                    mention = replace(mention, group=entry.target)
        return mention


def _gap(text: str, at: int, end: int) -> str:
    """The " from the " between a collective noun and a group's name, if that is what follows."""
    m = re.match(r"\s+(?:from|in|of)\s+", text[at:end])
    return m.group(0) if m else ""


def coordinated(text: str, mentions: list[Mention], index: int) -> list[Mention]:
    """The mentions joined to ``mentions[index]`` by commas and "and"/"or" ("Germany and
    Italy", "Canada, Australia, and Japan"), in order."""
    joiner = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)\s*")
    run = [mentions[index]]
    i = index
    while i > 0 and mentions[i - 1].kind in {"nation", "group", "person"}:
        if not joiner.fullmatch(text[mentions[i - 1].end : mentions[i].start]):
            break
        i -= 1
        run.insert(0, mentions[i])
    i = index
    while i + 1 < len(mentions) and mentions[i + 1].kind in {"nation", "group", "person"}:
        if not joiner.fullmatch(text[mentions[i].end : mentions[i + 1].start]):
            break
        i += 1
        run.append(mentions[i])
    return run
