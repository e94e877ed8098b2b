"""Places typed by name and places described in words (the hall's 接报登记 form and its SOS
bar use these two, over the county seats and the facilities the hall knows)."""

from __future__ import annotations

from shared.geo import find_place
from shared.geo.boundaries import describe_place

DEPOT = ("景县消防救援大队", 37.70, 116.25)


def test_a_county_or_a_facility_is_found_by_its_name_or_part_of_it() -> None:
    assert find_place("景县") == (37.692, 116.27)  # the county's seat, not the depot
    assert find_place("景县消防救援大队", [DEPOT]) == (37.70, 116.25)
    assert find_place("消防", [DEPOT]) == (37.70, 116.25)
    assert find_place("  桃城区 ") == (37.735, 115.675)


def test_nothing_is_found_for_an_unknown_or_empty_name() -> None:
    assert find_place("不存在的地方", [DEPOT]) is None
    assert find_place("", [DEPOT]) is None
    assert find_place("   ") is None


def test_a_point_is_described_by_its_county_and_the_nearest_named_place() -> None:
    near_depot = describe_place(37.705, 116.25, [DEPOT])
    assert near_depot.county == "景县"
    assert near_depot.near == "景县消防救援大队"
    assert near_depot.near_m is not None and 500 < near_depot.near_m < 600
    seat = describe_place(37.80, 115.89)
    assert (seat.county, seat.near) == ("武邑县", "武邑县驻地")


def test_a_point_outside_the_city_has_no_county() -> None:
    beijing = describe_place(39.9, 116.4, [DEPOT])
    assert beijing.county is None and beijing.near is None
