"""An incident's affected area: a (lat, lon) ring checked before anything stores it.

The ring is projected to metres first (EPSG:4548) so the checks and the area figure mean
the same thing everywhere in the city; a ring that crosses itself is refused with the place
where it does, since a polygon that is not simple has no well-defined inside for CAP or an
assessment.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry import Polygon

from shared.domain.classification import DomainError
from shared.domain.incident import check_place
from shared.geo.project import to_metric_many, to_wgs84

MAX_AREA_KM2 = 20_000.0
"""Larger than the whole city (about 8,800 km²) with room: anything bigger is a mistake."""


def check_area(
    ring: Sequence[tuple[float, float]],
) -> tuple[list[tuple[float, float]], float, list[str]]:
    """Validate an area given as (lat, lon) points, closed or not.

    Returns:
        The closed ring (first point repeated last), its area in km², and warnings (points
        outside Hebei).

    Raises:
        DomainError: fewer than three distinct points, a point outside China, a ring that
            crosses itself (the message gives where), a zero or absurd area.
    """
    points = [(float(lat), float(lon)) for lat, lon in ring]
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(set(points)) < 3:
        raise DomainError("an area needs at least three distinct points (latitude, longitude)")
    warnings: list[str] = []
    for lat, lon in points:
        for w in check_place(lat, lon):
            if w not in warnings:
                warnings.append(w)
    xs, ys = to_metric_many([p[0] for p in points], [p[1] for p in points])
    poly = Polygon(zip(xs, ys, strict=True))
    if poly.area < 1.0:  # under a square metre: the points lie on one line
        raise DomainError("the area has no extent: its points lie on one line")
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        where = ""
        if "[" in reason:  # e.g. "Self-intersection[412345.6 4182345.1]"
            x, y = (float(v) for v in reason[reason.index("[") + 1 : reason.index("]")].split())
            lat, lon = to_wgs84(x, y)
            where = f" near {lat:.5f}, {lon:.5f}"
        kind = reason.split("[", 1)[0].lower()
        raise DomainError(
            f"the area is not a simple polygon ({kind}{where}): its edges must not cross; "
            "draw the points in order around the boundary"
        )
    # A sliver thinner than any real area (a square gives 1/16, a 1 km road 10 m wide
    # 1/400): the points lie on one line, give or take rounding.
    if poly.area < 1e-4 * poly.length**2:
        raise DomainError("the area has no extent: its points lie on one line")
    km2 = poly.area / 1e6
    if km2 > MAX_AREA_KM2:
        raise DomainError(
            f"the area covers {km2:,.0f} km², more than {MAX_AREA_KM2:,.0f} km²; check the points"
        )
    return [*points, points[0]], round(km2, 4), warnings
