"""Synthetic camera and microphone: the test and drill sources (there is no camera here).

The video is a moving textured scene (so the encoder has real work to do, unlike a flat
colour) with the capture time painted in (:mod:`shared.media.stamp`); the audio is silence
with a timed tone every second. Both are paced by the wall clock like a real device: a frame
is handed out when it has been "captured", never earlier.
"""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

from shared.media import stamp

VIDEO_CLOCK = 90_000


class SyntheticVideoTrack(MediaStreamTrack):
    """``width × height`` at ``fps``, each frame stamped with its capture time."""

    kind = "video"

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0) -> None:
        super().__init__()
        if width % 2 or height % 2 or width < 64 or height < 64:
            raise ValueError(
                f"synthetic video needs even sizes of at least 64, not {width}x{height}"
            )
        self.width, self.height, self.fps = width, height, fps
        rng = np.random.default_rng(7)
        # a texture twice the frame's width so a sliding window moves across it
        base = rng.integers(40, 200, size=(-(-height // 8), width // 4), dtype=np.uint8)
        self._texture = np.kron(base, np.ones((8, 8), dtype=np.uint8))
        self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise asyncio.CancelledError
        now = time.time()
        if self._start is None:
            self._start = now
        due = self._start + self._count / self.fps
        if due > now:
            await asyncio.sleep(due - now)
        else:
            # late (a busy machine): skip ahead rather than flood the encoder
            missed = int((now - due) * self.fps)
            self._count += missed
        captured = time.time()
        shift = (self._count * 4) % (self._texture.shape[1] - self.width)
        plane = np.empty((self.height * 3 // 2, self.width), dtype=np.uint8)
        plane[: self.height] = self._texture[: self.height, shift : shift + self.width]
        plane[self.height :] = self._chroma
        stamp.paint(plane[: self.height], int(captured * 1000))
        frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
        frame.pts = int(self._count * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._count += 1
        return frame


class SyntheticAudioTrack(MediaStreamTrack):
    """48 kHz mono in 20 ms frames: silence, and the second's tone from each whole second."""

    kind = "audio"
    SAMPLES = 960

    def __init__(self, talk: bool = True) -> None:
        super().__init__()
        self.talk = talk
        self._next: int | None = None  # index of the next sample on the epoch clock

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise asyncio.CancelledError
        rate = stamp.SAMPLE_RATE
        if self._next is None:
            self._next = int(time.time() * rate)
        end = self._next + self.SAMPLES
        # a microphone hands out a frame once its last sample has been captured
        wait = end / rate - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.2:
            self._next = int(time.time() * rate) - self.SAMPLES
            end = self._next + self.SAMPLES
        samples = np.zeros(self.SAMPLES)
        if self.talk:
            second, offset = divmod(self._next, rate)
            samples += stamp.tone_samples(second, offset, self.SAMPLES)
            if offset + self.SAMPLES > rate:  # the frame straddles a second
                cut = rate - offset
                samples[cut:] += stamp.tone_samples(second + 1, 0, self.SAMPLES - cut)
        pcm = (samples * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = self._next
        frame.time_base = fractions.Fraction(1, rate)
        self._next = end
        return frame
