"""Which fixes to send: at most one per interval, and only after moving far enough — but
always at least one per ``max_silence_s`` so the hall knows the unit is still there."""

from __future__ import annotations

from datetime import datetime

from shared.geo import distance_m
from shared.gps.nmea import Fix


class SendFilter:
    """Decide, fix by fix, whether to send.

    Args:
        interval_s: the shortest time between two sends.
        min_distance_m: the distance moved since the last send that makes a fix worth
            sending (0: every interval).
        max_silence_s: send anyway when nothing was sent for this long.
    """

    def __init__(
        self, interval_s: float = 1.0, min_distance_m: float = 10.0, max_silence_s: float = 30.0
    ) -> None:
        if interval_s < 0 or min_distance_m < 0 or max_silence_s < interval_s:
            raise ValueError(
                "interval and distance must be ≥ 0, and the longest silence ≥ the interval"
            )
        self.interval_s = interval_s
        self.min_distance_m = min_distance_m
        self.max_silence_s = max_silence_s
        self._last: Fix | None = None
        self._last_at: datetime | None = None

    def offer(self, fix: Fix) -> bool:
        """Whether to send ``fix`` (and remember it as sent when so)."""
        last, at = self._last, self._last_at
        if last is None or at is None:
            return self._take(fix)
        elapsed = (fix.time - at).total_seconds()
        if elapsed < 0:
            return False  # an older fix than the one sent: a receiver replaying its buffer
        if elapsed >= self.max_silence_s:
            return self._take(fix)
        if elapsed < self.interval_s:
            return False
        if distance_m(last.lat, last.lon, fix.lat, fix.lon) >= self.min_distance_m:
            return self._take(fix)
        return False

    def _take(self, fix: Fix) -> bool:
        self._last, self._last_at = fix, fix.time
        return True
