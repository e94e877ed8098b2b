"""Assessment (综合研判) of one incident against the city's resources.

For an incident: its hazard zone (a radius per type, or for a gas leak with known wind a
downwind sector), the facilities inside it, the population inside from a gridded layer,
the nearest available teams with estimated arrival, the shelters with free places, and the
suggested level with the criteria that triggered it. Geometry is done in EPSG:4548 metres
(never in degrees); spatial indexes are built once per :class:`AssessmentContext` so one
assessment costs milliseconds.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import msgspec
import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from shared.data import load_toml
from shared.domain.classification import DomainError
from shared.domain.grading import Grading
from shared.domain.incident import Incident
from shared.geo.project import to_metric, to_metric_many, to_wgs84_many


class PlumeParams(msgspec.Struct, frozen=True):
    """Downwind sector parameters for gas leaks."""

    types: list[str]
    source_radius_m: float
    half_angle_deg: float
    length_m_base: float
    length_m_per_mps: float
    max_length_m: float


class TravelParams(msgspec.Struct, frozen=True):
    """How arrival times are estimated."""

    road_factor: float
    default_speed_kmh: float
    speed_kmh: dict[str, float] = msgspec.field(default_factory=dict)


class AssessmentParams(msgspec.Struct, frozen=True):
    """All assessment parameters (``assessment.toml``)."""

    default_radius_m: float
    radius_m: dict[str, float]
    plume: PlumeParams
    travel: TravelParams
    nearest_teams: int = 5


@cache
def assessment_params() -> AssessmentParams:
    """The packaged parameters."""
    return load_toml("assessment.toml", AssessmentParams, error=DomainError)


class Facility(msgspec.Struct, frozen=True):
    """A facility that matters inside a hazard zone (school, hospital, chemical plant …)."""

    facility_id: str
    kind: str
    name: str
    lat: float
    lon: float


class Team(msgspec.Struct, frozen=True):
    """A rescue team or unit and whether it can be sent."""

    team_id: str
    kind: str
    name: str
    lat: float
    lon: float
    available: bool = True


class Shelter(msgspec.Struct, frozen=True):
    """A shelter (避难场所) with its capacity and current occupancy."""

    shelter_id: str
    name: str
    lat: float
    lon: float
    capacity: int
    occupancy: int = 0


class PopulationCell(msgspec.Struct, frozen=True):
    """A square cell of a population grid, centred at (lat, lon)."""

    lat: float
    lon: float
    size_m: float
    population: float


class Wind(msgspec.Struct, frozen=True):
    """Wind FROM ``direction_deg`` (meteorological) at ``speed_mps``."""

    direction_deg: float
    speed_mps: float


class TeamOption(msgspec.Struct, frozen=True):
    """An available team, its distance and estimated arrival."""

    team_id: str
    name: str
    kind: str
    distance_km: float
    eta_min: float


class ShelterOption(msgspec.Struct, frozen=True):
    """A shelter with free places and its distance."""

    shelter_id: str
    name: str
    free: int
    distance_km: float


class Assessment(msgspec.Struct, frozen=True):
    """The result of :func:`assess`."""

    incident_id: str
    zone_model: str
    zone_area_km2: float
    zone_wgs84: list[tuple[float, float]]  # (lat, lon) ring, first point repeated last
    facilities_inside: list[str]
    facilities_by_kind: dict[str, int]
    population_inside: int
    nearest_teams: list[TeamOption]
    shelters: list[ShelterOption]
    suggested_level: int | None
    level_criteria: list[str]


class AssessmentContext:
    """The city's resources with their spatial indexes, built once and reused."""

    def __init__(
        self,
        facilities: list[Facility],
        teams: list[Team],
        shelters: list[Shelter],
        population: list[PopulationCell],
        params: AssessmentParams | None = None,
    ) -> None:
        self.params = params or assessment_params()
        self.facilities = facilities
        fx, fy = to_metric_many([f.lat for f in facilities], [f.lon for f in facilities])
        self._facility_tree = STRtree(shapely.points(fx, fy))
        self.teams = teams
        tx, ty = to_metric_many([t.lat for t in teams], [t.lon for t in teams])
        self._team_xy = np.column_stack([tx, ty]) if teams else np.empty((0, 2))
        self._team_available = np.array([t.available for t in teams], bool)
        self.shelters = shelters
        sx, sy = to_metric_many([s.lat for s in shelters], [s.lon for s in shelters])
        self._shelter_xy = np.column_stack([sx, sy]) if shelters else np.empty((0, 2))
        self.population = population
        px, py = to_metric_many([c.lat for c in population], [c.lon for c in population])
        half = np.array([c.size_m / 2 for c in population])
        self._cells = shapely.box(px - half, py - half, px + half, py + half)
        self._cell_pop = np.array([c.population for c in population], float)
        self._cell_tree = STRtree(self._cells)

    def zone(self, incident: Incident, wind: Wind | None) -> tuple[str, BaseGeometry]:
        """The hazard zone in metric coordinates and the model that made it."""
        p = self.params
        x, y = to_metric(incident.lat, incident.lon)
        if wind is not None and incident.type_code in p.plume.types:
            if not (0 <= wind.direction_deg <= 360 and 0 <= wind.speed_mps <= 75):
                raise DomainError("wind direction must be 0–360° and speed 0–75 m/s")
            return "plume", _plume(x, y, wind, p.plume)
        head = incident.type_code.split(".", 1)[0]
        radius = p.radius_m.get(incident.type_code, p.radius_m.get(head, p.default_radius_m))
        return f"radius {radius:.0f} m", Point(x, y).buffer(radius, quad_segs=32)


