"""The deadline engine with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain import DeadlineEngine

T0 = datetime(2026, 7, 12, 13, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _engine(level: int | None = 4, type_code: str = "hazchem") -> DeadlineEngine:
    engine = DeadlineEngine()
    engine.track("I-1", known_at=T0, occurred=T0, type_code=type_code, level=level)
    return engine


def test_phone_and_written_reports_come_due_then_overdue() -> None:
    engine = _engine()
    assert engine.poll(at(19)) == []
    assert [(a.rule, a.kind) for a in engine.poll(at(20))] == [("phone_report", "due_soon")]
    assert [(a.rule, a.kind) for a in engine.poll(at(30))] == [("phone_report", "overdue")]
    assert engine.poll(at(30)) == []  # each alarm is given out once
    # A pass that comes late gives one alarm per deadline: overdue, not due-soon as well.
    assert [(a.rule, a.kind) for a in engine.poll(at(60))] == [("written_report", "overdue")]


def test_a_filed_report_silences_its_deadline() -> None:
    engine = _engine()
    engine.report_filed("I-1", "initial")
    assert [(a.rule, a.kind) for a in engine.poll(at(60))] == [("written_report", "overdue")]


def test_raising_the_level_starts_the_province_clock_from_when_it_was_known() -> None:
    engine = _engine(level=4)
    engine.report_filed("I-1", "initial")
    engine.report_filed("I-1", "initial_written")
    assert engine.poll(at(200)) == []
    engine2 = _engine(level=4)
    engine2.report_filed("I-1", "initial")
    engine2.report_filed("I-1", "initial_written")
    engine2.level_changed("I-1", 2)
    alarms = engine2.poll(at(120))
    assert [(a.rule, a.kind) for a in alarms] == [("to_province", "overdue")]
    assert alarms[0].due == at(120)


def test_casualty_supplements_within_the_window_only() -> None:
    engine = _engine(type_code="road_traffic")
    for stage in ("initial", "initial_written"):
        engine.report_filed("I-1", stage)
    assert engine.casualties_changed("I-1", at(60 * 24 * 3))  # day 3: inside 7 days
    assert not engine.casualties_changed("I-1", at(60 * 24 * 8))  # day 8: outside
    assert [a.kind for a in engine.poll(at(60 * 24 * 3 + 50))] == ["due_soon"]
    assert [a.kind for a in engine.poll(at(60 * 24 * 3 + 60))] == ["overdue"]
    engine.casualties_changed("I-1", at(60 * 24 * 4))
    engine.report_filed("I-1", "follow_up")  # a 续报 settles it
    assert engine.poll(at(60 * 24 * 5)) == []
    engine.casualties_changed("I-1", at(60 * 24 * 5))  # and later changes alarm again
    assert [a.kind for a in engine.poll(at(60 * 24 * 6))] == ["overdue"]


def test_closed_incidents_stop_alarming() -> None:
    engine = _engine()
    engine.untrack("I-1")
    assert engine.poll(at(1000)) == [] and len(engine) == 0


def test_every_deadline_alarms_once_when_polled_often_and_once_when_polled_late() -> None:
    often = _engine()
    kinds = [a.kind for m in range(0, 120) for a in often.poll(at(m)) if a.rule == "phone_report"]
    assert kinds == ["due_soon", "overdue"]
    late = _engine()
    assert [(a.rule, a.kind) for a in late.poll(at(120))] == [
        ("phone_report", "overdue"),
        ("written_report", "overdue"),
    ]
