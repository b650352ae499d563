"""The world knowledge the engine reads: how nations, groups, leaders and outlets are named
(data/reference/names.yaml, leaders.yaml, outlets.yaml, groups.yaml, and pycountry). Loaded once
per run into plain lookup tables; no article text here."""

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pycountry
from pydantic import BaseModel, Field, ValidationError

from app.facts.reading import FactsError, read_yaml
from app.facts.reference import GroupIn, read_reference
from app.schemas.bodies import Strict

M = TypeVar("M", bound=BaseModel)


class NationNames(Strict):
    names: list[str] = []
    demonyms: list[str] = []
    capital: str | None = None
    seats: list[str] = []


class NamesFile(Strict):
    sources: dict[str, str]
    nations: dict[str, NationNames]
    group_aliases: dict[str, list[str]] = {}


class LeaderIn(Strict):
    name: str
    surname: str | None = None  # None: the name's last word; "": none (a common word)
    aliases: list[str] = []
    office: str
    nation: str | None
    from_: dt.date = Field(alias="from")
    to: dt.date | None
    source: str


class LeadersFile(Strict):
    leaders: list[LeaderIn]


class OutletRef(Strict):
    id: str
    name: str
    aliases: list[str] = []
    url: str | None = None


class OutletsFile(Strict):
    outlets: list[OutletRef]


@dataclass(frozen=True)
class NameEntry:
    """One way of naming something: the words, and what they name."""

    surface: str
    kind: str  # nation | group | person
    target: str  # nation code, group id, or the person's canonical name
    via: str  # name | demonym | capital | seat | group | leader


@dataclass
class Reference:
    names: list[NameEntry]
    groups: dict[str, GroupIn]
    leaders: list[LeaderIn]
    outlets: dict[str, OutletRef]  # id -> outlet; the ones known to the world, by default
    registered_outlets: set[str] = field(default_factory=set)  # the ones the target db holds
    nation_names: dict[str, str] = field(default_factory=dict)  # code -> display name

    def offices_of(self, person: str, on: dt.date | None) -> list[LeaderIn]:
        """The offices ``person`` held on ``on`` (every office ever held when no date is known;
        newest first)."""
        held = [
            entry
            for entry in self.leaders
            if entry.name == person
            and (on is None or (entry.from_ <= on and (entry.to is None or on < entry.to)))
        ]
        return sorted(held, key=lambda e: e.from_, reverse=True)

    def outlet_names(self) -> list[tuple[str, str]]:
        """(outlet id, name as written) for every name of every outlet, aliases included."""
        return [(o.id, name) for o in self.outlets.values() for name in (o.name, *o.aliases)]


def _nation_display(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise ValueError(f"reference/names.yaml: {code!r} is not an ISO 3166-1 alpha-2 code")
    return str(getattr(country, "common_name", None) or country.name)


def _iso_names(code: str) -> list[str]:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return []
    names = {country.name, getattr(country, "common_name", None) or country.name}
    # "Korea, Republic of" is how ISO sorts a name, never how an article writes it.
    return sorted(n for n in names if "," not in n and "(" not in n)


def _read(model: type[M], path: Path) -> M:
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise FactsError(
            [f"{path.name}: {err['loc']}: {err['msg']}" for err in exc.errors()]
        ) from exc


def load_reference(data_dir: Path) -> Reference:
    """Read the reference files under ``data_dir``; raise FactsError naming what is wrong."""
    _, groups = read_reference(data_dir)
    folder = data_dir / "reference"
    names_file = _read(NamesFile, folder / "names.yaml")
    leaders = _read(LeadersFile, folder / "leaders.yaml")
    outlets = _read(OutletsFile, folder / "outlets.yaml")
    entries: list[NameEntry] = []
    display: dict[str, str] = {}
    for code, spec in names_file.nations.items():
        display[code] = _nation_display(code)
        for name in {*spec.names, *_iso_names(code)}:
            entries.append(NameEntry(name, "nation", code, "name"))
        entries += [NameEntry(d, "nation", code, "demonym") for d in spec.demonyms]
        if spec.capital:
            entries.append(NameEntry(spec.capital, "nation", code, "capital"))
        entries += [NameEntry(s, "nation", code, "seat") for s in spec.seats]
    for group_id, group in groups.items():
        for alias in {group.name, *names_file.group_aliases.get(group_id, [])}:
            entries.append(NameEntry(alias, "group", group_id, "group"))
    surnames: dict[str, set[str]] = {}
    for leader in leaders.leaders:
        for full in (leader.name, *leader.aliases):
            entries.append(NameEntry(full, "person", leader.name, "leader"))
            surname = full.split()[-1] if leader.surname is None else leader.surname
            if surname:
                surnames.setdefault(surname, set()).add(leader.name)
    # A surname alone names a leader only when no other leader shares it.
    entries += [
        NameEntry(surname, "person", next(iter(people)), "leader")
        for surname, people in surnames.items()
        if len(people) == 1
    ]
    return Reference(
        names=entries,
        groups=groups,
        leaders=leaders.leaders,
        outlets={o.id: o for o in outlets.outlets},
        nation_names=display,
    )


def names_pattern(entries: list[NameEntry]) -> re.Pattern[str]:
    """One alternation of every surface form, longest first, on word boundaries; an optional
    leading "the" is part of the match so that "the Nordic states" quotes whole."""
    surfaces = sorted({e.surface for e in entries}, key=len, reverse=True)
    body = "|".join(re.escape(s) for s in surfaces)
    return re.compile(rf"(?<![\w.])(?:[Tt]he\s+)?(?P<name>{body})(?![\w])")
