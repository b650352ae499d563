"""How long the slow tests run (`pytest -m slow`): full size by default, a short form when
PLEDGEDB_TEST_SHORT=1 (what .ci/run uses): the same checks and thresholds, fewer seconds,
rounds and cycles."""

import os
from typing import TypeVar

T = TypeVar("T")
SHORT = os.environ.get("PLEDGEDB_TEST_SHORT", "") not in ("", "0")


def sized(full: T, short: T) -> T:
    """``full`` normally, ``short`` in the short form."""
    return short if SHORT else full
