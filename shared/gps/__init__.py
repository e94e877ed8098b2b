"""Positions for field units: NMEA-0183 from a serial GPS or a recorded file, with fix
quality, and the rate and distance filter that decides what is sent (no Qt)."""

from shared.gps.nmea import Fix, NmeaReader
from shared.gps.sources import GpsError, read_file, read_gpsd, read_serial, simulated
from shared.gps.throttle import SendFilter

__all__ = [
    "Fix",
    "GpsError",
    "NmeaReader",
    "SendFilter",
    "read_file",
    "read_gpsd",
    "read_serial",
    "simulated",
]
