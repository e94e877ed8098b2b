"""Simulated unit tracks: vehicles driving between Hengshui's county seats.

Each unit drives from seat to seat at a speed typical of its type, with GPS-like jitter,
pausing at each destination. Movement uses a local flat-earth step (metres → degrees at the
unit's latitude), accurate to well under a metre per second-long step at these distances;
metric analysis elsewhere uses proper projections.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shared.geo.places import Place, county_seats

EARTH_M_PER_DEG = 111_320.0
UNIT_TYPES = (("fire", 14.0), ("ambulance", 16.0), ("police", 15.0), ("rescue", 12.0))


@dataclass
class SimUnit:
    """One simulated unit and its state on its track."""

    unit_id: str
    unit_type: str
    callsign: str
    lat: float
    lon: float
    speed_mps: float
    target: Place
    heading_deg: float = 0.0
    pause_s: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def step(self, dt: float, seats: list[Place]) -> None:
        """Advance ``dt`` seconds along the track."""
        if self.pause_s > 0:
            self.pause_s = max(0.0, self.pause_s - dt)
            return
        dy = (self.target.lat - self.lat) * EARTH_M_PER_DEG
        dx = (self.target.lon - self.lon) * EARTH_M_PER_DEG * math.cos(math.radians(self.lat))
        dist = math.hypot(dx, dy)
        travel = self.speed_mps * dt
        if dist <= travel:
            self.lat, self.lon = self.target.lat, self.target.lon
            self.pause_s = self.rng.uniform(5, 60)
            self.target = self.rng.choice([s for s in seats if s != self.target])
            return
        self.heading_deg = math.degrees(math.atan2(dx, dy)) % 360.0
        self.lat += dy / dist * travel / EARTH_M_PER_DEG
        self.lon += dx / dist * travel / (EARTH_M_PER_DEG * math.cos(math.radians(self.lat)))

    def fix(self) -> tuple[float, float]:
        """The position as a GPS would report it (a few metres of jitter)."""
        j = 3.0 / EARTH_M_PER_DEG
        return self.lat + self.rng.gauss(0, j), self.lon + self.rng.gauss(0, j)


def make_units(prefix: str, n: int, seed: int = 0) -> list[SimUnit]:
    """``n`` units on the roads between county seats, each heading to a seat."""
    rng = random.Random(seed)
    seats = county_seats()
    units = []
    for i in range(n):
        kind, speed = UNIT_TYPES[i % len(UNIT_TYPES)]
        start, target = rng.sample(seats, 2)
        along = rng.random()  # somewhere on the road between the two seats
        units.append(
            SimUnit(
                unit_id=f"{prefix}-{i + 1:04d}",
                unit_type=kind,
                callsign=f"{kind.upper()}-{i + 1}",
                lat=start.lat + (target.lat - start.lat) * along + rng.uniform(-0.005, 0.005),
                lon=start.lon + (target.lon - start.lon) * along + rng.uniform(-0.005, 0.005),
                speed_mps=speed * rng.uniform(0.7, 1.3),
                target=target,
                rng=random.Random(rng.random()),
            )
        )
    return units
