"""Escalating unacknowledged orders: resend, alarm, hand over (on the hub's clock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import update

from shared.domain.orders import Escalation
from shared.domain.orders import Order as DomainOrder
from shared.hub.common import (
    Services,
)
from shared.protocol import (
    AlarmState,
    OrderStatus,
)
from shared.protocol.state import StateValue
from shared.store.audit import AuditRecord, append
from shared.store.models import (
    Order,
)

ORDER_ALARM_NAME = "指令未签收"
"""The name of the alarm an order not acknowledged in time raises."""


def domain_order(status: OrderStatus) -> DomainOrder:
    """The domain's view of a published order (for its state machine and escalation)."""
    return DomainOrder(
        order_id=status.order_id,
        recipient=status.recipient,
        text=status.text,
        issued_by=status.issued_by,
        issued_at=status.issued_at or status.updated,
        state=status.state,  # type: ignore[arg-type]
        incident_id=status.incident_id,
        fallback=status.fallback,
        resends=status.resends,
        exercise=status.exercise,
    )


class OrderEscalation:
    """Unacknowledged orders resent, alarmed and handed to their fallback (a tick job)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def escalate(self, steps: list[Escalation], now: datetime) -> list[AuditRecord]:
        """Apply escalation steps to unacknowledged orders in one transaction: a resend
        republishes the order, an alarm is raised once, a fallback hands the order over with
        a fresh clock. Returns the audit records written."""
        audits: list[AuditRecord] = []
        changes: list[tuple[str, str, StateValue | None]] = []
        with self.services.engine.begin() as conn:
            for step in steps:
                order = self.services.state.get("order", step.order_id)
                if not isinstance(order, OrderStatus):
                    continue
                where = Order.order_id == step.order_id
                if step.action == "resend":
                    fields: dict[str, Any] = {"resends": order.resends + 1, "updated": now}
                    conn.execute(update(Order).where(where).values(**fields))
                    changes.append(
                        ("order", step.order_id, msgspec.structs.replace(order, **fields))
                    )
                    audits.append(
                        AuditRecord(
                            "hub",
                            "order_resend",
                            step.order_id,
                            f"to {order.recipient}, #{order.resends + 1}",
                        )
                    )
                elif step.action == "alarm":
                    key = f"order:{step.order_id}"
                    if self.services.state.get("alarm", key) is None:
                        changes.append(
                            (
                                "alarm",
                                key,
                                AlarmState(
                                    incident_id=order.incident_id or "",
                                    rule="order_unacknowledged",
                                    name=ORDER_ALARM_NAME,
                                    due=(order.issued_at or order.updated) + step.overdue_by,
                                    kind="overdue",
                                    raised=now,
                                    exercise=order.exercise,
                                    detail=f"{order.order_id} → {order.recipient}"
                                    + (f"（{order.incident_id}）" if order.incident_id else ""),
                                ),
                            )
                        )
                        audits.append(
                            AuditRecord(
                                "hub",
                                "order_alarm",
                                step.order_id,
                                f"{order.recipient} has not acknowledged",
                            )
                        )
                elif step.action == "fallback":
                    # The fallback recipient starts with a fresh clock and no resends.
                    fields = {
                        "recipient": step.recipient,
                        "fallback": None,
                        "resends": 0,
                        "issued_at": now,
                        "state": "issued",
                        "updated": now,
                    }
                    conn.execute(update(Order).where(where).values(**fields))
                    changes.append(
                        ("order", step.order_id, msgspec.structs.replace(order, **fields))
                    )
                    audits.append(
                        AuditRecord(
                            "hub",
                            "order_fallback",
                            step.order_id,
                            f"{order.recipient} -> {step.recipient}",
                        )
                    )
            if audits:
                append(conn, audits)
        for topic, key, value in changes:
            self.services.state.set(topic, key, value)
        return audits
