"""Stepping video down under loss and back up after (a field link may be 1 Mbit/s and lossy).

:class:`LossAdapter` is the rule, pure: it sees each receiver report's fraction lost and
answers with the ladder rung to use. Down one rung when the loss of two reports in a row is
at or above ``down_at`` (one lossy report may be a burst), at most every ``hold_s``; up one
rung after ``up_after_s`` without a report above ``up_below``. :class:`AdaptationLoop`
feeds it from aiortc's receiver-report statistics and moves a shared encoder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.media.encoding import Worker

log = logging.getLogger(__name__)


@dataclass
class LossAdapter:
    rungs: int
    down_at: float = 0.04
    up_below: float = 0.01
    hold_s: float = 2.0
    up_after_s: float = 6.0
    index: int = 0
    history: list[tuple[float, float, int]] = field(default_factory=list)
    _lossy_in_row: int = 0
    _last_move: float = float("-inf")
    _clean_since: float | None = None

    def observe(self, fraction_lost: float, now: float) -> int:
        """The rung to use after a report of ``fraction_lost`` (0–1) at ``now`` (seconds)."""
        if fraction_lost >= self.down_at:
            self._lossy_in_row += 1
            self._clean_since = None
        else:
            self._lossy_in_row = 0
            if fraction_lost < self.up_below:
                if self._clean_since is None:
                    self._clean_since = now
            else:
                self._clean_since = None
        if (
            self._lossy_in_row >= 2
            and now - self._last_move >= self.hold_s
            and self.index < self.rungs - 1
        ):
            self.index += 1
            self._last_move = now
            self._lossy_in_row = 0
        elif (
            self._clean_since is not None
            and now - self._clean_since >= self.up_after_s
            and now - self._last_move >= self.up_after_s
            and self.index > 0
        ):
            self.index -= 1
            self._last_move = now
            self._clean_since = now
        self.history.append((now, fraction_lost, self.index))
        del self.history[:-600]
        return self.index


class AdaptationLoop(Worker):
    """Every ``period_s``: the worst fraction lost any of ``senders`` reports → the encoder's
    rung. ``senders`` is called each time (viewers come and go)."""

    def __init__(
        self,
        encoder: Any,
        senders: Callable[[], Iterable[Any]],
        period_s: float = 1.0,
        adapter: LossAdapter | None = None,
    ) -> None:
        self.encoder = encoder
        self.senders = senders
        self.period_s = period_s
        self.adapter = adapter or LossAdapter(len(encoder.ladder))
        self._seen: dict[int, Any] = {}

    async def _worst_loss(self) -> float | None:
        worst: float | None = None
        for sender in list(self.senders()):
            try:
                report = await sender.getStats()
            except Exception:
                continue
            for stats in report.values():
                if getattr(stats, "type", "") != "remote-inbound-rtp":
                    continue
                # a report already seen is not news (receivers report about once a second)
                key = id(sender)
                stamp = (stats.timestamp, stats.packetsLost)
                if self._seen.get(key) == stamp:
                    continue
                self._seen[key] = stamp
                lost = (stats.fractionLost or 0) / 256.0
                worst = lost if worst is None else max(worst, lost)
        return worst

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.period_s)
            lost = await self._worst_loss()
            if lost is None:
                continue
            rung = self.adapter.observe(lost, loop.time())
            if rung != self.encoder.step_index:
                log.info(
                    "video rung %d → %d (loss %.1f%%)", self.encoder.step_index, rung, lost * 100
                )
                self.encoder.set_step(rung)
