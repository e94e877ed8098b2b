"""Alarm tones written as WAV files (generated, so nothing is shipped or fetched): the
command hall's alarm and the field client's new-order ring use them."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path


def write_tone(
    path: Path, tones_hz: tuple[float, ...], *, seconds: float = 0.5, rate: int = 22050
) -> Path:
    """A tone alternating between ``tones_hz`` (eight steps a second), as 16-bit mono WAV."""
    frames = bytearray()
    for i in range(int(rate * seconds)):
        hz = tones_hz[(i * 8 // rate) % len(tones_hz)]
        frames += struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path
