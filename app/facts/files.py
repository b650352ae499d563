"""Reading and verifying the curated fact files (see data/FACTS.md). No database here: this is
what `pledgedb check` runs, and what `pledgedb seed` runs before it writes anything."""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.facts.wording import (
    HEDGE_WORDS,
    overlapping,
    within,
    wording_of,
)
from app.vocab import (
    ActorKind,
    Basis,
    Certainty,
    CoalitionScope,
    Combat,
    ConditionKind,
    ConditionNature,
    EventKind,
    Location,
    MembershipStatus,
    Part,
    Role,
    StatementMode,
    Status,
)

HEDGE_WINDOW = 400  # characters before a quote in which its hedge may stand
M = TypeVar("M", bound=BaseModel)
FACT_FILES = ("events", "memberships", "commitments", "conditions", "statements")
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class FactsError(Exception):
    """The fact files cannot be loaded; ``problems`` names each fact and quote at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _without_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'value'}: NUL characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _without_nul(item, f"{where}[{i}]")


class Strict(BaseModel):
    """The bodies the API and the data files take: no unknown field, and no NUL character in
    any text (PostgreSQL text cannot hold one; refused alike on both backends)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _without_nul(data, "")
        return data


# --- the file formats ------------------------------------------------------------------------


class EvidenceIn(Strict):
    source: str = Field(
        description="Id of the stored source the quote comes from.", examples=["article-a"]
    )
    quote: str = Field(
        description="Verbatim words of the source (curly quotes and dashes included); "
        "refused unless found.",
        examples=["Italy has already clarified that it will not commit ground troops"],
        min_length=3,
    )
    outlet: str | None = Field(
        default=None,
        description='Id of the outlet the source attributes this to ("According to Reuters").',
        examples=["reuters"],
    )
    certainty: Certainty = Field(
        description="stated, reported (needs outlet) or hedged (needs hedge)."
    )
    # One hedge, or several where the wording stacks them ("reportedly … potentially").
    hedge: str | list[str] | None = Field(
        default=None,
        description="With hedged: the hedging word(s) as written, in the quote or the 400 "
        "characters before it.",
        examples=["reportedly"],
    )
    occurrence: int | None = Field(
        description="Which occurrence (1-based), when the quote occurs more than once.",
        default=None,
        ge=1,
    )

    @model_validator(mode="after")
    def certainty_fits(self) -> Self:
        if self.certainty is Certainty.reported and not self.outlet:
            raise ValueError("certainty 'reported' needs the outlet the article attributes it to")
        if self.certainty is Certainty.hedged and not self.hedge:
            raise ValueError("certainty 'hedged' needs the hedge word(s) as written")
        if self.certainty is Certainty.stated and (self.outlet or self.hedge):
            raise ValueError("certainty 'stated' takes no outlet or hedge (use reported/hedged)")
        if self.hedge and self.certainty is not Certainty.hedged:
            raise ValueError("a hedge is given, so certainty must be 'hedged'")
        return self

    @property
    def hedges(self) -> list[str]:
        if self.hedge is None:
            return []
        return [self.hedge] if isinstance(self.hedge, str) else list(self.hedge)


class FactBody(Strict):
    """What every fact states, whether written in a file (with its id) or through the API
    (which assigns the id)."""

    summary: str = Field(
        description="One sentence in your words that says no more than the evidence.",
        min_length=3,
        max_length=2000,
    )
    evidence: list[EvidenceIn] = Field(
        description="One or more verbatim quotes supporting the fact.", min_length=1, max_length=50
    )


class FactIn(FactBody):
    id: str = Field(pattern=SLUG, max_length=80)


class Participant(Strict):
    name: str
    nation: str | None = None


class EventFields(FactBody):
    kind: EventKind
    name: str
    date: dt.date | None
    place: str | None = None
    pledging_nation_count: int | None = Field(default=None, ge=1)
    participants: list[Participant] = []


