"""Fixtures for the curation tests; test modules load them with
``pytest_plugins = ["tests.curation_fixtures"]``.

Every test that writes gets its own database of the backend under test (`scratch_url`),
migrated and seeded from data/, and its own app over it with three keys: two curators
(``alice`` and ``bob``) and an admin (``root``). The shared seeded database of conftest.py is
never written to."""

from collections.abc import AsyncIterator

import pytest

from app.facts import Dataset
from tests.curation import Curation, client_for, curation_app, make_keys, seed_database


@pytest.fixture
def seeded_url(scratch_url: str, dataset: Dataset) -> str:
    """A private database of the backend under test, migrated and seeded."""
    seed_database(scratch_url, dataset)
    return scratch_url


@pytest.fixture
async def curation(seeded_url: str, dataset: Dataset) -> AsyncIterator[Curation]:
    app = curation_app(seeded_url)
    try:
        async with client_for(app) as client:
            yield Curation(
                url=seeded_url,
                app=app,
                client=client,
                keys=make_keys(seeded_url),
                data=dataset,
                sources={s.spec.id: s.text for s in dataset.sources},
            )
    finally:
        app.state.history.close()
        app.state.engine.dispose()
