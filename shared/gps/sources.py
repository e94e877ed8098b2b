"""Where NMEA lines come from: a serial port (pyserial) or a recorded file.

Both are async iterators of :class:`~shared.gps.nmea.Fix` so the field client treats them
alike. A serial port that vanishes (USB receiver pulled, cable cut) raises
:class:`GpsError` naming the port and what to check; the caller shows it and retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import serial

from shared.gps.nmea import Fix, NmeaReader


class GpsError(Exception):
    """The position source failed; the message says what to check."""


async def read_file(
    path: Path, reader: NmeaReader | None = None, *, pace_s: float = 0.0
) -> AsyncIterator[Fix]:
    """Replay a recorded NMEA file, one fix at a time (``pace_s`` between lines)."""
    reader = reader or NmeaReader()
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise GpsError(f"cannot read NMEA file {path}: {exc.strerror}") from None
    for raw in data.splitlines():
        fix = reader.feed(raw)
        if pace_s:
            await asyncio.sleep(pace_s)
        if fix is not None:
            yield fix


async def read_serial(
    port: str, baud: int = 4800, reader: NmeaReader | None = None, *, timeout_s: float = 1.0
) -> AsyncIterator[Fix]:
    """Read a serial GPS (4800 baud is NMEA-0183's standard rate; many run at 9600).

    Raises:
        GpsError: the port cannot be opened, or stops (unplugged) while reading.
    """
    reader = reader or NmeaReader()
    try:
        dev = await asyncio.to_thread(serial.Serial, port, baud, timeout=timeout_s)
    except (serial.SerialException, OSError) as exc:
        raise GpsError(
            f"cannot open GPS port {port}: {exc}; check the cable, the port name and that "
            "the user may read it (group dialout)"
        ) from None
    try:
        while True:
            try:
                raw = await asyncio.to_thread(dev.readline)
            except (serial.SerialException, OSError) as exc:
                raise GpsError(f"GPS port {port} stopped: {exc}; reconnect the receiver") from None
            if not raw:
                continue  # a quiet second: no fix yet, the receiver still warming up
            fix = reader.feed(raw)
            if fix is not None:
                yield fix
    finally:
        await asyncio.to_thread(dev.close)
