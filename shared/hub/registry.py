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
        self.usable: dict[str, DeviceInfo] = {}
        self._cut: list[DeviceInfo] = []
        self._added: list[DeviceInfo] = []

    def refresh(self) -> None:
        """Reload if the revision moved; newly unusable devices are queued for
        :meth:`take_cut` whichever thread noticed them."""
        with self._lock:
            rev = devices_revision(self._engine)
            if rev == self.revision:
                return
            devices = list_devices(self._engine)
            old = self.by_key
            self.by_key = {d.public_key: d for d in devices}
            self.by_name = {d.name: d for d in devices}
            self.revision = rev
            now = datetime.now(UTC)
            self.usable = {k: d for k, d in self.by_key.items() if d.usable(now)}
            self._cut.extend(
                d
                for d in self.by_key.values()
                if not d.usable(now) and d.public_key in old and old[d.public_key].usable(now)
            )
            self._added.extend(d for k, d in self.by_key.items() if k not in old)

    def take_changes(self) -> tuple[list[DeviceInfo], list[DeviceInfo]]:
        """Devices enrolled, and devices revoked or expired, since the last call."""
        with self._lock:
            added, self._added = self._added, []
            cut, self._cut = self._cut, []
        return added, cut

    def lookup_fresh(self, public_key: str) -> DeviceInfo | None:
        """Like :meth:`lookup`, but an unknown key first re-reads the device revision (one
        indexed row), so a device enrolled a moment ago is admitted at once. Every unknown
        key costs the peer a full CURVE handshake, so this is no cheap lever for a flood."""
        dev = self.lookup(public_key)
        if dev is None and public_key not in self.by_key:
            self.refresh()
            dev = self.lookup(public_key)
        return dev

    def lookup(self, public_key: str) -> DeviceInfo | None:
        """The device with this key, if enrolled and usable (as of the last refresh or
        :meth:`expire` sweep, at most a tick old)."""
        return self.usable.get(public_key)

    def expire(self) -> None:
        """Drop devices whose bundle expired since the last sweep (called every tick)."""
        now = datetime.now(UTC)
        with self._lock:
            gone = [d for d in self.usable.values() if not d.usable(now)]
            if gone:
                self.usable = {k: d for k, d in self.usable.items() if d.usable(now)}
                self._cut.extend(gone)

    def describe_refusal(self, public_key: str) -> str:
        """Why a key is refused, for the audit log."""
        dev = self.by_key.get(public_key)
        if dev is None:
            return "unknown key"
        if dev.revoked_at is not None:
            return f"revoked device {dev.name}"
        return f"expired device {dev.name}"
