"""Order commands: issue to a known recipient, update along the domain's state machine."""

from __future__ import annotations

import msgspec
from sqlalchemy import insert, select, update

from shared.domain import (
    DomainError,
)
from shared.domain.orders import RECIPIENT_ANSWERS, STATE_WORDS, advance, answer_path
from shared.hub.common import (
    COMMANDERS,
    Batch,
    Refusal,
    Services,
)
from shared.hub.escalation import domain_order
from shared.protocol import (
    DispatchOrder,
    IncidentState,
    Message,
    OrderStatus,
    OrderUpdate,
)
from shared.store.audit import AuditRecord
from shared.store.models import (
    Order,
    OrderEvent,
)
from shared.store.states import order_state


class OrderHandler:
    """The ``dispatch`` and ``order_update`` kinds; responses give orders through
    :meth:`issue_order`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case DispatchOrder():
                self.issue_order(
                    b,
                    msg.order_id,
                    msg.id,
                    msg.recipient,
                    msg.incident_id,
                    msg.text,
                    device,
                    msg.exercise,
                    msg.fallback,
                )
            case OrderUpdate():
                current = b.current("order", msg.order_id)
                if not isinstance(current, OrderStatus):
                    raise self._not_open(b, msg.order_id)
                if current.recipient != device and role not in COMMANDERS:
                    raise Refusal(
                        "forbidden", f"order {msg.order_id} is addressed to {current.recipient}"
                    )
                if msg.state == "cancelled" and role not in COMMANDERS:
                    raise Refusal("forbidden", "only a leader or duty officer cancels an order")
                if msg.state == current.state:
                    return  # a repeated answer (a second receipt, a retry) changes nothing
                # An answer implies the steps before it (a receipt before an acknowledgement,
                # an acknowledgement before a decline, everything before 'completed'): each is
                # recorded with the same time and person, then the answer itself.
                start = "delivered" if current.state == "issued" else current.state
                implied = answer_path(start, msg.state)[:-1] if msg.state != "cancelled" else []
                if current.state == "issued" and (implied or msg.state in RECIPIENT_ANSWERS):
                    implied = ["delivered", *implied]
                for step in implied:
                    b.conn.execute(
                        insert(OrderEvent).values(
                            order_id=msg.order_id,
                            from_state=current.state,
                            to_state=step,
                            by=device,
                            at=b.now,
                            note=f"随“{STATE_WORDS.get(msg.state, msg.state)}”",
                            person=b.person(device),
                        )
                    )
                    current = msgspec.structs.replace(current, state=step)
                try:
                    advance(domain_order(current), msg.state, by=device, at=b.now, reason=msg.note)
                except DomainError as exc:
                    raise Refusal("invalid", str(exc)) from None
                b.conn.execute(
                    update(Order)
                    .where(Order.order_id == msg.order_id)
                    .values(state=msg.state, updated=b.now, note=msg.note)
                )
                b.conn.execute(
                    insert(OrderEvent).values(
                        order_id=msg.order_id,
                        from_state=current.state,
                        to_state=msg.state,
                        by=device,
                        at=b.now,
                        note=msg.note,
                        person=b.person(device),
                    )
                )
                alarm_key = f"order:{msg.order_id}"
                if msg.state != "delivered" and b.state.get("alarm", alarm_key) is not None:
                    b.pending[("alarm", alarm_key)] = None  # answered: the alarm did its job
                # A finished order stays in the picture with its state and words (a declined
                # order is what the leader must see next); it leaves with its incident.
                b.pending[("order", msg.order_id)] = msgspec.structs.replace(
                    current, state=msg.state, updated=b.now, note=msg.note
                )
                detail = f"{current.state} -> {msg.state}"
                if msg.note:
                    detail += f": {msg.note}"
                b.audits.append(AuditRecord(device, "order_update", msg.order_id, detail))
            case _:  # pragma: no cover - only order kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not an order command")

    @staticmethod
    def _not_open(b: Batch, order_id: str) -> Refusal:
        """Why an answer finds no open order: never issued, or ended (with how and why)."""
        row = b.conn.execute(
            select(Order.state, Order.note, Order.incident_id).where(Order.order_id == order_id)
        ).first()
        if row is None:
            return Refusal("not_found", f"no order {order_id!r}")
        why = f": {row.note}" if row.note else ""
        return Refusal(
            "invalid",
            f"order {order_id!r} has ended ({row.state}{why}); an answer changes nothing now",
        )

    def issue_order(
        self,
        b: Batch,
        order_id: str,
        msg_id: str,
        recipient: str,
        incident_id: str | None,
        text: str,
        device: str,
        exercise: bool,
        fallback: str | None,
    ) -> None:
        """Write and publish a new order (from a dispatch or a plan being activated)."""
        exists = (
            b.current("order", order_id) is not None
            or b.conn.execute(select(Order.order_id).where(Order.order_id == order_id)).first()
        )
        if exists:
            raise Refusal("invalid", f"order id {order_id!r} is already used")
        if incident_id is not None and not isinstance(
            b.current("incident", incident_id), IncidentState
        ):
            raise Refusal(
                "not_found",
                f"no open incident {incident_id!r} for this order; check the id "
                "(incident list), or send the order without an incident",
            )
        for who in (recipient, fallback):
            if who is not None and not self.services.is_recipient(who):
                raise Refusal(
                    "invalid",
                    f"no enrolled device named {who!r} can receive orders; check the "
                    "recipient's name (command-center devices lists them)",
                )
        if incident_id is not None:
            incident = b.current("incident", incident_id)
            if isinstance(incident, IncidentState) and incident.exercise and not exercise:
                exercise = True  # an order about a drill is a drill order
        row = {
            "order_id": order_id,
            "msg_id": msg_id,
            "recipient": recipient,
            "incident_id": incident_id,
            "text": text,
            "state": "issued",
            "issued_by": device,
            "updated": b.now,
            "exercise": exercise,
            "issued_at": b.now,
            "fallback": fallback,
            "resends": 0,
        }
        b.conn.execute(insert(Order).values(**row))
        b.pending[("order", order_id)] = order_state(row)
        b.audits.append(AuditRecord(device, "order", order_id, f"to {recipient}"))
