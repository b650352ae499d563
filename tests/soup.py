"""Typed reading of the explorer's HTML (BeautifulSoup) in the tests.

BeautifulSoup answers ``None`` for an element it does not find and a list for a multi-valued
attribute (``class``); these helpers fail the test at once when the page lacks what it must
have, and hand back the element or the one string the test expects."""

from bs4 import Tag


def one(tag: Tag, selector: str) -> Tag:
    """The first element ``selector`` matches under ``tag``, which must exist."""
    found = tag.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


def present(found: Tag | None) -> Tag:
    """An element a ``find`` must have found."""
    assert found is not None, "the element is missing"
    return found


def attr(tag: Tag, name: str) -> str:
    """A single-valued attribute (``href``, ``id``, ``data-*``), which must be present."""
    value = tag.get(name)
    assert isinstance(value, str), f"{name}={value!r} on {tag.name}"
    return value
