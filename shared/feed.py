"""A consumer of the hub's published batches on its own thread and asyncio loop.

The hub loop hands each round of published batches to :meth:`BatchFeed.observe` (a
thread-safe put that never blocks the hub); the consumer's loop takes them with
:meth:`BatchFeed.take` and sleeps in :meth:`BatchFeed.nap` until poked or timed out. The
relay (to the province) and the upstream link (a county to the city) are both feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from shared.protocol.state import UpdateBatch

log = logging.getLogger(__name__)


class BatchFeed:
    """Thread, loop, hand-over queue and wake-up of a batch consumer."""

    topics: tuple[str, ...] = ()
    """The topics this consumer wants (others are never queued)."""

    def __init__(self) -> None:
        self._inbox: queue.SimpleQueue[list[UpdateBatch] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self.failure = ""
        """Why the feed's thread ended when nobody asked it to (empty while it runs): the
        hub raises an alarm with it, so a stopped relay is never silence."""

    def observe(self, batches: list[UpdateBatch]) -> None:
        """Hand over a round of published batches (thread-safe, never blocks)."""
        mine = [b for b in batches if b.topic in self.topics]
        if mine:
            self._inbox.put(mine)
            self._poke()

    def stop(self) -> None:
        """Ask the loop to end and wait for its thread."""
        self._stopping = True
        self._inbox.put(None)
        self._poke()
        if self._thread is not None:
            self._thread.join(15)
            self._thread = None

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just ended
                loop.call_soon_threadsafe(wake.set)

    def _start_thread(self, name: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``main()`` on a new thread's loop; returns once the loop is up."""
        ready = threading.Event()

        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            ready.set()
            try:
                await main()
            finally:
                self._loop = None

        def target() -> None:
            try:
                asyncio.run(run())
            except BaseException as exc:  # the hub keeps running; the feed says why it stopped
                log.exception("%s stopped by an error", name)
                self.failure = f"{name} stopped: {type(exc).__name__}: {exc!s:.300}"
            else:
                if not self._stopping:
                    self.failure = f"{name} stopped without being asked to"

        self._thread = threading.Thread(target=target, name=name, daemon=True)
        self._thread.start()
        ready.wait(10)

    def take(self) -> list[UpdateBatch] | None:
        """Everything handed over so far (None: stop)."""
        out: list[UpdateBatch] = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return out
            if item is None:
                return None
            out += item

    async def nap(self, seconds: float) -> None:
        """Sleep until poked (new batches, stop) or ``seconds`` pass."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
