"""Hub actions started from a button: the button waits, the hub's answer comes back to the
panel, and a hub that does not answer in time is reported as queued (the durable outbox
sends it later). One place for what the dispatch, assessment and duty panels all do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import QAbstractButton


class UiActions:
    """Keeps the running actions of one panel alive until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        button: QAbstractButton,
        action: Awaitable[str | None],
        queued: str | Callable[[], None],
        answered: Callable[[str | None], None],
    ) -> None:
        """Run ``action`` (None when stored, else the refusal) with ``button`` disabled;
        ``answered`` gets the refusal or None. When the hub does not answer in time,
        ``queued`` is called — or, given as a text, handed to ``answered`` like a refusal."""
        button.setEnabled(False)

        async def go() -> None:
            try:
                refusal = await action
            except TimeoutError:
                button.setEnabled(True)
                if callable(queued):
                    queued()
                else:
                    answered(queued)
                return
            button.setEnabled(True)
            answered(refusal)

        task = asyncio.get_event_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
