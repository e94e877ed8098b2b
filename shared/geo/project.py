"""Metric work in a projected CRS: never buffer or measure in degrees.

Hengshui lies in the 3-degree Gauss-Krüger zone with central meridian 117°E of CGCS2000
(EPSG:4548), the reference's first choice; pyproj ships its PROJ database in the wheel, so
this works offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod, Transformer

METRIC_CRS = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
GEOGRAPHIC_CRS = "EPSG:4326"  # WGS-84 (CGCS2000 equals it at these scales)
_WGS84 = Geod(ellps="WGS84")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on the WGS-84 ellipsoid, in metres (pyproj)."""
    _fwd, _back, dist = _WGS84.inv(lon1, lat1, lon2, lat2)
    return float(dist)


@cache
def _forward(crs: str) -> Transformer:
    return Transformer.from_crs(GEOGRAPHIC_CRS, crs, always_xy=True)


@cache
def _inverse(crs: str) -> Transformer:
    return Transformer.from_crs(crs, GEOGRAPHIC_CRS, always_xy=True)


def to_metric(lat: float, lon: float, crs: str = METRIC_CRS) -> tuple[float, float]:
    """(x east, y north) in metres of one WGS-84 point."""
    x, y = _forward(crs).transform(lon, lat)
    return float(x), float(y)


def to_metric_many(
    lats: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
    crs: str = METRIC_CRS,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised :func:`to_metric`."""
    x, y = _forward(crs).transform(np.asarray(lons, float), np.asarray(lats, float))
    return np.asarray(x), np.asarray(y)


def to_wgs84(x: float, y: float, crs: str = METRIC_CRS) -> tuple[float, float]:
    """(lat, lon) of a metric point."""
    lon, lat = _inverse(crs).transform(x, y)
    return float(lat), float(lon)


def to_wgs84_many(
    xs: NDArray[np.float64], ys: NDArray[np.float64], crs: str = METRIC_CRS
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised :func:`to_wgs84`: (lats, lons)."""
    lon, lat = _inverse(crs).transform(xs, ys)
    return np.asarray(lat), np.asarray(lon)
