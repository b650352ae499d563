"""Commitment drafts: in each clause, a role cue, the status its wording gives (never stronger:
the weakest cue before it wins, a negation rules it out), and who acts: a named nation, the
coalition as a whole, or some members. A task whose clause names no nation stays the
coalition's; nothing is handed to a nation named elsewhere."""

from dataclasses import replace

from app.proposals import cues
from app.proposals.cues import STRENGTH, Cue
from app.proposals.model import Draft
from app.proposals.reading import NOT_ACTORS, Actor, Reading
from app.vocab import ActorKind, CoalitionScope, Combat, Location, Status


def _status(
    reading: Reading, clause_start: int, found: list[Cue], role: Cue, inherited: bool
) -> tuple[Status | None, list[str]]:
    """The status the wording gives ``role``: ruled out under a negation, else the weakest of
    the cues before it (those after it when none stands before)."""
    before = [c for c in found if c.end <= role.start] if not inherited else found
    governing = before or [c for c in found if c.start >= role.end]
    reasons: list[str] = []
    since = max([clause_start, *(c.end for c in before)]) if not inherited else clause_start
    negator = cues.role_negated(reading.text, since, role)
    ruled = [c for c in governing if c.value == Status.ruled_out]
    if ruled:
        status = Status.ruled_out
        reasons.append(f'status: "{ruled[-1].words}" -> ruled_out')
    elif negator:
        status = Status.ruled_out
        reasons.append(f'status: "{negator}" before the role -> ruled_out (negation)')
    else:
        positive = [c for c in governing if c.value in STRENGTH]
        if not positive:
            return None, []
        weakest = min(positive, key=lambda c: STRENGTH[Status(c.value)])
        status = Status(weakest.value)
        kind = f", {weakest.kind}" if weakest.kind else ""
        reasons.append(f'status: "{weakest.words}" -> {status.value}{kind}')
        if len(positive) > 1:
            others = ", ".join(f'"{c.words}"' for c in positive if c is not weakest)
            reasons.append(f"also {others}: the weakest wording wins")
    if inherited:
        reasons[-1] += " (from the clause or list lead it continues)"
    return status, reasons


def _owned(role_cues: list[Cue], cue: Cue) -> Cue | None:
    """The role a location or combat cue belongs to: the nearest before it, else after it."""
    before = [r for r in role_cues if r.start <= cue.start]
    if before:
        return before[-1]
    after = [r for r in role_cues if r.start >= cue.end]
    return after[0] if after else None


def _fields(actor: Actor, nation: str | None, role: Cue, status: Status) -> dict[str, object]:
    if actor.kind == "nation":
        return {"actor": ActorKind.nation, "nation": nation, "role": role.value, "status": status}
    scope = CoalitionScope.whole if actor.kind == "coalition" else CoalitionScope.some_members
    fields: dict[str, object] = {
        "actor": ActorKind.coalition,
        "coalition_scope": scope,
        "role": role.value,
        "status": status,
    }
    if actor.group and scope is CoalitionScope.some_members:
        fields["group"] = actor.group
    return fields


def _confidence(actor: Actor, role: Cue, own_status: bool, status_kind: str) -> float:
    score = 0.55
    score += 0.15 if own_status else 0.05
    score += 0.1 if role.kind != "triad" else 0.0
    if actor.how.startswith('"it') or actor.how.startswith('"they'):
        score -= 0.05
    if "continues" in actor.how or "lead" in actor.how:
        score -= 0.05
    if status_kind in {"provision", "inclusion"}:
        score -= 0.05
    return round(min(0.95, max(0.05, score)), 2)


def commitment_drafts(reading: Reading) -> list[Draft]:
    text = reading.text
    drafts: list[Draft] = []
    for index, unit in enumerate(reading.units):
        if unit.heading:
            continue
        lead_actor, lead_status = reading.lead_frame(unit)
        previous: tuple[Actor | None, list[Cue]] = (None, [])
        for start, end in reading.clause_spans[index]:
            own = cues.statuses(text, start, end, unit.start)
            found = own or previous[1] or lead_status
            roles = cues.roles(text, start, end)
            places = cues.locations(text, start, end)
            combats = cues.combat(text, start, end)
            clause_actor = None
            if own:
                clause_actor = reading.clause_actor(index, start, end, own[0].start, end)
            for role in roles:
                actor, quote_start, quote_end = None, start, end
                status: Status | None
                if role.kind == "actor-after":
                    after = [
                        m
                        for m in reading.mentions[index]
                        if role.end <= m.start < end and m.kind in {"nation", "person", "group"}
                    ]
                    if after:
                        actor = reading.actor_of(index, after[0], "")
                        quote_end = max(m.end for m in (actor.mentions if actor else ()))
                    status, why = Status.pledged, [f'status: "{role.words}" -> pledged']
                else:
                    status_at = own[0].start if own else None
                    actor = reading.clause_actor(index, start, end, status_at, role.start)
                    bare = not own or reading.is_bare(start, own[0].start)
                    if actor is None and previous[0] is not None and bare:
                        actor = replace(
                            previous[0], how=f"{previous[0].how} (continues the clause before)"
                        )
                    if actor is None and lead_actor is not None:
                        actor = replace(lead_actor, how=f"{lead_actor.how} (the list's lead)")
                    status, why = _status(reading, start, found, role, not own)
                if actor is None or status is None:
                    continue
                if actor.kind == "nation":
                    nations = [n for n in actor.nations if n not in NOT_ACTORS]
                    if len(nations) < len(actor.nations):
                        continue  # Ukraine or Russia as the subject: not a coalition role
                else:
                    nations = [None]  # type: ignore[list-item]
                if actor.start is not None and unit.start <= actor.start < role.start:
                    quote_start = actor.start
                location = next(
                    (Location(c.value) for c in places if _owned(roles, c) is role),
                    Location.unspecified,
                )
                fight = next(
                    (Combat(c.value) for c in combats if _owned(roles, c) is role),
                    Combat.unspecified,
                )
                status_kind = next((c.kind for c in found if c.value == status), "")
                reasons = [f"actor: {actor.how}", f'role: "{role.words}" -> {role.value}', *why]
                if location is not Location.unspecified:
                    reasons.append(f"location: {location.value}")
                if fight is not Combat.unspecified:
                    reasons.append(f"combat: {fight.value}")
                if status_kind == "limited":
                    reasons.append("narrows its role: refines what it offered before")
                for nation in nations:
                    fields = _fields(actor, nation, role, status)
                    fields |= {"location": location, "combat": fight}
                    drafts.append(
                        Draft(
                            kind="commitment",
                            fields=fields,
                            start=quote_start,
                            end=quote_end,
                            unit=unit,
                            confidence=_confidence(actor, role, bool(own), status_kind),
                            reasons=list(reasons),
                            hedge_from=start,
                            mentions=list(actor.mentions),
                        )
                    )
            if own:
                previous = (clause_actor or previous[0], own)
    return drafts
