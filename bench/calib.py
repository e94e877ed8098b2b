"""One fixed pure-Python loop, timed in the same run as a benchmark (``calib_loop_s``), so
figures from two machines (which differ up to 3x here) can be compared."""

from __future__ import annotations

import time


def calib_loop_s(n: int = 2_000_000) -> float:
    """Seconds for ``n`` rounds of a fixed integer loop (the best of three)."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        acc = 0
        for i in range(n):
            acc = (acc * 31 + i) & 0xFFFF
        best = min(best, time.perf_counter() - t0)
    return round(best, 4)
