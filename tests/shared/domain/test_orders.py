"""Dispatch orders: the state machine and escalation with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain import DomainError, EscalationPolicy, Order, advance, escalations

T0 = datetime(2026, 7, 12, 13, 0, tzinfo=UTC)


def _order(**kw: object) -> Order:
    fields: dict[str, object] = dict(
        order_id="O-1", recipient="police-liaison", text="封路", issued_by="leader-1", issued_at=T0
    )
    fields.update(kw)
    return Order(**fields)  # type: ignore[arg-type]


def test_the_happy_path_and_its_record() -> None:
    order = _order()
    for state in ("delivered", "acknowledged", "accepted", "en_route", "on_scene", "completed"):
        order = advance(order, state, by="police-liaison", at=T0)  # type: ignore[arg-type]
    assert order.state == "completed" and len(order.steps) == 6
    with pytest.raises(DomainError, match="completed is final"):
        advance(order, "cancelled", by="leader-1", at=T0, reason="x")


def test_illegal_moves_and_reasons() -> None:
    order = _order()
    with pytest.raises(DomainError, match="allowed: cancelled, delivered"):
        advance(order, "accepted", by="x", at=T0)
    order = advance(advance(order, "delivered", by="x", at=T0), "acknowledged", by="x", at=T0)
    with pytest.raises(DomainError, match="needs a reason"):
        advance(order, "declined", by="x", at=T0)
    assert advance(order, "declined", by="x", at=T0, reason="无可用车辆").state == "declined"


def test_escalation_resends_then_alarms_and_hands_over() -> None:
    policy = EscalationPolicy(ack_timeout=timedelta(minutes=5), max_resends=2)
    order = _order(fallback="fire-liaison")
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    assert escalations([order], at(4), policy) == []
    [e] = escalations([order], at(5), policy)
    assert (e.action, e.recipient) == ("resend", "police-liaison")
    order = _order(fallback="fire-liaison", resends=1)
    assert escalations([order], at(9), policy) == []  # resend 1 already done this period
    assert [e.action for e in escalations([order], at(10), policy)] == ["resend"]
    order = _order(fallback="fire-liaison", resends=2)
    actions = [(e.action, e.recipient) for e in escalations([order], at(15), policy)]
    assert actions == [("alarm", "police-liaison"), ("fallback", "fire-liaison")]
    acked = advance(
        advance(order, "delivered", by="p", at=at(1)), "acknowledged", by="p", at=at(16)
    )
    assert escalations([acked], at(30), policy) == []


def test_recipient_answers_and_the_steps_between_two_states_follow_the_state_machine() -> None:
    from shared.domain.orders import answer_path, recipient_answers

    assert recipient_answers("issued") == ["acknowledged"]  # the receipt goes first
    assert recipient_answers("acknowledged") == ["accepted", "declined"]
    assert recipient_answers("completed") == []
    assert answer_path("delivered", "accepted") == ["acknowledged", "accepted"]
    assert answer_path("delivered", "declined") == ["acknowledged", "declined"]
    assert answer_path("accepted", "completed") == ["en_route", "on_scene", "completed"]
    assert answer_path("accepted", "accepted") == []
    assert answer_path("delivered", "cancelled") == []  # cancelling is not an answer
