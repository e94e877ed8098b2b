"""Reading delays back out of received media: the stamps in decoded frames, the tones in
decoded voice (:mod:`shared.media.stamp`). Used by the tests, the benchmark and
``field-unit media --measure`` on a drill."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from shared.media import stamp
from shared.media.encoding import FrameDecoder


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class VideoMeter:
    """Decodes a track of H.264 packets and records each frame's glass-to-glass delay."""

    delays_ms: list[float] = field(default_factory=list)
    frames: int = 0
    unreadable: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    decode_errors: int = 0

    async def run(self, track: MediaStreamTrack) -> None:
        decoder = FrameDecoder("video", "h264")
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                packet = await track.recv()
                for frame in decoder.decode(packet):  # type: ignore[arg-type]
                    now = time.time()
                    luma = frame.to_ndarray(format="gray")
                    self.frames += 1
                    if not self.sizes or self.sizes[-1] != (frame.width, frame.height):
                        self.sizes.append((frame.width, frame.height))
                    captured = stamp.read(luma, int(now * 1000))
                    if captured is None:
                        self.unreadable += 1
                    else:
                        self.delays_ms.append(now * 1000 - captured)
        self.decode_errors = decoder.errors


@dataclass
class VoiceMeter:
    """Decodes a track of Opus packets and records each tone's mouth-to-ear delay."""

    delays_ms: list[float] = field(default_factory=list)
    frames: int = 0

    async def run(self, track: MediaStreamTrack) -> None:
        decoder = FrameDecoder("audio", "opus")
        listener = ToneListenerAdapter()
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                packet = await track.recv()
                for frame in decoder.decode(packet):  # type: ignore[arg-type]
                    self.frames += 1
                    for delay in listener.feed(frame, time.time()):
                        self.delays_ms.append(delay * 1000)


class ToneListenerAdapter:
    def __init__(self) -> None:
        self.listener = stamp.ToneListener()

    def feed(self, frame: object, arrived: float) -> list[float]:
        pcm = frame.to_ndarray()  # type: ignore[attr-defined]
        layout = frame.layout.name  # type: ignore[attr-defined]
        fmt = frame.format.name  # type: ignore[attr-defined]
        samples = pcm.astype(np.float64)
        if fmt in ("s16", "s16p"):
            samples /= 32768.0
        if layout == "stereo":
            samples = samples[0] if fmt.endswith("p") else samples.reshape(-1, 2)[:, 0]
        return self.listener.feed(samples.reshape(-1), arrived)
