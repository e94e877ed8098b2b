"""The field unit's order book: the orders addressed to this device, kept on disk so the
inbox still works with no link, and answered through the durable outbox."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec

from shared.domain.orders import RECIPIENT_ANSWERS, STATE_WORDS, UNACKNOWLEDGED
from shared.protocol import OrderStatus, StateValue

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(list[OrderStatus])
NEEDS_ANSWER = UNACKNOWLEDGED
ANSWERS = {state: STATE_WORDS[state] for state in RECIPIENT_ANSWERS}
"""The answers' labels (which answers come next: :func:`shared.domain.orders.recipient_answers`)."""


class OrderBook:
    """Orders for this device, live from the picture and saved to ``path`` on each change."""

    def __init__(self, device: str, path: Path) -> None:
        self.device = device
        self.path = path
        self.orders: dict[str, OrderStatus] = {}
        self.new: list[str] = []
        """Orders seen since the user last looked (they ring until acknowledged)."""
        if path.exists():
            try:
                for o in _decoder.decode(path.read_bytes()):
                    self.orders[o.order_id] = o
            except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                pass  # a damaged copy: the hub's picture refills it at the next contact

    def on_update(self, topic: str, key: str, value: StateValue | None) -> None:
        """Replica listener."""
        if topic != "order":
            return
        if isinstance(value, OrderStatus) and value.recipient == self.device:
            if key not in self.orders and value.state in NEEDS_ANSWER:
                self.new.append(key)
            self.orders[key] = value
        elif key in self.orders:
            del self.orders[key]
        self._save()

    def ringing(self) -> list[OrderStatus]:
        """Orders waiting for this person's acknowledgement."""
        return [o for o in self.orders.values() if o.state in NEEDS_ANSWER]

    def sorted(self) -> list[OrderStatus]:
        """Unanswered first, then the newest."""
        items = sorted(self.orders.values(), key=lambda o: o.updated, reverse=True)
        return sorted(items, key=lambda o: o.state not in NEEDS_ANSWER)

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(_encoder.encode(list(self.orders.values())))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a full disk: the picture still holds them; the next change retries


def describe(order: OrderStatus) -> dict[str, Any]:
    """An order as plain values (tests, logs)."""
    out: dict[str, Any] = json.loads(_encoder.encode(order))
    return out