def _plume(x: float, y: float, wind: Wind, p: PlumeParams) -> BaseGeometry:
    length = min(p.max_length_m, p.length_m_base + p.length_m_per_mps * wind.speed_mps)
    downwind = (wind.direction_deg + 180.0) % 360.0  # wind FROM north blows gas south
    steps = 24
    ring = [(x, y)]
    for i in range(steps + 1):
        bearing = math.radians(downwind - p.half_angle_deg + 2 * p.half_angle_deg * i / steps)
        ring.append((x + length * math.sin(bearing), y + length * math.cos(bearing)))
    return Polygon(ring).union(Point(x, y).buffer(p.source_radius_m, quad_segs=16))


def assess(
    incident: Incident,
    ctx: AssessmentContext,
    *,
    wind: Wind | None = None,
    grading: Grading | None = None,
) -> Assessment:
    """Assess ``incident`` against ``ctx``'s resources."""
    model, zone = ctx.zone(incident, wind)
    shapely.prepare(zone)
    # Facilities inside the zone.
    hits = ctx._facility_tree.query(zone, predicate="contains")
    inside = [ctx.facilities[i] for i in sorted(hits)]
    # Population: each intersecting cell contributes in proportion to the area inside.
    cells = ctx._cell_tree.query(zone, predicate="intersects")
    population = 0.0
    if len(cells):
        parts = shapely.area(shapely.intersection(ctx._cells[cells], zone))
        whole = shapely.area(ctx._cells[cells])
        population = float(np.sum(ctx._cell_pop[cells] * parts / whole))
    # Nearest available teams, with arrival estimated along roads.
    x, y = to_metric(incident.lat, incident.lon)
    teams: list[TeamOption] = []
    if len(ctx.teams):
        dist = np.hypot(ctx._team_xy[:, 0] - x, ctx._team_xy[:, 1] - y)
        dist = np.where(ctx._team_available, dist, np.inf)
        k = min(ctx.params.nearest_teams, int(np.isfinite(dist).sum()))
        travel = ctx.params.travel
        for i in np.argsort(dist)[:k]:
            team = ctx.teams[int(i)]
            speed = travel.speed_kmh.get(team.kind, travel.default_speed_kmh)
            km = float(dist[i]) / 1000
            eta = km * travel.road_factor / speed * 60
            teams.append(
                TeamOption(team.team_id, team.name, team.kind, round(km, 2), round(eta, 1))
            )
    # Shelters with free places, nearest first.
    shelters: list[ShelterOption] = []
    if len(ctx.shelters):
        dist = np.hypot(ctx._shelter_xy[:, 0] - x, ctx._shelter_xy[:, 1] - y)
        for i in np.argsort(dist):
            s = ctx.shelters[int(i)]
            if s.capacity > s.occupancy:
                shelters.append(
                    ShelterOption(
                        s.shelter_id,
                        s.name,
                        s.capacity - s.occupancy,
                        round(float(dist[i]) / 1000, 2),
                    )
                )
    # The zone for the map and CAP (WGS-84 lat,lon ring).
    ring = (
        np.asarray(shapely.get_exterior_ring(zone).coords)
        if zone.geom_type == "Polygon"
        else (np.asarray(shapely.get_exterior_ring(shapely.convex_hull(zone)).coords))
    )
    lats, lons = to_wgs84_many(ring[:, 0], ring[:, 1])
    graded = grading if grading is not None else incident.computed
    return Assessment(
        incident_id=incident.incident_id,
        zone_model=model,
        zone_area_km2=round(zone.area / 1e6, 3),
        zone_wgs84=[
            (round(float(a), 6), round(float(b), 6)) for a, b in zip(lats, lons, strict=True)
        ],
        facilities_inside=[f.facility_id for f in inside],
        facilities_by_kind=dict(Counter(f.kind for f in inside)),
        population_inside=round(population),
        nearest_teams=teams,
        shelters=shelters[: ctx.params.nearest_teams],
        suggested_level=incident.level if graded is None else graded.level,
        level_criteria=list(graded.triggered) if graded else [],
    )
