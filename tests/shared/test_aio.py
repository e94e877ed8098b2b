"""The one helper every stop() uses to end a background task."""

from __future__ import annotations

import asyncio

import pytest

from shared.aio import cancel_and_wait


async def test_a_task_stopping_its_child_can_itself_be_stopped() -> None:
    # The child takes a moment to end (as a reader closing its socket does); the parent is
    # cancelled in that moment. Swallowing CancelledError around `await child` made the
    # parent carry on (the client's handshake watcher went on retrying for ever).
    release = asyncio.Event()
    inside = asyncio.Event()

    async def child() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            inside.set()
            await release.wait()
            raise

    async def parent(kid: asyncio.Task[None]) -> None:
        await cancel_and_wait(kid)
        await asyncio.Event().wait()  # reached only if our own cancellation was lost

    kid = asyncio.create_task(child())
    await asyncio.sleep(0)
    boss = asyncio.create_task(parent(kid))
    await inside.wait()
    boss.cancel()
    release.set()
    await asyncio.wait_for(asyncio.wait([boss]), 5)
    assert boss.cancelled()
    assert kid.cancelled()


async def test_a_child_that_failed_is_waited_for_and_its_error_not_raised() -> None:
    async def broken() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(broken())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert isinstance(task.exception(), ValueError)


@pytest.mark.parametrize("done", [True, False])
async def test_a_finished_or_running_task_both_end(done: bool) -> None:
    task = asyncio.create_task(asyncio.sleep(0 if done else 60))
    if done:
        await task
    await cancel_and_wait(task)
    assert task.done()
