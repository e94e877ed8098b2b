"""Where NMEA lines come from: a serial port (pyserial) or a recorded file.

Both are async iterators of :class:`~shared.gps.nmea.Fix` so the field client treats them
alike. A serial port that vanishes (USB receiver pulled, cable cut) raises
:class:`GpsError` naming the port and what to check; the caller shows it and retries.
"""

from __future__ import annotations

import asyncio
import math
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


async def read_gpsd(host: str = "127.0.0.1", port: int = 2947) -> AsyncIterator[Fix]:
    """Fixes from a gpsd daemon (its JSON protocol: ``?WATCH``, then TPV reports).

    Reports other than TPV, TPV without a 2D/3D fix, and lines that are not JSON are
    skipped.

    Raises:
        GpsError: gpsd cannot be reached, or closes the connection.
    """
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        raise GpsError(
            f"cannot reach gpsd at {host}:{port}: {exc.strerror or exc}; is gpsd running?"
        ) from None
    try:
        writer.write(b'?WATCH={"enable":true,"json":true};\n')
        await writer.drain()
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # a line over the stream's limit: dropped, read on
                continue
            if not line:
                raise GpsError(f"gpsd at {host}:{port} closed the connection")
            fix = tpv_fix(line)
            if fix is not None:
                yield fix
    finally:
        writer.close()


async def simulated(
    unit_id: str = "SIM", *, rate_hz: float = 1.0, seed: int = 1
) -> AsyncIterator[Fix]:
    """A simulated receiver moving between Hengshui's county seats (demos, tests)."""
    from datetime import UTC, datetime

    from shared.geo import county_seats
    from shared.sim import make_units

    unit = make_units(unit_id, 1, seed=seed)[0]
    seats = county_seats()
    while True:
        unit.step(1.0 / rate_hz, seats)
        lat, lon = unit.fix()
        yield Fix(
            lat,
            lon,
            datetime.now(UTC),
            speed_mps=unit.speed_mps,
            heading_deg=unit.heading_deg,
            quality=8,
        )
        await asyncio.sleep(1.0 / rate_hz)


def tpv_fix(line: bytes) -> Fix | None:
    """The fix in one line of gpsd's JSON, or None: reports other than TPV, TPV without a
    2D/3D fix, positions out of range and lines that are not JSON (or not the types gpsd
    writes) are skipped. Never raises, whatever the line."""
    import json
    from datetime import UTC, datetime

    try:
        report = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(report, dict) or report.get("class") != "TPV":
        return None
    mode, lat, lon = _num(report.get("mode")), _num(report.get("lat")), _num(report.get("lon"))
    if mode is None or mode < 2 or lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    try:
        when = datetime.fromisoformat(str(report.get("time", "")).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except ValueError:
        when = datetime.now(UTC)
    return Fix(
        lat,
        lon,
        when,
        speed_mps=_num(report.get("speed")),
        heading_deg=_num(report.get("track")),
        quality=2 if report.get("status") == 2 else 1,
        altitude_m=_num(report.get("alt")),
    )


def _num(value: object) -> float | None:
    """A finite number, or None (gpsd writes numbers; anything else is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float (found by ./run fuzz gpsd)
        return None
    return number if math.isfinite(number) else None
