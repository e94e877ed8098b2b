"""One hub per data folder: an exclusive lock held for the hub's whole life.

The lock is ``DATA/hub.lock``, taken with ``flock`` (released by the kernel when the process
ends, however it ends, so a crashed hub never leaves a stale lock). A second hub on the same
folder is refused with the running hub's pid and endpoints, and touches nothing of it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path


class HubRunning(RuntimeError):
    """Another hub holds this data folder."""


class DataFolderLock:
    """The data folder's lock; :meth:`acquire` once, :meth:`release` at stop."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "hub.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            HubRunning: another hub holds it (the message names its pid and endpoints).
        """
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise HubRunning(self._running()) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def _running(self) -> str:
        folder = self.path.parent.resolve()
        try:
            pid = self.path.read_text("ascii").strip() or "?"
        except OSError:
            pid = "?"
        endpoints = ""
        try:
            info = json.loads((self.path.parent / "hub.json").read_text("utf-8"))
            endpoints = f", request endpoint {info['endpoints']['request']}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return (
            f"a hub already runs on {folder} (pid {pid}{endpoints}); one data folder serves "
            "one hub: stop that one first, or give this one another --data-dir"
        )

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
