"""NMEA-0183 sentences to fixes, with pynmea2 doing the parsing.

A GPS receiver says where it is in two sentences per second or so: RMC (position, time, date,
speed over ground, course, and whether the fix is valid) and GGA (position, fix quality,
satellites, HDOP, altitude). :class:`NmeaReader` takes lines as they come, keeps the latest
GGA quality figures, and yields a :class:`Fix` for every valid RMC. Garbage — a bad checksum,
a truncated line, binary noise, an unknown talker — is counted with its reason and skipped,
never raised: a receiver that babbles must not stop the unit from reporting.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import msgspec
import pynmea2

KNOT_MPS = 0.514444
QUALITY_NAMES = {
    0: "no fix",
    1: "GPS",
    2: "DGPS",
    3: "PPS",
    4: "RTK fixed",
    5: "RTK float",
    6: "estimated",
    7: "manual",
    8: "simulation",
}


class Fix(msgspec.Struct, frozen=True):
    """A valid position fix (WGS-84)."""

    lat: float
    lon: float
    time: datetime
    speed_mps: float | None = None
    heading_deg: float | None = None
    quality: int = 1
    """GGA fix quality (1 GPS, 2 DGPS, 4/5 RTK …); see :data:`QUALITY_NAMES`."""
    satellites: int | None = None
    hdop: float | None = None
    altitude_m: float | None = None

    @property
    def quality_name(self) -> str:
        """The fix quality in words, for the status bar."""
        return QUALITY_NAMES.get(self.quality, f"quality {self.quality}")


class NmeaReader:
    """Feed lines, get fixes; bad lines are counted in :attr:`rejected` by reason."""

    def __init__(self) -> None:
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.no_fix = 0
        self._gga: pynmea2.GGA | None = None

    def feed(self, line: str | bytes) -> Fix | None:
        """One line; returns a fix when the line completes one."""
        if isinstance(line, bytes):
            try:
                line = line.decode("ascii")
            except UnicodeDecodeError:
                self.rejected["not ASCII"] += 1
                return None
        line = line.strip()
        if not line:
            return None
        if not line.startswith(("$", "!")) or len(line) > 120:
            self.rejected["not a sentence"] += 1
            return None
        try:
            msg = pynmea2.parse(line, check=True)
        except pynmea2.ChecksumError:
            self.rejected["bad checksum"] += 1
            return None
        except pynmea2.ParseError:
            self.rejected["unparsable"] += 1
            return None
        except (ValueError, IndexError, AttributeError, TypeError):
            self.rejected["malformed fields"] += 1
            return None
        try:
            return self._use(msg)
        except (ValueError, TypeError, AttributeError):
            self.rejected["malformed fields"] += 1
            return None

    def _use(self, msg: object) -> Fix | None:
        if isinstance(msg, pynmea2.GGA):
            self.accepted += 1
            self._gga = msg
            return None
        if not isinstance(msg, pynmea2.RMC):
            self.accepted += 1  # other sentences (GSA, GSV, VTG …) are fine, not needed
            return None
        self.accepted += 1
        if msg.status != "A" or not msg.lat or not msg.lon:
            self.no_fix += 1
            return None
        lat, lon = float(msg.latitude), float(msg.longitude)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("position out of range")
        if msg.datestamp is None or msg.timestamp is None:
            raise ValueError("no date or time")
        when = datetime.combine(msg.datestamp, msg.timestamp)
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        speed = float(msg.spd_over_grnd) * KNOT_MPS if msg.spd_over_grnd not in (None, "") else None
        course = float(msg.true_course) if msg.true_course not in (None, "") else None
        gga = self._gga
        quality, sats, hdop, alt = 1, None, None, None
        if gga is not None and gga.timestamp == msg.timestamp:
            quality = int(gga.gps_qual or 0) or 1
            sats = int(gga.num_sats) if gga.num_sats else None
            hdop = float(gga.horizontal_dil) if gga.horizontal_dil else None
            alt = float(gga.altitude) if gga.altitude not in (None, "") else None
        return Fix(lat, lon, when, speed, course, quality, sats, hdop, alt)