class MembershipFields(FactBody):
    nation: str = Field(
        description="ISO 3166-1 alpha-2 code; a nation new to the data is added from ISO data.",
        examples=["NL"],
    )
    status: MembershipStatus = Field(description="member, potential or non_member.")
    part: Part = Field(description="guarantor, beneficiary, adversary or third_country.")
    basis: Basis = Field(description="named, implied, or inferred_from_group (then give group).")
    group: str | None = Field(
        default=None,
        description="With inferred_from_group: the group id (data/reference/groups.yaml).",
        examples=["nordic-states"],
    )

    @model_validator(mode="after")
    def group_iff_inferred(self) -> Self:
        if (self.basis is Basis.inferred_from_group) != (self.group is not None):
            raise ValueError("'group' is given exactly when basis is inferred_from_group")
        return self


class CommitmentFields(FactBody):
    actor: ActorKind = Field(
        description="nation (give nation) or coalition (give coalition_scope)."
    )
    nation: str | None = Field(
        default=None, description="With actor nation: its alpha-2 code.", examples=["IT"]
    )
    coalition_scope: CoalitionScope | None = Field(
        default=None,
        description="With actor coalition: whole (the force as a whole) or some_members "
        "(members the source does not name).",
    )
    role: Role = Field(description="Role from the vocabulary (GET /roles).", examples=["training"])
    status: Status = Field(
        description="pledged, open_to, considering, pending, hesitant or ruled_out."
    )
    location: Location = Field(description="inside_ukraine, outside_ukraine or unspecified.")
    combat: Combat = Field(description="combat, non_combat or unspecified.")
    group: str | None = Field(
        default=None,
        description="With some_members: the group the unnamed members come from.",
        examples=["asia-pacific"],
    )
    exclusive: bool = Field(
        default=False,
        description="With actor nation: the source limits the nation's role to its exclusive "
        "commitments ('has limited its role to training and monitoring'), so the nation "
        "inherits no coalition commitment in another role.",
    )

    @model_validator(mode="after")
    def actor_fits(self) -> Self:
        if self.actor is ActorKind.nation and (not self.nation or self.coalition_scope):
            raise ValueError("actor 'nation' needs 'nation' and takes no 'coalition_scope'")
        if self.actor is ActorKind.coalition and (self.nation or not self.coalition_scope):
            raise ValueError("actor 'coalition' needs 'coalition_scope' and takes no 'nation'")
        if self.group is not None and self.coalition_scope is not CoalitionScope.some_members:
            raise ValueError("'group' names where unnamed members come from: some_members only")
        if self.exclusive and self.actor is not ActorKind.nation:
            raise ValueError("'exclusive' limits a nation's own role: actor nation only")
        if self.exclusive and self.status in (Status.hesitant, Status.ruled_out):
            raise ValueError("'exclusive' names what the nation does: not hesitant or ruled_out")
        return self


class ConditionFields(FactBody):
    kind: ConditionKind = Field(
        description="ceasefire, ground_conditions, rules_of_engagement, parliamentary_approval, "
        "us_engagement or russian_opposition."
    )
    nature: ConditionNature = Field(description="precondition (must happen first) or obstacle.")
    nation: str | None = Field(
        default=None,
        description="The nation whose condition or obstacle it is, if any.",
        examples=["DE"],
    )
    gates: list[str] = Field(default=[], description="Ids of the commitments this condition gates.")


class StatementFields(FactBody):
    speaker: str = Field(
        min_length=2,
        max_length=100,
        description="Who spoke, as the source names them (must occur in a source).",
        examples=["Emmanuel Macron"],
    )
    speaker_title: str | None = Field(
        default=None, description="The speaker's office.", examples=["President of France"]
    )
    speaker_nation: str | None = Field(
        default=None, description="The speaker's nation (alpha-2).", examples=["FR"]
    )
    mode: StatementMode = Field(
        description="direct (their own words, in quotation marks) or reported (paraphrase)."
    )
    text: str = Field(
        description="The words or the paraphrase, verbatim; must lie inside one of the quotes.",
        min_length=2,
    )
    topic: str | None = Field(
        description="What the words are about (a slug), to compare sources.",
        examples=["reaction-to-pledge"],
        default=None,
        pattern=SLUG,
        max_length=80,
    )
    event: str | None = Field(
        default=None, description="Id of the event, if the source places the words at one."
    )


class EventIn(FactIn, EventFields):
    pass


