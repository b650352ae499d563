"""One article read once: its units, the mentions in each, its wording (the sentences it
attributes to an outlet and its hedged lists, by the checker's rules in app.facts.wording), and
who a clause is about (its actor), with pronouns resolved to what they stand for. The extractors
of each kind of fact work from this."""

import re
from dataclasses import dataclass, field

from app.facts.wording import Wording, wording_of
from app.proposals import cues
from app.proposals.mentions import Mention, Mentions, coordinated
from app.proposals.model import Article
from app.proposals.reference import Reference
from app.proposals.text import Unit, clauses, segment

# The story's fixed parts: Ukraine receives the guarantees, Russia is what they deter. Neither
# takes a role in the coalition.
BENEFICIARY, ADVERSARY = "UA", "RU"
NOT_ACTORS = {BENEFICIARY, ADVERSARY}
# Words a clause may open with and still have no subject of its own ("but is open to").
BARE = frozenset(
    re.findall(
        r"\w+",
        "has have had is are was were been be also already still now then meanwhile "
        "instead however not yet so too only further but and remains remain it",
    )
)
AUX_AFTER = re.compile(
    r"(?:\s+\w+ly)?\s+(?:will|would|shall|has|have|had|is|are|could|may|might|can|must|"
    r"remains?|vowed|pledged|committed|offered|agreed|refused|declined)\b"
)


@dataclass(frozen=True)
class Actor:
    kind: str  # nation | coalition | some_members
    nations: tuple[str, ...] = ()
    group: str | None = None
    mentions: tuple[Mention, ...] = ()
    how: str = ""  # why this actor, for the reasons

    @property
    def start(self) -> int | None:
        return self.mentions[0].start if self.mentions else None


@dataclass
class Reading:
    text: str
    article: Article
    reference: Reference
    units: list[Unit]
    mentions: list[list[Mention]]
    wording: Wording  # its attributions and hedged lists, by the checker's own rules
    clause_spans: list[list[tuple[int, int]]] = field(default_factory=list)

    @classmethod
    def of(cls, article: Article, reference: Reference) -> "Reading":
        text = article.source.text
        units = segment(text)
        finder = Mentions(reference, article.published)
        mentions = [finder.find(text, u.start, u.end) for u in units]
        outlets = tuple(reference.outlet_names())
        wording = wording_of(text, outlets, article.source.publisher)
        spans = [clauses(text, u.start, u.end) for u in units]
        return cls(text, article, reference, units, mentions, wording, spans)

    def words(self, start: int, end: int) -> str:
        return self.text[start:end]

    # --- pronouns --------------------------------------------------------------------------

    def antecedent(self, index: int, pronoun: Mention) -> Mention | None:
        """What a pronoun stands for: the last fitting mention before it in its sentence, or in
        the two sentences before. "it" takes a nation, "they" the coalition, a group or some
        members, "he"/"she" a person."""
        word = pronoun.target
        if word.endswith(("country", "government", "nation")):
            # "his country": the nation of the person last named; "its government": a nation's.
            word = word.split()[0]
            fits = {"person"} if word in {"his", "her"} else {"nation"}
        elif word in {"it", "its"}:
            fits = {"nation"}
        elif word in {"they", "their"}:
            fits = {"coalition", "some_members", "group", "nation"}
        else:
            fits = {"person"}
        for i in range(index, max(-1, index - 3), -1):
            before = [
                m
                for m in self.mentions[i]
                if m.kind in fits and not m.governed and (i < index or m.end <= pronoun.start)
            ]
            if word in {"they", "their"}:
                before = [m for m in before if m.kind != "nation" or self._in_run(i, m)]
            if before:
                return before[-1]
        return None

    def _in_run(self, index: int, mention: Mention) -> bool:
        ms = self.mentions[index]
        return len(coordinated(self.text, ms, ms.index(mention))) > 1

    # --- actors ------------------------------------------------------------------------------

    def actor_of(self, index: int, mention: Mention, how: str) -> Actor | None:
        """The actor a mention names (with the mentions coordinated with it)."""
        if mention.kind == "pronoun":
            target = self.antecedent(index, mention)
            if target is None:
                return None
            found = self.actor_of(index, target, f'"{mention.target}" = ')
            return (
                None
                if found is None
                else Actor(found.kind, found.nations, found.group, (mention,), how + found.how)
            )
        if mention.kind == "coalition":
            return Actor(
                "coalition",
                mentions=(mention,),
                how=f'{how}"{self.words(mention.start, mention.end)}" (the coalition)',
            )
        if mention.kind == "some_members":
            group = f", from group {mention.group}" if mention.group else ""
            return Actor(
                "some_members",
                group=mention.group,
                mentions=(mention,),
                how=f'{how}"{self.words(mention.start, mention.end)}" (some members{group})',
            )
        ms = self.mentions[index]
        run = coordinated(self.text, ms, ms.index(mention)) if mention in ms else [mention]
        groups = [m for m in run if m.kind == "group"]
        if groups and len(run) == 1:
            g = groups[0]
            return Actor(
                "some_members",
                group=g.target,
                mentions=(g,),
                how=f'{how}"{self.words(g.start, g.end)}" (group {g.target}: '
                "its members are not each named)",
            )
        nations = tuple(dict.fromkeys(n for m in run if m.kind != "group" for n in m.nations))
        if not nations:
            return None
        described = ", ".join(f'"{self.words(m.start, m.end)}" ({_via(m)})' for m in run)
        return Actor("nation", nations, mentions=tuple(run), how=how + described)

    def clause_actor(
        self, index: int, start: int, end: int, status_at: int | None, role_at: int
    ) -> Actor | None:
        """Who acts in the clause ``[start, end)``: the nearest subject before its status cue;
        a later subject with a verb of its own ("…that the coalition will…") overrides it."""
        capable = [m for m in self.mentions[index] if start <= m.start < end and not m.governed]
        pivot = status_at if status_at is not None else role_at
        before = [m for m in capable if m.end <= pivot]
        chosen = before[-1] if before else None
        between = [m for m in capable if pivot <= m.start < role_at]
        for m in between:
            if m.kind == "coalition" or AUX_AFTER.match(self.text, m.end):
                chosen = m
        if chosen is None:
            return None
        return self.actor_of(index, chosen, "")

    def is_bare(self, start: int, status_at: int) -> bool:
        """A clause with no subject of its own before its status cue ("but is open to")."""
        words = re.findall(r"[\w’']+", self.text[start:status_at].lower())
        return all(w in BARE for w in words)

    def lead_frame(self, unit: Unit) -> tuple[Actor | None, list[cues.Cue]]:
        """The actor and status cues of a list's lead ("the coalition envisions:")."""
        if unit.lead is None:
            return None, []
        index = next(i for i, u in enumerate(self.units) if u.start == unit.lead.start)
        start, end = self.clause_spans[index][-1]
        found = cues.statuses(self.text, start, end)
        at = found[0].start if found else end
        return self.clause_actor(index, start, end, at, end), found


def _via(m: Mention) -> str:
    if m.kind == "person":
        return f"{m.title or 'leader'}, data/reference/leaders.yaml"
    return {
        "name": "country name",
        "demonym": "demonym",
        "capital": "capital as metonym",
        "seat": "seat of government",
    }.get(m.via, m.via)
