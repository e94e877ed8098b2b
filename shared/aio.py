"""Small asyncio helpers the long-running parts share."""

from __future__ import annotations

import asyncio


async def cancel_and_wait(task: asyncio.Task[object] | asyncio.Future[object]) -> None:
    """Cancel ``task`` and wait until it has ended, whatever way it ends.

    Unlike ``task.cancel(); with suppress(CancelledError): await task``, a cancellation of
    the *caller* while it waits is not swallowed: it propagates, so a task that stops a
    child can itself still be stopped (swallowing it once left a client's ``aclose`` waiting
    for ever on a handshake watcher that went on retrying).
    """
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
