"""A real uvicorn serving an app object of this process, on a thread of its own: for what the
ASGI test transport cannot do (stream a body as it is made, drop a connection mid-answer) while
the test can still look inside the app (its pool, its event loop's tasks)."""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from tests.processes import free_port

START_TIMEOUT = 20.0
T = TypeVar("T")


@dataclass
class LiveServer:
    app: FastAPI
    base: str
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the server's event loop, from the test's thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def tasks(self) -> int:
        """Tasks alive on the server's event loop."""

        async def count() -> int:
            return len(asyncio.all_tasks())

        return self.run(count())

    def checked_out(self) -> int:
        """Connections of the app's pool in use right now."""
        checked_out: int = self.app.state.engine.pool.checkedout()
        return checked_out


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[LiveServer]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}", loop)
    finally:
        server.should_exit = True
        thread.join(15)
        # What the app left on the loop (sse-starlette's shutdown watcher) ends with it.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()

        async def finish() -> None:
            await asyncio.gather(*pending, return_exceptions=True)

        loop.run_until_complete(finish())
        loop.close()


def wait_for(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True
