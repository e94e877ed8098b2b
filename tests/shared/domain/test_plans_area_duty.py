"""Plans and response changes, area checks, duty and monitoring rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain import (
    DomainError,
    check_area,
    check_resource,
    check_shift,
    load_departments,
    load_plans,
    packaged_departments,
    packaged_plans,
    reading_severity,
    response_change,
)

DEPARTMENTS = """
[[departments]]
code = "fire"
name = "消防救援支队"
liaison = "liaison-fire"

[[departments]]
code = "health"
name = "卫生健康委"
liaison = "liaison-health"
"""

PLAN = """
[[plans]]
code = "p"
name = "测试预案"
types = []
[plans.levels.4]
departments = ["fire"]
checklist = [{{ item = "a", text = "first" }}]
[plans.levels.2]
departments = [{second}]
teams = ["team-1"]
checklist = [{{ item = "b", text = "second" }}]
"""


def test_packaged_plans_cover_every_department_they_name() -> None:
    plans = packaged_plans()
    known = {d.code for d in packaged_departments().departments}
    for plan in plans.plans:
        for level in range(1, 5):
            departments, checklist = plan.at(level)
            assert set(departments) <= known
            assert len({c.item for c in checklist}) == len(checklist)


def test_a_higher_level_adds_to_the_lower_ones() -> None:
    plan = load_plans(PLAN.format(second='"health"'), load_departments(DEPARTMENTS)).plans[0]
    assert plan.at(4)[0] == ["fire"]
    assert plan.at(3)[0] == ["fire"]  # no level 3 of its own: level 4's apply
    departments, checklist = plan.at(1)
    assert departments == ["fire", "health"]
    assert [c.item for c in checklist] == ["a", "b"]


def test_a_plan_naming_a_missing_department_is_refused_at_load() -> None:
    with pytest.raises(DomainError, match=r"plan 'p' level 2: unknown department 'police'"):
        load_plans(PLAN.format(second='"police"'), load_departments(DEPARTMENTS))


def test_a_plan_level_outside_one_to_four_is_refused() -> None:
    text = PLAN.format(second='"health"').replace("levels.2", "levels.5")
    with pytest.raises(DomainError, match="levels are"):
        load_plans(text, load_departments(DEPARTMENTS))


def test_response_changes_follow_the_rules() -> None:
    plan = load_plans(PLAN.format(second='"health"'), load_departments(DEPARTMENTS)).plans[0]
    start = response_change(plan, False, None, "activate", 4)
    assert (start.level, start.active, start.new_departments) == (4, True, ["fire"])
    up = response_change(plan, True, 4, "raise", 2)
    assert up.new_departments == ["health"] and up.new_teams == ["team-1"]
    assert response_change(plan, True, 2, "raise", 1).new_teams == []  # already ordered
    assert [c.item for c in up.new_checklist] == ["b"]
    down = response_change(plan, True, 2, "lower", 3)
    assert (down.level, down.new_departments) == (3, [])
    end = response_change(plan, True, 3, "end", None)
    assert end.active is False
    for args, message in [
        ((True, 4, "activate", 3), "already active"),
        ((True, 2, "raise", 3), "raising goes to a higher level"),
        ((True, 2, "lower", 1), "lowering goes to a lower level"),
        ((False, None, "end", None), "no active response"),
        ((False, None, "raise", 1), "activate one first"),
        ((False, None, "activate", None), "needs a response level"),
    ]:
        with pytest.raises(DomainError, match=message):
            response_change(plan, *args)  # type: ignore[arg-type]


def test_plan_for_a_type_falls_back_to_the_general_plan() -> None:
    plans = packaged_plans()
    assert plans.for_type("hazchem.leak").code == "hazchem"
    assert plans.for_type("earthquake").code == "general"
    with pytest.raises(DomainError, match="unknown plan 'nope'"):
        plans.for_type("flood", "nope")


SQUARE = [(37.70, 115.60), (37.70, 115.70), (37.75, 115.70), (37.75, 115.60)]


def test_an_area_is_closed_and_measured() -> None:
    ring, km2, warnings = check_area(SQUARE)
    assert ring[0] == ring[-1] and len(ring) == 5
    # 0.05° of latitude × 0.1° of longitude at 37.7°N ≈ 5.55 km × 8.80 km
    assert km2 == pytest.approx(5.55 * 8.80, rel=0.01)
    assert warnings == []


def test_a_self_intersecting_area_is_refused_with_where() -> None:
    bowtie = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]]
    with pytest.raises(DomainError, match=r"self-intersection near 37\.72\d+, 115\.6\d+"):
        check_area(bowtie)


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ([(37.7, 115.6), (37.8, 115.7)], "at least three distinct points"),
        ([(37.7, 115.6), (37.7, 115.6), (37.7, 115.6), (37.8, 115.7)], "three distinct"),
        ([(37.7, 117.0), (37.8, 117.0), (37.9, 117.0)], "no extent"),
        ([(-33.9, 151.2), (-33.9, 151.3), (-33.8, 151.3)], "outside China"),
        ([(36.0, 114.0), (36.0, 117.0), (39.0, 117.0), (39.0, 114.0)], "more than 20,000"),
    ],
)
def test_bad_areas_are_refused(ring: list[tuple[float, float]], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        check_area(ring)


def test_an_area_outside_hebei_is_accepted_with_a_warning() -> None:
    _ring, _km2, warnings = check_area([(31.2, 121.4), (31.2, 121.5), (31.3, 121.5)])
    assert warnings and "Hebei" in warnings[0]


def test_shift_must_end_after_it_starts_and_not_run_two_days() -> None:
    t = datetime(2026, 11, 25, 8, tzinfo=UTC)
    check_shift(t, t + timedelta(hours=24))
    with pytest.raises(DomainError, match="must end after it starts"):
        check_shift(t, t)
    with pytest.raises(DomainError, match="longer than the 48"):
        check_shift(t, t + timedelta(hours=49))


def test_monitoring_thresholds() -> None:
    assert reading_severity(21.99, 22.0, 23.5) is None
    assert reading_severity(22.0, 22.0, 23.5) == ("warning", 22.0)
    assert reading_severity(23.5, 22.0, 23.5) == ("alarm", 23.5)
    assert reading_severity(99.0, None, None) is None
    assert reading_severity(5.0, None, 5.0) == ("alarm", 5.0)


def test_resource_checks() -> None:
    ok = dict(capacity=0, occupancy=0, measure="", warn_at=None, alarm_at=None, draft_type="")
    assert check_resource("team", **ok) == []  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="monitoring points only"):
        check_resource("team", **{**ok, "warn_at": 1.0})  # type: ignore[arg-type]
    point = {**ok, "measure": "water_level_m"}
    with pytest.raises(DomainError, match="a warning comes first"):
        check_resource("monitoring_point", **{**point, "warn_at": 3.0, "alarm_at": 2.0})  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="must say what it measures"):
        check_resource("monitoring_point", **{**ok, "alarm_at": 2.0})  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="unknown incident type"):
        check_resource("monitoring_point", **{**point, "draft_type": "volcano"})  # type: ignore[arg-type]
    full = {**ok, "capacity": 100, "occupancy": 120}
    assert check_resource("shelter", **full) == ["occupancy 120 is above the capacity 100"]  # type: ignore[arg-type]
