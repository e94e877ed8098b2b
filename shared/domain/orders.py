"""Dispatch orders: the state machine and escalation when nobody acknowledges in time.

issued → delivered → acknowledged → accepted | declined (with a reason) → en_route →
on_scene → completed; declined (with a reason) also after accepting, on the way or on the
scene; cancelled from any state that is not final. An answer implies the steps before it
(:func:`answer_path`): a department that answers ``completed`` to a delivered order has
acknowledged, accepted, gone and arrived, recorded as such. Escalation is a pure
function of the orders and the time (inject the clock): resend, alarm the duty officer,
and optionally hand over to a fallback recipient.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec

from shared.domain.classification import DomainError

OrderState = Literal[
    "issued",
    "delivered",
    "acknowledged",
    "accepted",
    "declined",
    "en_route",
    "on_scene",
    "completed",
    "cancelled",
]

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "issued": frozenset({"delivered", "cancelled"}),
    "delivered": frozenset({"acknowledged", "cancelled"}),
    "acknowledged": frozenset({"accepted", "declined", "cancelled"}),
    # a team that accepted may still decline, with a reason (its vehicle broke down)
    "accepted": frozenset({"en_route", "declined", "cancelled"}),
    "en_route": frozenset({"on_scene", "declined", "cancelled"}),
    "on_scene": frozenset({"completed", "declined", "cancelled"}),
    "declined": frozenset(),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
FINAL = frozenset(s for s, nxt in ORDER_TRANSITIONS.items() if not nxt)
UNACKNOWLEDGED = frozenset({"issued", "delivered"})
STATE_WORDS = {
    "delivered": "送达",
    "acknowledged": "已收到",
    "accepted": "接受",
    "declined": "拒绝",
    "en_route": "出发",
    "on_scene": "到达现场",
    "completed": "完成",
    "cancelled": "撤销",
}
"""The states in the words a recorded step's note uses (随“完成”: implied by that answer)."""
RECIPIENT_ANSWERS = ("acknowledged", "accepted", "declined", "en_route", "on_scene", "completed")
"""What a recipient may answer, in the order a person meets them (buttons, steps)."""


def recipient_answers(state: str) -> list[str]:
    """The answers a recipient may give next (an order still ``issued`` answers as if
    delivered: its receipt goes first)."""
    allowed = ORDER_TRANSITIONS.get("delivered" if state == "issued" else state, frozenset())
    return [a for a in RECIPIENT_ANSWERS if a in allowed]


def answer_path(start: str, goal: str) -> list[str]:
    """The answers, in order, that take an order from ``start`` to ``goal`` (empty when
    ``goal`` is ``start`` or no answers lead there, e.g. ``cancelled``)."""
    paths: dict[str, list[str]] = {start: []}
    todo = [start]
    while todo:
        state = todo.pop(0)
        if state == goal:
            return paths[state]
        for nxt in recipient_answers(state):
            if nxt not in paths:
                paths[nxt] = [*paths[state], nxt]
                todo.append(nxt)
    return []


class OrderStep(msgspec.Struct, frozen=True):
    """One recorded state change of an order."""

    from_state: str
    to_state: str
    by: str
    at: datetime
    reason: str = ""


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """A dispatch order."""

    order_id: str
    recipient: str
    text: str
    issued_by: str
    issued_at: datetime
    state: OrderState = "issued"
    incident_id: str | None = None
    fallback: str | None = None
    steps: tuple[OrderStep, ...] = ()
    resends: int = 0
    exercise: bool = False


def advance(order: Order, to: OrderState, *, by: str, at: datetime, reason: str = "") -> Order:
    """Move ``order`` to state ``to``.

    Raises:
        DomainError: an illegal move (naming the allowed ones) or a decline without reason.
    """
    allowed = ORDER_TRANSITIONS[order.state]
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or f"none ({order.state} is final)"
        raise DomainError(
            f"order {order.order_id}: cannot go from {order.state} to {to}; allowed: {options}"
        )
    if to in ("declined", "cancelled") and not reason.strip():
        raise DomainError(f"order {order.order_id}: {to} needs a reason")
    step = OrderStep(order.state, to, by, at, reason)
    return msgspec.structs.replace(order, state=to, steps=(*order.steps, step))


class EscalationPolicy(msgspec.Struct, frozen=True):
    """How long a recipient has to acknowledge, and what happens after."""

    ack_timeout: timedelta = timedelta(minutes=5)
    max_resends: int = 2
    use_fallback: bool = True


Action = Literal["resend", "alarm", "fallback"]


class Escalation(msgspec.Struct, frozen=True):
    """What to do about one unacknowledged order now."""

    order_id: str
    action: Action
    recipient: str
    overdue_by: timedelta


def escalations(orders: list[Order], now: datetime, policy: EscalationPolicy) -> list[Escalation]:
    """For every order not acknowledged in time: resend it (up to ``max_resends`` times,
    one per timeout period), then alarm the duty officer and, when a fallback recipient is
    named, pass it on. Each period's action is due once; callers record resends."""
    out = []
    for order in orders:
        if order.state not in UNACKNOWLEDGED:
            continue
        periods = (now - order.issued_at) // policy.ack_timeout
        if periods < 1 or periods <= order.resends:
            continue
        overdue = now - order.issued_at - policy.ack_timeout
        if order.resends < policy.max_resends:
            out.append(Escalation(order.order_id, "resend", order.recipient, overdue))
            continue
        out.append(Escalation(order.order_id, "alarm", order.recipient, overdue))
        if policy.use_fallback and order.fallback:
            out.append(Escalation(order.order_id, "fallback", order.fallback, overdue))
    return out
