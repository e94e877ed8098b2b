"""A device's order inbox: its orders, kept live, with delivery receipts sent automatically.

The hub publishes every open order, and finished ones (with their state and words) until
their incident closes; the inbox keeps those addressed to this device and
answers each one still ``issued`` with a ``delivered`` receipt — again for every resend,
since a receipt may have been lost (the hub records delivery once and ignores repeats).
Offline the inbox still holds what it last saw, and receipts wait in the durable outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from shared.client.client import HubClient
from shared.client.replica import Replica
from shared.domain.orders import FINAL
from shared.protocol import OrderStatus, OrderUpdate, StateValue
from shared.protocol.messages import OrderUpdateState

log = logging.getLogger(__name__)


class OrderInbox:
    """Orders addressed to ``client``'s device."""

    def __init__(self, client: HubClient, replica: Replica) -> None:
        self.client = client
        self.device = client.bundle.device
        self.orders: dict[str, OrderStatus] = {}
        self.on_new: list[Callable[[OrderStatus], None]] = []
        self._receipted: set[tuple[str, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        replica.listeners.append(self._on_update)

    def _on_update(self, topic: str, key: str, value: StateValue | None) -> None:
        if topic != "order":
            return
        if not isinstance(value, OrderStatus) or value.recipient != self.device:
            self.orders.pop(key, None)  # closed, or handed over to someone else
            return
        fresh = key not in self.orders
        self.orders[key] = value
        # A finished order stays in view (with its state and words), but is never "new":
        # a restart's snapshot must not announce yesterday's completed orders again.
        if fresh and value.state not in FINAL:
            for callback in self.on_new:
                callback(value)
        if value.state == "issued" and (key, value.resends) not in self._receipted:
            self._receipted.add((key, value.resends))
            receipt = self.client.make(OrderUpdate, order_id=key, state="delivered")
            task = asyncio.get_running_loop().create_task(self.client.submit(receipt))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def update(self, order_id: str, state: OrderUpdateState, note: str = "") -> None:
        """Acknowledge, accept, decline (with a note), or report progress on an order."""
        msg = self.client.make(OrderUpdate, order_id=order_id, state=state, note=note)
        await self.client.submit(msg)
