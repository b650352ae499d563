"""Fixtures for the curation tests; test modules load them with
``pytest_plugins = ["tests.curation_fixtures"]``.

Every test that writes gets its own database of the backend under test (`seeded_url` of
conftest.py: a copy of the template, migrated and seeded from data/), and its own app over it
with three keys: two curators (``alice`` and ``bob``) and an admin (``root``). The shared seeded
database of conftest.py is never written to."""

from collections.abc import AsyncIterator

import pytest

from app.facts.files import Dataset
from tests.curation import Curation, curation_app, curation_over


@pytest.fixture
async def curation(seeded_url: str, dataset: Dataset) -> AsyncIterator[Curation]:
    async with curation_over(curation_app(seeded_url), seeded_url, dataset) as curation:
        yield curation
