"""Schemathesis hooks for the contract fuzz (tests/test_fuzz.py and `st run` in .ci/run, via
`hooks` in schemathesis.toml).

"Positive" cases are meant to be requests the API must accept. The schema can say what a value
looks like, not whether the data holds it, so three query parameters are made real before a
positive case is sent:

* `cursor` is opaque: only a cursor the API issued is valid, and a forged one must be refused
  (422; RELIABILITY row 10). Positive cases drop it; negative and coverage cases still send junk.
* `source`, `gates` and `event` name stored facts; one that does not exist (at `as_of`) is a
  mistake, refused with 422 by design. Positive cases drop them.
* `nation` must be an ISO 3166-1 code; a country with no nation in the data is an empty list,
  but a code that names no country (`AA`) is refused. Positive cases get a real code.
* `region` must be a UN M49 sub-region (reference/nations.yaml); one with no nation is an empty
  list, any other name is refused. Positive cases get a real name.
"""

from typing import Any

import pycountry
import schemathesis
from schemathesis.generation.modes import GenerationMode

from app.config import PROJECT_ROOT
from app.facts import read_reference

REGIONS = sorted(read_reference(PROJECT_ROOT / "data")[0].regions.members)


def _country(code: Any) -> bool:
    if not isinstance(code, str) or len(code) not in (2, 3):
        return False
    field = "alpha_2" if len(code) == 2 else "alpha_3"
    return pycountry.countries.get(**{field: code.upper()}) is not None


# Filters naming a stored fact or source: "a filter naming a fact that does not exist is a
# mistake, not an empty result" (app/queries.py), and no schema can list what the data holds.
REFERENCES = ("cursor", "source", "gates", "event")


def make_positive_query_real(query: dict[str, Any]) -> None:
    for name in REFERENCES:
        query.pop(name, None)
    if "nation" in query and not _country(query["nation"]):
        query["nation"] = "IT"
    region = query.get("region")
    if region is not None and str(region).lower() not in {r.lower() for r in REGIONS}:
        query["region"] = REGIONS[len(str(region)) % len(REGIONS)]


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE or not case.query:
        return
    make_positive_query_real(case.query)
    if "params" in kwargs and isinstance(kwargs["params"], dict):
        make_positive_query_real(kwargs["params"])
