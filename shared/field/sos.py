"""SOS and man-down on the field unit.

:class:`SosController` raises an emergency and repeats it every ``repeat_s`` seconds while
the link is up, until the command hall's acknowledgement shows in the picture; the first
alert goes through the durable outbox, so an SOS pressed with no link leaves as soon as there
is one. The sender may cancel it. :class:`ManDownWatch` raises a man-down pre-alarm when a
person on scene has not moved for ``still_s`` seconds; unless they answer within ``grace_s``,
the SOS goes out by itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.geo import distance_m
from shared.gps.nmea import Fix
from shared.protocol import Emergency, EmergencyState, new_id

log = logging.getLogger(__name__)


class SosController:
    """One person's emergency: raise, repeat until acknowledged, cancel."""

    def __init__(self, client: Any, *, repeat_s: float = 3.0, callsign: str = "") -> None:
        self.client = client
        self.repeat_s = repeat_s
        self.callsign = callsign
        self.alert_id: str | None = None
        self.trigger = "sos"
        self.acknowledged_by = ""
        self.sent = 0
        self.position: tuple[float, float] | None = None
        self.on_change: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """An emergency raised and not cancelled."""
        return self.alert_id is not None

    def _message(self, active: bool = True, note: str = "") -> Emergency:
        assert self.alert_id is not None
        lat, lon = self.position if self.position else (None, None)
        msg: Emergency = self.client.make(
            Emergency,
            alert_id=self.alert_id,
            trigger=self.trigger,
            active=active,
            lat=lat,
            lon=lon,
            callsign=self.callsign,
            note=note,
        )
        return msg

    async def raise_(self, trigger: str = "sos") -> str:
        """Raise an emergency (again pressing does nothing new); returns its alert id."""
        if self.alert_id is None:
            self.alert_id = f"SOS-{new_id()}"
            self.trigger = trigger
            self.acknowledged_by = ""
            await self.client.submit(self._message())  # durable: leaves when the link allows
            self.sent = 1
            self._task = asyncio.get_running_loop().create_task(self._repeat())
            self._changed()
        return self.alert_id

    async def cancel(self, note: str = "") -> None:
        """The sender is safe: withdraw the emergency."""
        if self.alert_id is None:
            return
        if self._task is not None:
            self._task.cancel()
        await self.client.submit(self._message(active=False, note=note or "本人取消"))
        self.alert_id = None
        self.acknowledged_by = ""
        self._changed()

    def on_state(self, value: object) -> None:
        """Picture listener: the hall's acknowledgement of our alert stops the repeats."""
        if (
            isinstance(value, EmergencyState)
            and (value.alert_id == self.alert_id or self.alert_id in value.aliases)
            and value.acknowledged_by
            and not self.acknowledged_by
        ):
            self.acknowledged_by = value.acknowledged_by
            if self._task is not None:
                self._task.cancel()
            self._changed()

    async def _repeat(self) -> None:
        from shared.client import LinkState

        while self.alert_id is not None and not self.acknowledged_by:
            await asyncio.sleep(self.repeat_s)
            if self.alert_id is None or self.acknowledged_by:
                return
            if self.client.state == LinkState.ONLINE:  # offline: the first one waits queued
                await self.client.submit(self._message())
                self.sent += 1

    def _changed(self) -> None:
        for callback in self.on_change:
            callback()


class ManDownWatch:
    """No movement beyond ``radius_m`` for ``still_s`` while on scene → a pre-alarm; no
    answer within ``grace_s`` → man-down is due."""

    def __init__(
        self, still_s: float = 120.0, grace_s: float = 30.0, radius_m: float = 5.0
    ) -> None:
        self.still_s = still_s
        self.grace_s = grace_s
        self.radius_m = radius_m
        self.on_scene = False
        self._counting = False
        self._anchor: Fix | None = None
        self._prealarm_at: datetime | None = None

    def feed(self, fix: Fix) -> str:
        """Take a fix; returns ``ok``, ``prealarm`` (ask the person) or ``man_down``."""
        if not self.on_scene or not self._counting:
            # off scene nothing counts; arriving on scene starts the count afresh
            self._counting = self.on_scene
            self._anchor, self._prealarm_at = fix, None
            return "ok"
        anchor = self._anchor
        if anchor is None or distance_m(anchor.lat, anchor.lon, fix.lat, fix.lon) > self.radius_m:
            self._anchor, self._prealarm_at = fix, None
            return "ok"
        still = (fix.time - anchor.time).total_seconds()
        if still < self.still_s:
            return "ok"
        if self._prealarm_at is None:
            self._prealarm_at = fix.time
        if fix.time - self._prealarm_at >= timedelta(seconds=self.grace_s):
            return "man_down"
        return "prealarm"

    def answered(self, fix_time: datetime | None = None) -> None:
        """The person said they are fine: start counting again."""
        if self._anchor is not None:
            self._anchor = Fix(self._anchor.lat, self._anchor.lon, fix_time or self._anchor.time)
        self._prealarm_at = None
