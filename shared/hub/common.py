"""What the hub's message handlers share: refusals, roles, pending changes, the base."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from sqlalchemy import Engine

from shared.domain import DeadlineEngine
from shared.hub.state import StateStore
from shared.protocol.messages import ErrorCode
from shared.protocol.state import StateValue

HUB_NAME = "hub"
COMMANDERS = ("leader", "duty-officer")
# Report stages (初报/续报/终报) → the deadline stages they settle. A written 初报 settles the
# phone-report deadline as well: a phone call logged nowhere cannot settle anything.
STAGES_SETTLED = {"initial": ("initial", "initial_written"), "follow_up": ("follow_up",)}

Pending = MutableMapping[tuple[str, str], StateValue | None]
"""State changes of the batch being written, applied only after it commits. A handler sees
the batch's changes so far and adds its own to an overlay that is kept only if the message is
accepted."""


class Refusal(Exception):
    """A request refused for its content; the sender gets ``code`` and ``detail``."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code: ErrorCode = code
        self.detail = detail


class HandlerBase:
    """Attributes the handler mixins rely on (set by :class:`~shared.hub.persist.Persister`)."""

    engine: Engine
    state: StateStore
    deadlines: DeadlineEngine | None
    _rule_stage: dict[str, str]
    _ops: list[tuple[Any, ...]]
    is_recipient: Callable[[str], bool]
    """Whether a device name may receive orders (the hub's enrolled-device check)."""

    def _person(self, pending: Pending, device: str) -> str:
        """Who is signed in to duty at ``device`` (as of this batch), or "" when nobody is:
        recorded beside the device on every change it makes."""
        signed = self._current(pending, "duty", f"signin:{device}")
        return str(getattr(signed, "person", "") or "")

    def _current(self, pending: Pending, topic: str, key: str) -> StateValue | None:
        if (topic, key) in pending:
            return pending[(topic, key)]
        value: StateValue | None = self.state.get(topic, key)
        return value
