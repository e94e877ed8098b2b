"""The hub's cached view of enrolled devices, refreshed when the store's revision changes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine

from shared.identity.registry import DeviceInfo, devices_revision, list_devices


class DeviceCache:
    """Public key → device, readable from the ZAP thread and the hub thread.

    The dict is replaced whole on refresh, so readers never see a half-updated map.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.revision = -1
        self.by_key: dict[str, DeviceInfo] = {}
        self.by_name: dict[str, DeviceInfo] = {}

    def refresh(self) -> list[DeviceInfo]:
        """Reload if the revision moved; returns devices that became unusable since."""
        rev = devices_revision(self._engine)
        if rev == self.revision:
            return []
        with self._lock:
            devices = list_devices(self._engine)
            old = self.by_key
            self.by_key = {d.public_key: d for d in devices}
            self.by_name = {d.name: d for d in devices}
            self.revision = rev
        now = datetime.now(UTC)
        return [
            d
            for d in self.by_key.values()
            if not d.usable(now) and d.public_key in old and old[d.public_key].usable(now)
        ]

    def lookup(self, public_key: str) -> DeviceInfo | None:
        """The device with this key, if enrolled and usable now."""
        dev = self.by_key.get(public_key)
        if dev is None or not dev.usable(datetime.now(UTC)):
            return None
        return dev

    def describe_refusal(self, public_key: str) -> str:
        """Why a key is refused, for the audit log."""
        dev = self.by_key.get(public_key)
        if dev is None:
            return "unknown key"
        if dev.revoked_at is not None:
            return f"revoked device {dev.name}"
        return f"expired device {dev.name}"
