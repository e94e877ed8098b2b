"""Incidents: validation, grading on creation and update, override, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from shared.domain import (
    Casualties,
    DomainError,
    new_incident,
    override_level,
    transition,
    update_facts,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 12, 21, 31, 38, tzinfo=CST)


def _new(**kw: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = dict(
        incident_id="I-1",
        type_code="hazchem.leak",
        title="枣强县化工园区氨气泄漏",
        lat=37.50,
        lon=115.75,
        division="131121",
        occurred=T0,
        reported=T0 + timedelta(minutes=5),
    )
    fields.update(kw)
    return new_incident(**fields)  # type: ignore[arg-type]


def test_new_incident_is_graded_from_its_type_table() -> None:
    incident, warnings = _new(casualties=Casualties(dead=3, seriously_injured=4))
    assert warnings == []
    assert incident.level == 3
    assert incident.computed is not None and "死亡 3 ≥ 3" in incident.computed.triggered[0]


def test_types_without_criteria_get_no_computed_level() -> None:
    incident, _ = _new(type_code="flood.river", title="滏阳河水位超警")
    assert incident.computed is None and incident.level is None


def test_update_regrades_and_an_override_stays_in_force() -> None:
    incident, _ = _new()
    assert incident.level == 4
    incident = update_facts(incident, casualties=Casualties(dead=10))
    assert incident.level == 2
    incident = override_level(incident, 1, by="值班员张三", at=T0, reason="涉及饮用水源")
    incident = update_facts(incident, casualties=Casualties(dead=11))
    assert incident.level == 1 and incident.computed is not None and incident.computed.level == 2


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lat": 48.85, "lon": 2.35}, "outside China"),
        ({"type_code": "volcano"}, "unknown incident type"),
        ({"division": "13110"}, "six-digit"),
        ({"occurred": datetime(2026, 7, 12, 21, 0)}, "timezone"),
        ({"reported": T0 - timedelta(hours=1)}, "before the occurred"),
        ({"title": "  "}, "needs a title"),
        ({"direct_loss_cny": -1}, "negative"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kw: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        _new(**kw)


def test_negative_and_absurd_casualties_are_refused() -> None:
    for bad in ({"dead": -1}, {"trapped": 10**9}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, Casualties)


def test_outside_hebei_is_accepted_with_a_warning() -> None:
    incident, warnings = _new(lat=39.90, lon=116.40 + 4)  # inside China, east of Hebei
    assert incident.incident_id == "I-1"
    assert warnings and "outside Hebei" in warnings[0]


def test_lifecycle_records_who_and_when_and_refuses_illegal_steps() -> None:
    incident, _ = _new()
    at = datetime(2026, 7, 12, 14, 0, tzinfo=UTC)
    for step in ("verified", "responding", "stabilised", "responding", "stabilised", "closed"):
        incident = transition(incident, step, by="李四", at=at)  # type: ignore[arg-type]
    assert [h.to_status for h in incident.history][-1] == "closed"
    assert all(h.by == "李四" for h in incident.history)
    with pytest.raises(DomainError, match="closed is final"):
        transition(incident, "responding", by="李四", at=at)
    fresh, _ = _new()
    with pytest.raises(DomainError, match="allowed: closed, verified"):
        transition(fresh, "responding", by="李四", at=at)
    with pytest.raises(DomainError, match="needs a note"):
        transition(fresh, "closed", by="李四", at=at)
    assert transition(fresh, "closed", by="李四", at=at, note="误报").status == "closed"


def test_override_needs_a_reason_and_a_real_level() -> None:
    incident, _ = _new()
    with pytest.raises(DomainError, match="reason"):
        override_level(incident, 2, by="x", at=T0, reason=" ")
    with pytest.raises(DomainError, match="1–4"):
        override_level(incident, 5, by="x", at=T0, reason="r")
