"""The server process's garbage collection (app.api.collector), while an app serves (its
lifespan, as `pledgedb serve` runs it): what survives a full collection is not walked by the
next, and what that holds back (an object frozen in a reference cycle) is reclaimed once the
process's objects have grown by half (here, by a twentieth)."""

import gc
import sys
import weakref
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from app.api.collector import Collector
from app.config import Settings
from app.main import create_app

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(database_url: str) -> Any:
    """An app serving; the collections the test's own (automatic ones would come at moments
    of their own, between its steps)."""
    app: FastAPI = create_app(Settings(database_url=database_url))
    gc.disable()
    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        gc.enable()
        app.state.engine.dispose()


class Node:
    """An object in a reference cycle with itself: only a collection frees it."""

    def __init__(self) -> None:
        self.itself = self


def ballast(count: int) -> Iterator[list[int]]:
    return ([] for _ in range(count))  # each list an object the collector tracks


async def test_what_survives_a_full_collection_is_not_walked_by_the_next(
    database_url: str,
) -> None:
    async with serving(database_url):
        kept = list(ballast(20_000))
        before = gc.get_freeze_count()
        gc.collect()
        frozen = gc.get_freeze_count()
        assert frozen >= before + len(kept)  # they survived: frozen
        walked = len(gc.get_objects())
        assert walked < 1_000, walked  # the next full collection walks only what is newer
        del kept
        assert gc.get_freeze_count() <= frozen - 20_000  # frozen, still freed by references
    assert gc.get_freeze_count() == 0  # the last app stopped: everything can be collected


def test_a_cycle_held_back_by_freezing_is_reclaimed_once_the_objects_grow() -> None:
    collector = Collector(growth=1.05)
    gc.disable()  # only the test's collections, not automatic ones between its steps
    collector.start()
    try:
        node = Node()
        gone = weakref.ref(node)
        gc.collect()  # it survives, frozen
        del node
        gc.collect()
        assert gone() is not None  # held back: a frozen cycle is not looked at
        more = list(ballast(sys.getallocatedblocks() // 10))  # a tenth more objects
        gc.collect()  # grown past a twentieth: unfrozen, for the next to look at everything
        gc.collect()
        assert gone() is None  # reclaimed
        del more
    finally:
        collector.stop()
        gc.enable()
