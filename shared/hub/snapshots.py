"""The snapshot desk: the current picture for a replica that joins late or saw a gap in
the sequence numbers (the Guide's Clone pattern), rationed per device because a snapshot
costs the whole picture.

A snapshot goes out as fast as its reader takes it, never faster: each requester's pipe holds
at most :data:`SNAPSHOT_HWM` chunks (the socket refuses more instead of queueing them in the
hub's memory), the rest wait as one job per requester (references to the picture's items,
not copies) and are sent as the pipe drains. A reader that takes nothing for
:data:`SNAPSHOT_STALL_S` loses its job (counted, logged); a new request replaces the
requester's unfinished one. Before, a device asking for the whole picture 5 times in 2 s
without reading grew the hub from 362 MB to 4.6 GB in 20 s.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import zmq

from shared.hub.registry import DeviceCache
from shared.hub.state import StateStore
from shared.protocol import DECODE_FAILURES, SnapshotRequest, encode
from shared.protocol.messages import ErrorCode
from shared.protocol.state import SnapshotChunk

log = logging.getLogger(__name__)
SNAPSHOT_HWM = 16
"""Chunks (of up to 2,000 items) queued to one reader at most."""
JOBS_PER_KEY = 3
"""Snapshots on their way to one device (all its connections) at most."""
SNAPSHOT_STALL_S = 15.0
"""A reader that takes no chunk for this long loses its snapshot."""

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
        self.jobs: dict[bytes, _Job] = {}
        """Snapshots being sent, by requester (one each)."""

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
                _reply(snap, rid, self._error(None, "forbidden", "refused"))
                continue
            if not self._allowed(key):
                self.stats["snapshots_refused"] += 1
                _reply(
                    snap, rid, self._error(None, "busy", "too many snapshot requests: ask again")
                )
                continue
            try:
                req = _decoder.decode(frames[1].bytes)
            except DECODE_FAILURES as exc:
                _reply(
                    snap, rid, self._error(None, "invalid", f"not a snapshot request: {exc!s:.200}")
                )
                continue
            if rid in self.jobs:
                self.stats["snapshots_replaced"] = self.stats.get("snapshots_replaced", 0) + 1
                del self.jobs[rid]
            # per key too: a device on many connections holds at most a few jobs (each holds
            # references to the whole picture), its oldest giving way
            mine = [r for r, j in self.jobs.items() if j.key == key]
            for old in mine[: max(0, len(mine) - JOBS_PER_KEY + 1)]:
                del self.jobs[old]
                self.stats["snapshots_replaced"] = self.stats.get("snapshots_replaced", 0) + 1
            self.jobs[rid] = _Job(self.state.snapshot(req.topics, epoch=self.epoch), key)
            self.stats["snapshots_started"] = self.stats.get("snapshots_started", 0) + 1
        self.pump(snap)

    def pump(self, snap: zmq.Socket[Any]) -> None:
        """Send what each requester's pipe takes now; drop the jobs of readers that stalled."""
        now = time.monotonic()
        for rid, job in list(self.jobs.items()):
            try:
                while True:
                    if job.next is None:
                        job.next = next(job.chunks, None)
                        if job.next is None:
                            del self.jobs[rid]
                            break
                    snap.send_multipart((rid, encode(job.next)), zmq.NOBLOCK)
                    job.next = None
                    job.progress = now
            except zmq.Again:  # this reader's pipe is full: the rest waits for it
                if now - job.progress > SNAPSHOT_STALL_S:
                    del self.jobs[rid]
                    self.stats["snapshots_dropped"] = self.stats.get("snapshots_dropped", 0) + 1
                    log.warning("snapshot dropped: its reader took nothing for a while")
            except zmq.ZMQError:  # the requester is gone (ROUTER_MANDATORY: unroutable)
                self.jobs.pop(rid, None)

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


def _reply(snap: zmq.Socket[Any], rid: bytes, frame: bytes) -> None:
    """An answer of the desk's own, never waited for: a requester whose pipe is full (it
    does not read) or who is gone does not get it, and the hub loop goes on."""
    with contextlib.suppress(zmq.ZMQError):  # Again (pipe full) or unroutable
        snap.send_multipart((rid, frame), zmq.NOBLOCK)


class _Job:
    """A snapshot on its way: the chunks still to send (made as they go, from a list of the
    picture's items taken when it was asked for) and when its reader last took one."""

    def __init__(self, chunks: Iterator[SnapshotChunk], key: str = "") -> None:
        self.chunks = chunks
        self.key = key
        """The requester's key (jobs are per connection: one device may have several)."""
        self.next: SnapshotChunk | None = None
        self.progress = time.monotonic()
