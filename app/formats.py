"""The text formats of request parameters: each one's pattern, for machines (it stands in the
OpenAPI document, so clients and fuzzers can make valid values), and the words that explain
it, for people (parameter descriptions and the 422's message never show the regex)."""

from dataclasses import dataclass

# The ids of facts, sources, outlets and groups: lower-case words joined by single hyphens.
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"

# RFC 3339 date-time, the offset optional (then UTC). Numbers are not timestamps here.
_YEAR = r"[1-9][0-9]{3}"
_LEAP_YEAR = r"([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"
_DATE = (  # a real calendar date, leap days included: the schema admits no date Python refuses
    rf"({_YEAR}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    rf"|{_YEAR}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    rf"|{_YEAR}-02-(0[1-9]|1[0-9]|2[0-8])"
    rf"|{_LEAP_YEAR}-02-29)"
)
ISO_DATETIME = (
    rf"^{_DATE}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)


@dataclass(frozen=True)
class TextFormat:
    pattern: str
    words: str  # what to send, to follow "use": "an ISO 8601 timestamp such as …"


TIMESTAMP = TextFormat(
    ISO_DATETIME,
    "an ISO 8601 timestamp such as 2025-09-04T12:00:00Z (UTC when it has no offset)",
)
CHANGE_SINCE = TextFormat(
    rf"^[0-9]{{1,18}}$|{ISO_DATETIME}",
    "a change id such as 120, or an ISO 8601 timestamp such as 2025-09-04T12:00:00Z",
)
FACT_ID = TextFormat(
    SLUG,
    "lower-case letters and digits, words joined by single hyphens, such as coalition-naval",
)
_BY_PATTERN = {f.pattern: f for f in (TIMESTAMP, CHANGE_SINCE, FACT_ID)}


def explain(pattern: str) -> str:
    """What a value of ``pattern`` must look like, in words."""
    known = _BY_PATTERN.get(pattern)
    if known is None:  # a pattern nobody has put into words yet: still no regex for people
        return "a value in the form this parameter's description in /docs gives"
    return known.words
