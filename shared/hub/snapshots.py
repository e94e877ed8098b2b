"""The snapshot desk: the current picture for a replica that joins late or saw a gap in
the sequence numbers (the Guide's Clone pattern), rationed per device because a snapshot
costs the whole picture."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

import msgspec
import zmq

from shared.hub.registry import DeviceCache
from shared.hub.state import StateStore
from shared.protocol import DECODE_FAILURES, SnapshotRequest, encode
from shared.protocol.messages import ErrorCode

SNAPSHOTS_PER_WINDOW = 5
SNAPSHOT_WINDOW_S = 2.0
"""A device gets at most this many snapshots in this many seconds (an honest replica asks
once on joining and once per gap)."""
_decoder = msgspec.msgpack.Decoder(SnapshotRequest)


class SnapshotDesk:
    """Answers the snapshot ROUTER: enrolled keys only, one request frame, a few a second."""

    def __init__(
        self,
        devices: DeviceCache,
        state: StateStore,
        epoch: str,
        error: Callable[[str | None, ErrorCode, str], bytes],
        stats: dict[str, int],
    ) -> None:
        self.devices = devices
        self.state = state
        self.epoch = epoch
        self._error = error
        self.stats = stats
        self._served: dict[str, collections.deque[float]] = {}

    def serve(self, snap: zmq.Socket[Any]) -> None:
        """Answer up to 64 waiting requests (the rest on the next turn of the loop)."""
        for _ in range(64):
            try:
                frames = snap.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            rid = frames[0].bytes
            key = str(frames[-1].get("User-Id"))
            dev = self.devices.lookup(key)
            if dev is None or len(frames) != 2:
                snap.send_multipart((rid, self._error(None, "forbidden", "refused")))
                continue
            if not self._allowed(key):
                self.stats["snapshots_refused"] += 1
                snap.send_multipart(
                    (rid, self._error(None, "busy", "too many snapshot requests: ask again"))
                )
                continue
            try:
                req = _decoder.decode(frames[1].bytes)
            except DECODE_FAILURES as exc:
                snap.send_multipart(
                    (rid, self._error(None, "invalid", f"not a snapshot request: {exc!s:.200}"))
                )
                continue
            for chunk in self.state.snapshot(req.topics, epoch=self.epoch):
                snap.send_multipart((rid, encode(chunk)))

    def _allowed(self, key: str) -> bool:
        now = time.monotonic()
        recent = self._served.setdefault(key, collections.deque())
        while recent and recent[0] < now - SNAPSHOT_WINDOW_S:
            recent.popleft()
        if len(recent) >= SNAPSHOTS_PER_WINDOW:
            return False
        recent.append(now)
        if len(self._served) > 10_000:
            self._served.clear()
        return True
