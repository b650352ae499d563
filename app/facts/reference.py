"""World knowledge that facts are checked against: the nations reference (NATO, EU, regions,
each list with its source), the groups a source names ("the Nordic states"), and a nation's ISO
data from pycountry."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pycountry
from pydantic import Field

from app.facts.reading import FactsError, parse_file, read_yaml
from app.formats import SLUG
from app.schemas.bodies import Strict


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


@dataclass(frozen=True)
class NationRef:
    code: str
    alpha3: str
    name: str
    official_name: str | None
    nato: bool
    eu: bool
    region: str


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


class Reference(NamedTuple):
    """The world facts are checked against, read once per process: the nations reference and
    the groups, by id."""

    nations: NationsReference
    groups: dict[str, GroupIn]


def read_reference(data_dir: Path) -> Reference:
    reference = parse_file(
        NationsReference,
        read_yaml(data_dir / "reference" / "nations.yaml"),
        "reference/nations.yaml",
    )
    groups_raw = read_yaml(data_dir / "reference" / "groups.yaml") or []
    groups = {
        g.id: g
        for g in (parse_file(GroupIn, raw, f"reference/groups.yaml[{i}]")
                  for i, raw in enumerate(groups_raw))
    }  # fmt: skip
    return Reference(reference, groups)
