"""GCJ-02 ⇄ WGS-84.

GCJ-02 is the offset datum required for published maps in mainland China; GPS, CAP and the
provincial platform use WGS-84 (Tianditu's CGCS2000 equals WGS-84 at map scale). Around
Hengshui the offset is a few hundred metres, so data that arrives in GCJ-02 (the cnmaps
boundaries, some vendors' POIs) must be converted explicitly.

The forward transform is the published formula (Krasovsky-1940 ellipsoid constants and a
polynomial-plus-sine distortion); outside China's rough bounding box it is the identity.
The inverse has no closed form: it is solved by fixed-point iteration to well under a
millimetre.
"""

from __future__ import annotations

from math import cos, pi, sin, sqrt

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared


def outside_china(lat: float, lon: float) -> bool:
    """True where GCJ-02 applies no offset (a rough bounding box, as in the reference)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _dlat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _dlon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) → GCJ-02 (lat, lon)."""
    if outside_china(lat, lon):
        return lat, lon
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * sin(radlat) ** 2
    sqrtmagic = sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * cos(radlat) * pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance_deg: float = 1e-10) -> tuple[float, float]:
    """GCJ-02 (lat, lon) → WGS-84 (lat, lon), iterating until the forward transform of the
    answer lands within ``tolerance_deg`` (≈ 0.01 mm) of the input."""
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        if abs(dlat) < tolerance_deg and abs(dlon) < tolerance_deg:
            break
        wlat -= dlat
        wlon -= dlon
    return wlat, wlon
