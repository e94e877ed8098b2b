"""Geography (no Qt): Hengshui places, GCJ-02 ⇄ WGS-84, metric projection."""

from shared.geo.gcj02 import gcj02_to_wgs84, outside_china, wgs84_to_gcj02
from shared.geo.places import Place, city_centre, county_seats, find_place
from shared.geo.project import (
    METRIC_CRS,
    distance_m,
    to_metric,
    to_metric_many,
    to_wgs84,
    to_wgs84_many,
)

__all__ = [
    "METRIC_CRS",
    "Place",
    "city_centre",
    "county_seats",
    "distance_m",
    "find_place",
    "gcj02_to_wgs84",
    "outside_china",
    "to_metric",
    "to_metric_many",
    "to_wgs84",
    "to_wgs84_many",
    "wgs84_to_gcj02",
]