class MembershipIn(FactIn, MembershipFields):
    pass


class CommitmentIn(FactIn, CommitmentFields):
    pass


class ConditionIn(FactIn, ConditionFields):
    pass


class StatementIn(FactIn, StatementFields):
    pass


class SourceIn(Strict):
    id: str = Field(pattern=SLUG)
    title: str
    lines: tuple[int, int]
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    note: str | None = None


class OutletIn(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    url: str | None = None


class SourcesFile(Strict):
    document: str
    sources: list[SourceIn]
    outlets: list[OutletIn]


class GroupIn(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    members: list[str]
    source: str


class SourcedList(Strict):
    source: str
    members: list[str]


class SourcedRegions(Strict):
    source: str
    members: dict[str, list[str]]


class NationsReference(Strict):
    as_of: dt.date
    nato: SourcedList
    eu: SourcedList
    regions: SourcedRegions


FACT_MODELS: dict[str, type[FactIn]] = {
    "events": EventIn,
    "memberships": MembershipIn,
    "commitments": CommitmentIn,
    "conditions": ConditionIn,
    "statements": StatementIn,
}


# --- what a verified load produces -----------------------------------------------------------


@dataclass(frozen=True)
class LocatedEvidence:
    fact_id: str
    position: int
    source_id: str
    quote: str
    start: int
    end: int
    line: int
    outlet_id: str | None
    certainty: Certainty
    hedge: str | None


@dataclass(frozen=True)
class SourceText:
    spec: SourceIn
    document: str
    document_sha256: str
    start_char: int
    end_char: int
    text: str


@dataclass(frozen=True)
class NationRef:
    code: str
    alpha3: str
    name: str
    official_name: str | None
    nato: bool
    eu: bool
    region: str


@dataclass
class Dataset:
    sources: list[SourceText]
    outlets: list[OutletIn]
    groups: dict[str, GroupIn]
    reference: NationsReference
    nations: list[NationRef]
    events: list[EventIn] = field(default_factory=list)
    memberships: list[MembershipIn] = field(default_factory=list)
    commitments: list[CommitmentIn] = field(default_factory=list)
    conditions: list[ConditionIn] = field(default_factory=list)
    statements: list[StatementIn] = field(default_factory=list)
    evidence: list[LocatedEvidence] = field(default_factory=list)

    def facts(self) -> list[FactIn]:
        return [*self.events, *self.memberships, *self.commitments, *self.conditions,
                *self.statements]  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "outlets": len(self.outlets),
            "nations": len(self.nations),
            "events": len(self.events),
            "memberships": len(self.memberships),
            "commitments": len(self.commitments),
            "conditions": len(self.conditions),
            "statements": len(self.statements),
            "evidence": len(self.evidence),
        }


# --- loading ---------------------------------------------------------------------------------


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Under YAML 1.1 rules Norway's code ``NO`` (and
    ``yes``, ``on``, ``off``) would load as booleans."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)  # noqa: S506
    except FileNotFoundError as exc:
        raise FactsError([f"{path}: file not found"]) from exc
    except yaml.YAMLError as exc:
        raise FactsError([f"{path}: not valid YAML: {exc}"]) from exc


def _validation_problems(where: str, exc: ValidationError) -> list[str]:
    return [
        f"{where}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
        for err in exc.errors()
    ]


