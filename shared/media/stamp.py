"""Capture times carried inside the media itself, for glass-to-glass measurement.

Video: the capture time (milliseconds since the epoch, low 40 bits) and an 8-bit check are
painted as 48 black or white blocks in two rows across the top of the luma plane. Block
positions are proportional to the frame size, so the stamp survives the encoder, loss
recovery and the resolution steps of adaptation; the reader samples each block's centre.

Voice: a 40 ms tone starts exactly on every whole second of the sender's clock; its
frequency (one of eight) names the second modulo 8. The listener finds the onset in the
decoded audio to the sample and so knows when it was spoken, with no side channel.

Both ends compare against the same clock: on one machine (the benchmarks, the tests) that is
exact; across machines it needs the intranet's NTP (the offset is added to the figures).
"""

from __future__ import annotations

import math

import numpy as np

BITS = 40
CHECK_BITS = 8
BLOCKS = BITS + CHECK_BITS
ROWS = 2
PER_ROW = BLOCKS // ROWS
STAMP_HEIGHT_FRACTION = 0.08
"""The two rows together take this fraction of the frame's height from the top."""

_DARK, _LIGHT = 16, 235


def _check(value: int) -> int:
    acc = 0x5A
    for shift in range(0, BITS, 8):
        acc ^= (value >> shift) & 0xFF
        acc = ((acc << 1) | (acc >> 7)) & 0xFF
    return acc


def _cells(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Each block's (x0, x1, y0, y1), the same arithmetic on both ends."""
    strip = max(ROWS * 2, int(height * STAMP_HEIGHT_FRACTION))
    row_h = strip / ROWS
    col_w = width / PER_ROW
    cells = []
    for i in range(BLOCKS):
        row, col = divmod(i, PER_ROW)
        x0, x1 = int(col * col_w), int((col + 1) * col_w)
        y0, y1 = int(row * row_h), int((row + 1) * row_h)
        cells.append((x0, max(x1, x0 + 1), y0, max(y1, y0 + 1)))
    return cells


def paint(luma: np.ndarray, millis: int) -> None:
    """Paint ``millis`` into the luma plane (``height × width``, uint8) in place."""
    value = millis & ((1 << BITS) - 1)
    word = value | (_check(value) << BITS)
    height, width = luma.shape
    for i, (x0, x1, y0, y1) in enumerate(_cells(width, height)):
        luma[y0:y1, x0:x1] = _LIGHT if (word >> i) & 1 else _DARK


def read(luma: np.ndarray, now_millis: int) -> int | None:
    """The capture time painted in a decoded luma plane, or None when the stamp is damaged
    (a corrupted frame while the decoder recovers): the check bits must agree.

    ``now_millis`` restores the high bits dropped when painting (40 bits wrap every 35
    years, so the stamp is the most recent time with those low bits)."""
    height, width = luma.shape
    word = 0
    for i, (x0, x1, y0, y1) in enumerate(_cells(width, height)):
        cx0, cx1 = x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4
        cy0, cy1 = y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4
        patch = luma[cy0 : max(cy1, cy0 + 1), cx0 : max(cx1, cx0 + 1)]
        if float(patch.mean()) > (_DARK + _LIGHT) / 2:
            word |= 1 << i
    value = word & ((1 << BITS) - 1)
    if (word >> BITS) != _check(value):
        return None
    span = 1 << BITS
    base = now_millis - (now_millis % span)
    stamp = base + value
    if stamp > now_millis + 60_000:
        stamp -= span
    return stamp


# --- voice --------------------------------------------------------------------------------

SAMPLE_RATE = 48_000
TONE_S = 0.040
TONES_HZ = tuple(700.0 + 150.0 * k for k in range(8))
"""The tone that starts on second ``s`` has frequency ``TONES_HZ[s % 8]``."""


def tone_samples(second: int, start: int, count: int, amplitude: float = 0.5) -> np.ndarray:
    """Samples ``start … start+count`` (counted from the whole second) of that second's
    tone, float in [-1, 1]; zero outside the tone."""
    n = np.arange(start, start + count)
    inside = n < int(TONE_S * SAMPLE_RATE)
    freq = TONES_HZ[second % len(TONES_HZ)]
    ramp = np.minimum(1.0, np.minimum(n, int(TONE_S * SAMPLE_RATE) - n) / 48.0)
    wave = amplitude * np.sin(2 * math.pi * freq * n / SAMPLE_RATE) * np.clip(ramp, 0, 1)
    return np.where(inside, wave, 0.0)


def _goertzel_power(x: np.ndarray, freq: float) -> float:
    w = 2 * math.pi * freq / SAMPLE_RATE
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x.tolist():
        s0 = v + coeff * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


class ToneListener:
    """Finds tone onsets in a stream of decoded audio and turns each into a one-way delay.

    Feed it each decoded frame (mono float samples) with the wall time it became available;
    :meth:`feed` returns the delays (seconds) of the onsets found in it.
    """

    def __init__(self, threshold: float = 0.05) -> None:
        self.threshold = threshold
        self._quiet = True
        self._pending: tuple[float, np.ndarray] | None = None

    def feed(self, samples: np.ndarray, arrived: float) -> list[float]:
        found: list[float] = []
        if self._pending is not None:
            # an onset near the end of the last frame: identify it with this frame's samples
            onset_time, head = self._pending
            self._pending = None
            found.extend(self._identify(np.concatenate([head, samples]), onset_time))
        loud = np.abs(samples) > self.threshold
        if self._quiet and loud.any():
            i = int(np.argmax(loud))
            # the frame's last sample plays at ``arrived``: sample i is earlier by the rest
            onset_time = arrived - (len(samples) - i) / SAMPLE_RATE
            # walk back over the ramp: the tone starts a few samples before crossing
            onset_time -= self._ramp_offset()
            window = samples[i:]
            if len(window) < 480:
                self._pending = (onset_time, window)
            else:
                found.extend(self._identify(window, onset_time))
            self._quiet = False
        elif not self._quiet and np.sqrt(np.mean(samples**2)) < self.threshold / 4:
            self._quiet = True
        return found

    def _ramp_offset(self) -> float:
        # the ramp reaches the threshold after threshold/amplitude of its 48 samples
        return (48 * min(1.0, self.threshold / 0.5)) / SAMPLE_RATE

    @staticmethod
    def _identify(window: np.ndarray, onset_time: float) -> list[float]:
        part = window[:960]
        powers = [_goertzel_power(part, f) for f in TONES_HZ]
        k = int(np.argmax(powers))
        # the most recent whole second with that residue at or before the onset
        second = math.floor(onset_time)
        while second % len(TONES_HZ) != k:
            second -= 1
        return [onset_time - second]
