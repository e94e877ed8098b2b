"""Who is online: last contact per device, and the online / stale / offline status the
hall shows, derived from it on each tick."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from shared.protocol import PresenceState


class Presence:
    """Last contact per device and the online / stale / offline status derived from it."""

    def __init__(self, heartbeat_s: float, offline_after: int) -> None:
        self.stale_after = heartbeat_s * 1.5
        self.offline_after = heartbeat_s * offline_after
        self.last_seen: dict[str, float] = {}
        self.status: dict[str, str] = {}
        self.roles: dict[str, str] = {}

    def touch(self, device: str, role: str, now: float) -> bool:
        """Record contact; True when the device just came online."""
        self.last_seen[device] = now
        self.roles[device] = role
        if self.status.get(device) != "online":
            self.status[device] = "online"
            return True
        return False

    def sweep(self, now: float) -> list[str]:
        """Devices whose status changed since the last sweep."""
        changed = []
        for device, seen in self.last_seen.items():
            age = now - seen
            status = "online" if age < self.stale_after else "stale"
            if age >= self.offline_after:
                status = "offline"
            if self.status.get(device) != status:
                self.status[device] = status
                changed.append(device)
        return changed

    def drop(self, device: str) -> None:
        """Mark offline at once (revoked)."""
        if device in self.last_seen:
            self.last_seen[device] = 0.0

    def state(self, device: str) -> PresenceState:
        """The published presence of ``device`` (last contact as wall-clock time)."""
        status = self.status.get(device, "offline")
        seen = self.last_seen.get(device)
        last = None
        if seen:
            last = datetime.fromtimestamp(time.time() - (time.monotonic() - seen), UTC)
        return PresenceState(
            device=device,
            role=self.roles.get(device, ""),
            status=status,  # type: ignore[arg-type]
            last_seen=last,
        )