def _parse(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactsError(_validation_problems(where, exc)) from exc


def read_document(data_dir: Path, name: str) -> tuple[str, str]:
    """The document's text and sha256, refusing a file that differs from its recorded hash."""
    path = data_dir / name
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    recorded_file = data_dir / f"{name}.sha256"
    recorded = recorded_file.read_text(encoding="ascii").split()[0]
    if actual != recorded:
        raise FactsError(
            [
                f"{path}: sha256 {actual} differs from {recorded} in {recorded_file.name}: "
                "the seed document must not be edited"
            ]  # fmt: skip
        )
    return raw.decode("utf-8"), actual


def _cut_sources(spec: SourcesFile, document: str, sha256: str) -> list[SourceText]:
    lines = document.splitlines(keepends=True)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    result = []
    for src in spec.sources:
        first, last = src.lines
        if not 1 <= first <= last <= len(lines):
            raise FactsError(
                [f"sources.yaml: {src.id}: lines {first}-{last} outside 1-{len(lines)}"]
            )
        start, end = line_starts[first - 1], line_starts[last]
        result.append(SourceText(src, spec.document, sha256, start, end, document[start:end]))
    return result


def nation_ref(code: str, ref: NationsReference) -> NationRef:
    """ISO data from pycountry plus alliance and region from the reference file."""
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        raise FactsError([f"nation {code!r} is not an ISO 3166-1 alpha-2 code"])
    region = next((r for r, members in ref.regions.members.items() if code in members), None)
    if region is None:
        raise FactsError([f"nation {code}: no region in reference/nations.yaml"])
    return NationRef(
        code=code,
        alpha3=country.alpha_3,
        name=getattr(country, "common_name", None) or country.name,
        official_name=getattr(country, "official_name", None),
        nato=code in ref.nato.members,
        eu=code in ref.eu.members,
        region=region,
    )


@dataclass(frozen=True)
class SourceRef:
    """What evidence is checked against: a source's id, its text, and where it starts in its
    document (1 for a text registered on its own)."""

    id: str
    text: str
    first_line: int = 1


def locate(
    fact_id: str, position: int, ev: EvidenceIn, source: SourceRef
) -> tuple[LocatedEvidence | None, str | None]:
    """Find a quote's offsets in its source; or say, naming the fact and quote, why not."""
    text = source.text
    starts = [m.start() for m in re.finditer(re.escape(ev.quote), text)]
    name = f"fact {fact_id!r}, evidence {position}"
    if not starts:
        return None, f"{name}: quote not found verbatim in {source.id}: {ev.quote!r}"
    if ev.occurrence is None and len(starts) > 1:
        return None, (
            f"{name}: quote occurs {len(starts)} times in {source.id}; "
            f"say which with 'occurrence': {ev.quote!r}"
        )
    index = (ev.occurrence or 1) - 1
    if index >= len(starts):
        return None, f"{name}: quote occurs only {len(starts)} time(s): {ev.quote!r}"
    start = starts[index]
    end = start + len(ev.quote)
    hedge_word = HEDGE_WORDS.search(ev.quote)
    if hedge_word and ev.certainty is not Certainty.hedged:
        return None, f"{name}: quote says {hedge_word[0]!r}, so it must be hedged: {ev.quote!r}"
    window = text[max(0, start - HEDGE_WINDOW) : end]
    for hedge in ev.hedges:
        if hedge not in window:
            return None, (
                f"{name}: hedge {hedge!r} is neither in the quote nor in the "
                f"{HEDGE_WINDOW} characters before it: {ev.quote!r}"
            )
    line = source.first_line + text.count("\n", 0, start)
    located = LocatedEvidence(
        fact_id, position, source.id, ev.quote, start, end, line, ev.outlet,
        ev.certainty, ", ".join(ev.hedges) or None,
    )  # fmt: skip
    return located, None


@dataclass
class References:
    """What facts may refer to: the world they are checked against (the files, or the
    database plus the batch being written)."""

    sources: dict[str, SourceRef]
    outlets: dict[str, str]  # id -> name, as the articles write it
    groups: dict[str, GroupIn]
    membership_of: dict[str, str]  # nation code -> membership fact id
    events: set[str]
    commitments: set[str]
    # nation code -> its retracted membership fact: a nation has one membership fact, ever.
    retracted_membership_of: dict[str, str] = field(default_factory=dict)

    def all_text(self) -> str:
        return "\n".join(s.text for s in self.sources.values())


def verify_facts(facts: list[FactIn], refs: References) -> list[LocatedEvidence]:
    """Locate every quote and check every reference; raise FactsError listing all problems."""
    problems: list[str] = []
    located_all: list[LocatedEvidence] = []
    seen: set[str] = set()
    for fact in facts:
        if fact.id in seen:
            problems.append(f"fact {fact.id!r}: id used twice")
        seen.add(fact.id)
        for position, ev in enumerate(fact.evidence, start=1):
            source = refs.sources.get(ev.source)
            if source is None:
                problems.append(f"fact {fact.id!r}, evidence {position}: no source {ev.source!r}")
                continue
            if ev.outlet is not None and ev.outlet not in refs.outlets:
                problems.append(f"fact {fact.id!r}, evidence {position}: no outlet {ev.outlet!r}")
                continue
            located, problem = locate(fact.id, position, ev, source)
            if problem:
                problems.append(problem)
            elif located:
                located_all.append(located)
                problems.extend(_wording_problems(fact.id, position, ev, located, source, refs))
        problems.extend(_status_problems(fact))
    problems.extend(_check_references(facts, refs))
    if problems:
        raise FactsError(problems)
    return located_all


def _wording_problems(
    fact_id: str,
    position: int,
    ev: EvidenceIn,
    at: LocatedEvidence,
    source: SourceRef,
    refs: References,
) -> list[str]:
    """Evidence is never more certain than its words: a quote in a sentence the source
    attributes to an outlet (or one that goes on with it) is that outlet's report, and an item
    of a list under a hedged lead-in ("the group reportedly involves:") is hedged."""
    name = f"fact {fact_id!r}, evidence {position}"
    wording = wording_of(source.text, tuple(sorted(refs.outlets.items())))
    problems = []
    attributed = overlapping(wording.attributions, at.start, at.end)
    if attributed and ev.outlet not in {a.outlet for a in attributed}:
        a = attributed[0]
        problems.append(
            f"{name}: the quote stands in a sentence {source.id} attributes to "
            f"{refs.outlets[a.outlet]} ({a.cue!r}): give outlet {a.outlet!r} and certainty "
            f"reported (or hedged): {ev.quote!r}"
        )
    hedges = {h.lower() for h in ev.hedges}
    for listed in within(wording.hedged_lists, at.start, at.end):
        if listed.hedge.lower() not in hedges:
            problems.append(
                f"{name}: the quote is an item of a list whose lead-in says {listed.hedge!r}: "
                f"mark it hedged with that hedge: {ev.quote!r}"
            )
    return problems


def _status_problems(fact: FactIn) -> list[str]:
    """A status never says more than the wording: `pledged` needs evidence that is not
    hedged ("may contribute", "envisions" and "anticipated" are no pledges)."""
    if (
        isinstance(fact, CommitmentFields)
        and fact.status is Status.pledged
        and all(ev.certainty is Certainty.hedged for ev in fact.evidence)
    ):
        return [
            f"fact {fact.id!r}: status pledged, but every quote is hedged "
            f"({', '.join(repr(h) for ev in fact.evidence for h in ev.hedges)}): use "
            "considering, open_to or pending, as the wording says"
        ]
    return []


def _check_references(facts: list[FactIn], refs: References) -> list[str]:
    problems: list[str] = []
    owners = dict(refs.membership_of)
    for m in (f for f in facts if isinstance(f, MembershipIn)):
        withdrawn = refs.retracted_membership_of.get(m.nation, m.id)
        if withdrawn != m.id:
            problems.append(
                f"nation {m.nation}: its membership fact {withdrawn!r} was retracted, and a "
                "nation has one membership fact; it cannot be given another"
            )
        elif owners.get(m.nation, m.id) != m.id:
            problems.append(f"nation {m.nation}: more than one membership fact ({m.id!r})")
        owners[m.nation] = m.id
    nations = set(owners)
    events = refs.events | {f.id for f in facts if isinstance(f, EventIn)}
    commitments = refs.commitments | {f.id for f in facts if isinstance(f, CommitmentIn)}
    all_text = refs.all_text()

    def nation_ok(fact: FactIn, code: str | None, what: str) -> None:
        if code is not None and code not in nations:
            problems.append(f"fact {fact.id!r}: {what} {code!r} has no membership fact")

    def group_ok(fact: FactIn, group: str | None) -> None:
        if group is not None and group not in refs.groups:
            problems.append(f"fact {fact.id!r}: no group {group!r} in reference/groups.yaml")

    for fact in facts:
        if isinstance(fact, MembershipIn):
            group_ok(fact, fact.group)
            if fact.group in refs.groups and fact.nation not in refs.groups[fact.group].members:
                problems.append(
                    f"fact {fact.id!r}: {fact.nation} is not a member of group {fact.group!r}"
                )
        elif isinstance(fact, CommitmentIn):
            nation_ok(fact, fact.nation, "nation")
            group_ok(fact, fact.group)
        elif isinstance(fact, ConditionIn):
            nation_ok(fact, fact.nation, "nation")
            problems.extend(
                f"fact {fact.id!r}: gates unknown commitment {gated!r}"
                for gated in fact.gates
                if gated not in commitments
            )
        elif isinstance(fact, StatementIn):
            nation_ok(fact, fact.speaker_nation, "speaker_nation")
            if fact.event is not None and fact.event not in events:
                problems.append(f"fact {fact.id!r}: no event {fact.event!r}")
            if not any(fact.text in ev.quote for ev in fact.evidence):
                problems.append(
                    f"fact {fact.id!r}: text is not inside any of its quotes: {fact.text!r}"
                )
            if fact.speaker not in all_text:
                problems.append(f"fact {fact.id!r}: speaker {fact.speaker!r} occurs in no source")
        elif isinstance(fact, EventIn):
            for p in fact.participants:
                nation_ok(fact, p.nation, "participant nation")
                if p.name not in all_text:
                    problems.append(f"fact {fact.id!r}: participant {p.name!r} occurs in no source")
    return problems


def read_reference(data_dir: Path) -> tuple[NationsReference, dict[str, GroupIn]]:
    reference = _parse(
        NationsReference,
        read_yaml(data_dir / "reference" / "nations.yaml"),
        "reference/nations.yaml",
    )
    groups_raw = read_yaml(data_dir / "reference" / "groups.yaml") or []
    groups = {
        g.id: g
        for g in (_parse(GroupIn, raw, f"reference/groups.yaml[{i}]")
                  for i, raw in enumerate(groups_raw))
    }  # fmt: skip
    return reference, groups


def parse_facts(raw_by_kind: dict[str, Any], where: str) -> dict[str, list[Any]]:
    """Validate raw fact mappings per kind ("commitments": [...]) against the file formats."""
    problems: list[str] = []
    parsed: dict[str, list[Any]] = {}
    for name, raw in raw_by_kind.items():
        if name not in FACT_MODELS:
            problems.append(
                f"{where}: unknown kind of fact {name!r} (one of {', '.join(FACT_FILES)})"
            )
            continue
        if not isinstance(raw, list):
            problems.append(f"{where}: {name} must be a list of facts")
            continue
        items = []
        for i, item in enumerate(raw):
            at = f"{where}: {name}[{i}]"
            if isinstance(item, dict) and "id" in item:
                at += f" (fact {item['id']!r})"
            try:
                items.append(FACT_MODELS[name].model_validate(item))
            except ValidationError as exc:
                problems.extend(_validation_problems(at, exc))
        parsed[name] = items
    if problems:
        raise FactsError(problems)
    return parsed


def load_dataset(data_dir: Path) -> Dataset:
    """Parse and verify every data file; raise FactsError listing every problem found."""
    sources_spec = _parse(SourcesFile, read_yaml(data_dir / "sources.yaml"), "sources.yaml")
    document, sha256 = read_document(data_dir, sources_spec.document)
    sources = _cut_sources(sources_spec, document, sha256)
    reference, groups = read_reference(data_dir)
    raw = {name: read_yaml(data_dir / "facts" / f"{name}.yaml") or [] for name in FACT_FILES}
    data = Dataset(
        sources, sources_spec.outlets, groups, reference, [], **parse_facts(raw, "facts")
    )
    refs = References(
        sources={s.spec.id: SourceRef(s.spec.id, s.text, s.spec.lines[0]) for s in sources},
        outlets={o.id: o.name for o in sources_spec.outlets},
        groups=groups,
        membership_of={},
        events=set(),
        commitments=set(),
    )
    problems: list[str] = []
    try:
        data.evidence = verify_facts(data.facts(), refs)
    except FactsError as exc:
        problems.extend(exc.problems)
    for code in sorted({m.nation for m in data.memberships}):
        try:
            data.nations.append(nation_ref(code, reference))
        except FactsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise FactsError(problems)
    return data
