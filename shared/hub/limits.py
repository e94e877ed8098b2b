"""What one device may hold at the hub at once: uploads, attachment bytes, media sessions.

Beside the per-device request queue (:mod:`shared.hub.guard`), these bound what a device can
make the hub keep: a stolen laptop starting thousands of uploads, each up to the attachment
limit, could fill the hub's disk; offering hundreds of media sessions would tie up every peer
it names. Over a limit the request is refused ``busy`` with the limit named; other devices
are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DeviceLimits:
    """Per-device bounds (``[hub]`` keys of the same names with ``device_``)."""

    open_uploads: int = 8
    upload_bytes: int = 256 * 1024 * 1024
    """Declared sizes of a device's unfinished uploads, in all."""
    attachment_bytes: int = 4 * 1024 * 1024 * 1024
    """Attachments a device has uploaded and the hub keeps, in all."""
    media_sessions: int = 16
    """Media sessions a device takes part in (calling or called) at once."""
    upload_idle: timedelta = timedelta(hours=1)
    """An upload not continued for this long no longer counts (it can still be resumed)."""


@dataclass
class _Upload:
    size: int
    touched: datetime


@dataclass
class UploadBook:
    """The unfinished uploads of every device, in memory (a restart forgets them: a resumed
    upload is counted again when its next chunk arrives)."""

    limits: DeviceLimits
    open: dict[str, dict[str, _Upload]] = field(default_factory=dict)

    def admit(self, device: str, sha256: str, size: int, now: datetime) -> str | None:
        """Count a chunk of ``sha256`` from ``device``; the reason it is refused, if it is."""
        mine = self.open.setdefault(device, {})
        for key in [k for k, u in mine.items() if now - u.touched > self.limits.upload_idle]:
            del mine[key]
        upload = mine.get(sha256)
        if upload is not None:
            upload.touched = now
            return None
        lim = self.limits
        if len(mine) >= lim.open_uploads:
            return (
                f"this device has {len(mine)} unfinished uploads (the limit is "
                f"{lim.open_uploads}): finish or abandon one before starting another"
            )
        pending = sum(u.size for u in mine.values())
        if pending + size > lim.upload_bytes:
            return (
                f"this device's unfinished uploads would come to {pending + size} bytes (the "
                f"limit is {lim.upload_bytes}): finish the others first"
            )
        mine[sha256] = _Upload(size, now)
        return None

    def finished(self, device: str, sha256: str) -> None:
        """The upload is whole (or refused for good)."""
        mine = self.open.get(device)
        if mine is not None:
            mine.pop(sha256, None)
            if not mine:
                del self.open[device]
