"""What is received, made ready to hear and to see: Opus packets → 48 kHz mono 16-bit PCM
for a loudspeaker, H.264 (live or recorded) → RGB pictures for a screen, recordings paced
at their own speed. No Qt: the windows only put the pictures on screen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any, NamedTuple

import av

from shared.media.encoding import FrameDecoder


class VoiceDecoder:
    """Decodes one stream's Opus packets to PCM bytes for a speaker."""

    def __init__(self) -> None:
        self.decoder = FrameDecoder("audio", "opus")
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)

    def pcm(self, packet: Any) -> bytes:
        out = bytearray()
        for frame in self.decoder.decode(packet):
            for part in self.resampler.resample(frame):
                out += bytes(part.planes[0])[: part.samples * 2]
        return bytes(out)


# --- pictures -----------------------------------------------------------------------------


class Picture(NamedTuple):
    """One video frame as rows of 24-bit RGB, ready for a screen (a Qt ``QImage``)."""

    data: bytes
    width: int
    height: int
    stride: int


def picture(frame: Any, max_width: int) -> Picture:
    """``frame`` scaled to at most ``max_width`` (never below 64×36; even sizes, as the
    scaler wants), its aspect kept."""
    w = max(64, min(frame.width, max_width) // 2 * 2)
    h = max(36, int(w * frame.height / frame.width) // 2 * 2)
    rgb = frame.reformat(width=w, height=h, format="rgb24")
    plane = rgb.planes[0]
    return Picture(bytes(plane), w, h, plane.line_size)


async def live_pictures(track: Any, width: Callable[[], int]) -> AsyncGenerator[Picture, None]:
    """The pictures of a received H.264 track, decoded in a worker thread and scaled to the
    ``width()`` of where they are shown at that moment. Stops the track when it ends."""
    decoder = FrameDecoder("video", "h264")
    loop = asyncio.get_running_loop()

    def decode(packet: Any, max_width: int) -> Picture | None:
        frames = decoder.decode(packet)
        return picture(frames[-1], max_width) if frames else None

    try:
        while True:
            packet = await track.recv()
            out = await loop.run_in_executor(None, decode, packet, width())
            if out is not None:
                yield out
    finally:
        track.stop()


async def paced_pictures(
    path: Path, *, fps: float = 30.0, max_width: int = 960
) -> AsyncGenerator[Picture, None]:
    """A recording's pictures at its own pace (picture n at n/``fps`` s after the first),
    decoded one at a time in a worker thread: a long recording is never held in memory."""
    from shared.media.recording import iter_frames

    loop = asyncio.get_running_loop()
    frames = iter_frames(path)
    started = time.monotonic()
    shown = 0
    try:
        while True:
            frame = await loop.run_in_executor(None, next, frames, None)
            if frame is None:
                return
            yield picture(frame, max_width)
            shown += 1
            await asyncio.sleep(max(0.0, started + shown / fps - time.monotonic()))
    finally:
        frames.close()
