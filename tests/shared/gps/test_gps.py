"""NMEA parsing from recorded sentence files the tests write, the send filter, and a serial
GPS on a real pseudo-terminal that vanishes."""

from __future__ import annotations

import asyncio
import os
import tty
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.geo import distance_m
from shared.gps import GpsError, NmeaReader, SendFilter, read_file, read_serial


def _with_checksum(body: str) -> str:
    checksum = 0
    for ch in body[1:]:
        checksum ^= ord(ch)
    return f"{body}*{checksum:02X}"


def rmc(hhmmss: str, lat: str, ns: str, lon: str, ew: str, knots: str = "0.0") -> str:
    return _with_checksum(f"$GPRMC,{hhmmss}.00,A,{lat},{ns},{lon},{ew},{knots},87.5,251126,,,A")


def gga(hhmmss: str, lat: str, lon: str, quality: str = "2", sats: str = "09") -> str:
    return _with_checksum(
        f"$GPGGA,{hhmmss}.00,{lat},N,{lon},E,{quality},{sats},0.9,21.4,M,-8.0,M,,"
    )


def test_a_recorded_track_gives_fixes_with_quality_and_garbage_is_counted(tmp_path: Path) -> None:
    # 衡水 city centre, 37°44.400'N 115°40.200'E, moving east at 20 knots.
    lines = [
        gga("013000", "3744.4000", "11540.2000"),
        rmc("013000", "3744.4000", "N", "11540.2000", "E", "20.0"),
        "$GPRMC,013001.00,A,3744.4000,N,11540.2100,E,20.0,87.5,251126,,,A*00",  # bad checksum
        "\x00\xff\xfe garbage from a cold receiver",
        "$GPRMC,013002.00,A,3744.40",  # truncated
        _with_checksum("$GPRMC,013003.00,V,,,,,,,251126,,,N"),  # no fix yet
        "$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74",
        gga("013004", "3744.4000", "11540.2500", quality="4", sats="14"),
        rmc("013004", "3744.4000", "N", "11540.2500", "E", "20.0"),
    ]
    path = tmp_path / "track.nmea"
    path.write_bytes("\r\n".join(lines).encode("latin-1") + b"\r\n")
    reader = NmeaReader()

    async def collect() -> list[object]:
        return [f async for f in read_file(path, reader)]

    fixes = asyncio.run(collect())
    assert len(fixes) == 2
    first, second = fixes  # type: ignore[misc]
    assert first.lat == pytest.approx(37.74) and first.lon == pytest.approx(115.67)
    assert first.time == datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    assert first.speed_mps == pytest.approx(10.289, abs=0.001)
    assert (first.quality, first.quality_name, first.satellites) == (2, "DGPS", 9)
    assert (second.quality, second.quality_name, second.satellites) == (4, "RTK fixed", 14)
    assert first.hdop == 0.9 and first.altitude_m == 21.4
    assert reader.rejected == {"bad checksum": 2, "not ASCII": 1}  # truncated: no checksum
    assert reader.no_fix == 1


def test_southern_and_western_hemispheres_are_signed(tmp_path: Path) -> None:
    reader = NmeaReader()
    fix = reader.feed(rmc("120000", "3351.0000", "S", "15112.0000", "W"))
    assert fix is not None and fix.lat == pytest.approx(-33.85) and fix.lon == pytest.approx(-151.2)


def test_the_send_filter_keeps_rate_distance_and_a_heartbeat() -> None:
    reader = NmeaReader()

    def at(sec: int, east_m: float) -> object:
        # 0.0001' of longitude at 37.74°N is about 0.147 m
        minutes = 40.2 + east_m / 1000 / (111.32 * 0.7910) / 1000 * 60 * 1000
        return reader.feed(rmc(f"0130{sec:02d}", "3744.4000", "N", f"115{minutes:07.4f}", "E"))

    f = SendFilter(interval_s=2, min_distance_m=10, max_silence_s=20)
    fixes = [at(s, m) for s, m in [(0, 0), (1, 50), (2, 55), (4, 100), (6, 104), (30, 104)]]
    sent = [f.offer(x) for x in fixes]  # type: ignore[arg-type]
    # first; too soon; too close to the last sent … (55 m from 0 is far: sent at 2 s);
    # 4 s moved 45 m: sent; 6 s moved 4 m: not; 30 s: the heartbeat.
    assert sent == [True, False, True, True, False, True]
    assert distance_m(37.74, 115.67, 37.74, 115.68) == pytest.approx(881.0, rel=0.002)
    with pytest.raises(ValueError, match="longest silence"):
        SendFilter(interval_s=5, max_silence_s=1)


def test_a_serial_gps_on_a_pty_and_its_disappearance(tmp_path: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)

    async def scenario() -> tuple[list[object], str]:
        fixes: list[object] = []
        line = (rmc("013000", "3744.4000", "N", "11540.2000", "E") + "\r\n").encode()
        # Opening the port flushes its input, so the receiver speaks once it is open.
        asyncio.get_running_loop().call_later(0.5, os.write, master, line)
        error = ""
        try:
            async for fix in read_serial(port, 9600, timeout_s=0.2):
                fixes.append(fix)
                os.close(master)  # the receiver is pulled out
        except GpsError as exc:
            error = str(exc)
        return fixes, error

    fixes, error = asyncio.run(asyncio.wait_for(scenario(), 10))
    os.close(slave)
    assert len(fixes) == 1
    assert f"GPS port {port} stopped" in error and "reconnect the receiver" in error

    async def missing() -> None:
        async for _ in read_serial("/dev/ttyNOPE0"):
            pass

    with pytest.raises(GpsError, match=r"cannot open GPS port /dev/ttyNOPE0.*dialout"):
        asyncio.run(missing())
