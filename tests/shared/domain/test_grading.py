"""Grading boundaries (生产安全事故 criteria) as properties, and the classification tree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import DomainError, Facts, classification, grade, load_classification, tables

TABLE = tables()["production_safety"]
DEATHS = [(0, 4), (2, 4), (3, 3), (9, 3), (10, 2), (29, 2), (30, 1), (300, 1)]
INJURED = [(9, 4), (10, 3), (49, 3), (50, 2), (99, 2), (100, 1)]
LOSS = [
    (9_999_999, 4),
    (10_000_000, 3),
    (49_999_999, 3),
    (50_000_000, 2),
    (99_999_999, 2),
    (100_000_000, 1),
]


@pytest.mark.parametrize(("dead", "level"), DEATHS)
def test_deaths_boundaries(dead: int, level: int) -> None:
    assert grade(TABLE, Facts(dead=dead)).level == level


@pytest.mark.parametrize(("injured", "level"), INJURED)
def test_serious_injury_boundaries(injured: int, level: int) -> None:
    assert grade(TABLE, Facts(seriously_injured=injured)).level == level


@pytest.mark.parametrize(("loss", "level"), LOSS)
def test_loss_boundaries_at_exactly_10_50_100_million(loss: int, level: int) -> None:
    assert grade(TABLE, Facts(direct_loss_cny=loss)).level == level


def _level_of(value: int, bounds: tuple[int, int, int]) -> int:
    return 1 if value >= bounds[0] else 2 if value >= bounds[1] else 3 if value >= bounds[2] else 4


@given(
    dead=st.integers(0, 200),
    injured=st.integers(0, 500),
    loss=st.integers(0, 300_000_000),
)
def test_the_highest_criterion_wins(dead: int, injured: int, loss: int) -> None:
    expected = min(
        _level_of(dead, (30, 10, 3)),
        _level_of(injured, (100, 50, 10)),
        _level_of(loss, (100_000_000, 50_000_000, 10_000_000)),
    )
    result = grade(TABLE, Facts(dead, injured, loss))
    assert result.level == expected
    assert bool(result.triggered) == (expected < 4)


@given(dead=st.integers(0, 100), more=st.integers(0, 100))
def test_more_casualties_never_lower_the_level(dead: int, more: int) -> None:
    assert grade(TABLE, Facts(dead=dead + more)).level <= grade(TABLE, Facts(dead=dead)).level  # type: ignore[operator]


def test_triggered_criteria_say_why() -> None:
    result = grade(TABLE, Facts(dead=3, seriously_injured=60))
    assert result.level == 2
    assert result.triggered == ["重伤 60 ≥ 50（Ⅱ级 重大）"]


def test_classification_has_the_four_classes_and_hengshui_types() -> None:
    tree = classification()
    assert [c.name for c in tree.classes.values()] == [
        "自然灾害",
        "事故灾难",
        "公共卫生事件",
        "社会安全事件",
    ]
    codes = {t.code for t in tree.types}
    assert {"flood", "fog", "hazchem", "road_traffic", "infectious_disease"} <= codes
    assert tree.type("flood.lake").code == "flood"
    with pytest.raises(DomainError, match="unknown incident type 'volcano'"):
        tree.type("volcano")


def test_a_type_in_an_unknown_class_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown class"):
        load_classification(
            '[classes.a]\nname="x"\nen="x"\n[[types]]\ncode="t"\nclass="b"\nname="t"\n'
        )
