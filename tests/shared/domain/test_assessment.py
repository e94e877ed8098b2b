"""Assessment against hand-computed geometry, and GCJ-02 ⇄ WGS-84."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from shared.domain import (
    AssessmentContext,
    Casualties,
    DomainError,
    Facility,
    PopulationCell,
    Shelter,
    Team,
    Wind,
    assess,
    new_incident,
)
from shared.geo import gcj02_to_wgs84, to_metric, to_wgs84, wgs84_to_gcj02

LAT, LON = 37.74, 115.67  # 衡水 city centre
X0, Y0 = to_metric(LAT, LON)
T = datetime(2026, 7, 12, 13, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")


def at(dx: float, dy: float) -> tuple[float, float]:
    """(lat, lon) of the point dx m east and dy m north of the incident (metric grid)."""
    return to_wgs84(X0 + dx, Y0 + dy)


def _incident(type_code: str = "fire", **kw: object):  # type: ignore[no-untyped-def]
    incident, _ = new_incident(
        incident_id="I-1",
        type_code=type_code,
        title="t",
        lat=LAT,
        lon=LON,
        division="131102",
        occurred=T,
        reported=T,
        **kw,
    )  # type: ignore[arg-type]
    return incident


def _ctx(facilities=(), teams=(), shelters=(), cells=()) -> AssessmentContext:  # type: ignore[no-untyped-def]
    return AssessmentContext(list(facilities), list(teams), list(shelters), list(cells))


def _facility(fid: str, dx: float, dy: float, kind: str = "school") -> Facility:
    return Facility(fid, kind, fid, *at(dx, dy))


def test_radius_zone_facilities_and_area() -> None:
    ctx = _ctx(
        facilities=[
            _facility("in-N", 0, 400),
            _facility("out-N", 0, 600),
            _facility("in-E", 450, 0, "hospital"),
            _facility("out-diag", 400, 400),
        ]
    )
    result = assess(_incident("fire"), ctx)  # fire: 500 m radius
    assert result.zone_model == "radius 500 m"
    assert sorted(result.facilities_inside) == ["in-E", "in-N"]
    assert result.facilities_by_kind == {"school": 1, "hospital": 1}
    assert result.zone_area_km2 == pytest.approx(math.pi * 0.25, rel=0.01)
    # The WGS-84 ring is closed and about 500 m from the centre everywhere.
    ring = result.zone_wgs84
    assert ring[0] == ring[-1]
    for lat, lon in ring[::8]:
        assert GEOD.inv(LON, LAT, lon, lat)[2] == pytest.approx(500, abs=5)


def test_population_is_apportioned_by_area() -> None:
    cell = PopulationCell(*at(0, 0), size_m=1000, population=1000)
    far = PopulationCell(*at(5000, 0), size_m=1000, population=99999)
    result = assess(_incident("fire"), _ctx(cells=[cell, far]))
    assert result.population_inside == pytest.approx(1000 * math.pi * 0.25, rel=0.01)


def test_gas_leak_plume_lies_downwind() -> None:
    ctx = _ctx(
        facilities=[
            _facility("south-2km", 0, -2000),
            _facility("north-2km", 0, 2000),
            _facility("east-2km", 2000, 0),
            _facility("north-200m", 0, 200),
        ]
    )
    wind = Wind(direction_deg=0, speed_mps=3)  # from the north: the gas goes south
    result = assess(_incident("hazchem.leak"), ctx, wind=wind)
    assert result.zone_model == "plume"
    assert sorted(result.facilities_inside) == ["north-200m", "south-2km"]  # source circle too
    without_wind = assess(_incident("hazchem.leak"), ctx)
    assert without_wind.zone_model == "radius 1500 m"
    with pytest.raises(DomainError, match="wind"):
        assess(_incident("hazchem.leak"), ctx, wind=Wind(400, 3))


def test_nearest_available_teams_with_arrival_and_shelters_with_room() -> None:
    teams = [
        Team("t-busy", "fire", "忙", *at(500, 0), available=False),
        Team("t-3k", "fire", "三", *at(0, 3000)),
        Team("t-1k", "ambulance", "一", *at(1000, 0)),
        Team("t-5k", "police", "五", *at(-5000, 0)),
    ]
    shelters = [
        Shelter("s-full", "满", *at(200, 0), capacity=100, occupancy=100),
        Shelter("s-room", "空", *at(0, 800), capacity=300, occupancy=120),
    ]
    result = assess(_incident("fire"), _ctx(teams=teams, shelters=shelters))
    assert [t.team_id for t in result.nearest_teams] == ["t-1k", "t-3k", "t-5k"]
    first = result.nearest_teams[0]
    assert first.distance_km == pytest.approx(1.0, abs=0.01)
    assert first.eta_min == pytest.approx(1.0 * 1.3 / 50 * 60, abs=0.1)  # ambulance 50 km/h
    assert [(s.shelter_id, s.free) for s in result.shelters] == [("s-room", 180)]


def test_suggested_level_comes_with_its_criteria() -> None:
    incident = _incident("fire", casualties=Casualties(dead=4))
    result = assess(incident, _ctx())
    assert result.suggested_level == 3
    assert result.level_criteria == ["死亡 4 ≥ 3（Ⅲ级 较大）"]


def test_gcj02_offset_around_hengshui_is_a_few_hundred_metres() -> None:
    glat, glon = wgs84_to_gcj02(LAT, LON)
    offset = GEOD.inv(LON, LAT, glon, glat)[2]
    assert 100 < offset < 800
    assert wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)  # no offset outside China


@given(st.floats(37.0, 38.5), st.floats(115.0, 116.6))
def test_gcj02_round_trip_is_exact_to_a_millimetre(lat: float, lon: float) -> None:
    back_lat, back_lon = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert GEOD.inv(lon, lat, back_lon, back_lat)[2] < 0.001
