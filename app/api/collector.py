"""The server process's garbage collection: what lives long is kept out of the collector's sight.

CPython's full (generation 2) collection walks every object the collector tracks and stops every
thread of the process meanwhile, so it lands inside whichever request allocated last. What lives
long is most of those objects: what start-up built (the app, its routes and schemas, the
libraries: ~170,000 objects; a 110 ms pause several times a second under load, wrk's p99 on
cached answers 104 ms, 3.2 ms once frozen) and what is kept per data revision
(app.reads.per_revision: the disputes, tallies and items; at 1,000x the seed ~200,000 objects,
a 60-150 ms pause after the writes that renew them: bench.gc_pause, bench/RESULTS.md).

So what start-up built is frozen (`gc.freeze()`: moved to a permanent generation the collector
never walks), and so is what survives each full collection: the next one walks only what is
newer. A frozen object is still freed by its reference count (a kept value replaced by a newer
revision's goes as before); one left in a reference cycle is not, until it is looked at again.
So when the process's objects have grown by half since everything was last looked at, the
frozen ones are unfrozen, and the full collection after walks (and reclaims) them all, once:
the memory this can hold back is bounded by that half. (Objects are counted as the memory
blocks Python's allocator holds, `sys.getallocatedblocks()`: counting the frozen ones walks
them, 15-35 ms at 1,000x the seed, on every full collection.)"""

import gc
import sys
import threading
from typing import Any

# The process's objects may grow to this many times what the last look at everything left,
# before everything is looked at again.
GROWTH = 1.5


class Collector:
    """The process's one policy, on while any app of the process serves (the tests start
    several): `start` and `stop` pair up, as the apps' lifespans do."""

    def __init__(self, growth: float = GROWTH) -> None:
        self._lock = threading.Lock()
        self._growth = growth
        self._serving = 0
        self._looked_at = 0  # the process's objects after the last look at everything (0: none)

    def start(self) -> None:
        with self._lock:
            self._serving += 1
            if self._serving > 1:
                return
            gc.collect()
            gc.freeze()
            self._looked_at = sys.getallocatedblocks()
            gc.callbacks.append(self._after_collection)

    def stop(self) -> None:
        """The last app stopped: callbacks off, everything unfrozen (a process that starts and
        stops several apps, the tests, can collect those it stopped)."""
        with self._lock:
            self._serving -= 1
            if self._serving > 0:
                return
            gc.callbacks.remove(self._after_collection)
            gc.unfreeze()
            self._looked_at = 0

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Right after a full collection the young generations are empty: what is tracked is
        # what survived it. (A collection's callbacks run with the interpreter lock held.)
        if phase != "stop" or info["generation"] != 2:
            return
        if self._looked_at == 0:  # this collection looked at everything
            gc.freeze()
            self._looked_at = sys.getallocatedblocks()
        elif sys.getallocatedblocks() > self._growth * self._looked_at:
            gc.unfreeze()  # the next full collection looks at everything
            self._looked_at = 0
        else:
            gc.freeze()


COLLECTOR = Collector()
