"""A live copy of the hub's state: snapshot, then updates (the ZeroMQ Guide's Clone pattern).

Subscribe first, then ask for a snapshot; updates that arrive meanwhile wait in the SUB
socket and those already in the snapshot (sequence ≤ the snapshot's) are skipped. A gap or a
rewind in a topic's sequence, a beat showing updates we never saw, or a new hub epoch (the
hub restarted) each trigger a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import zmq
import zmq.asyncio

from shared.aio import cancel_and_wait
from shared.client.link import curve_client
from shared.identity.keys import Bundle
from shared.protocol import (
    DECODE_FAILURES,
    HEARTBEAT_TOPIC,
    TOPICS,
    SnapshotRequest,
    StateValue,
    decode_batch,
    decode_beat,
    decode_chunk,
    encode,
    new_id,
    utcnow,
)

log = logging.getLogger(__name__)

Listener = Callable[[str, str, StateValue | None], None]


class SnapshotTimeout(Exception):
    """The snapshot service did not answer in time."""


class Replica:
    """The current picture of some topics, kept live.

    Args:
        bundle: the device's key bundle.
        topics: topics to follow (default: all).
        ctx: an asyncio ZeroMQ context to share; one is made if None.
    """

    def __init__(
        self,
        bundle: Bundle,
        topics: tuple[str, ...] = TOPICS,
        *,
        ctx: zmq.asyncio.Context | None = None,
        snapshot_timeout: float = 5.0,
    ) -> None:
        self.bundle = bundle
        self.topics = topics
        self._own_ctx = ctx is None
        self.ctx = ctx or zmq.asyncio.Context()
        self.snapshot_timeout = snapshot_timeout
        self.items: dict[str, dict[str, StateValue]] = {t: {} for t in topics}
        self.seqs: dict[str, int] = dict.fromkeys(topics, 0)
        self.epoch = ""
        self.listeners: list[Listener] = []
        self.snapshots = 0
        self.bad_frames = 0
        self.listener_failures = 0
        self.last_beat = 0.0
        self.synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sub: zmq.asyncio.Socket | None = None

    async def start(self) -> None:
        """Subscribe and keep the picture live in the background."""
        sub = curve_client(self.ctx, zmq.SUB, self.bundle)
        for topic in (*self.topics, HEARTBEAT_TOPIC):
            sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        sub.connect(self.bundle.endpoints.publish)
        self._sub = sub
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        """Stop and close the sockets."""
        if self._task:
            await cancel_and_wait(self._task)
        if self._sub is not None:
            self._sub.close(linger=0)
        if self._own_ctx:
            self.ctx.destroy(linger=0)

    async def __aenter__(self) -> Replica:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def snapshot(self) -> None:
        """Replace the picture with a fresh snapshot from the hub."""
        req = curve_client(self.ctx, zmq.DEALER, self.bundle)
        try:
            req.connect(self.bundle.endpoints.snapshot)
            msg = SnapshotRequest(
                id=new_id(), sender=self.bundle.device, sent=utcnow(), topics=list(self.topics)
            )
            await req.send(encode(msg))
            fresh: dict[str, dict[str, StateValue]] = {t: {} for t in self.topics}
            while True:
                if not await req.poll(int(self.snapshot_timeout * 1000)):
                    raise SnapshotTimeout(
                        f"no snapshot from {self.bundle.endpoints.snapshot} within "
                        f"{self.snapshot_timeout} s"
                    )
                raw = await req.recv()
                try:
                    chunk = decode_chunk(raw)
                except DECODE_FAILURES as exc:
                    # the hub's refusal (an Error frame) or a damaged frame: ask again later
                    raise SnapshotTimeout(f"unreadable snapshot chunk ({exc!s:.120})") from None
                for topic, key, value in chunk.items:
                    fresh[topic][key] = value
                if chunk.last:
                    break
        finally:
            req.close(linger=0)
        self.items = fresh
        self.seqs = {t: chunk.seqs.get(t, 0) for t in self.topics}
        self.epoch = chunk.epoch
        self.snapshots += 1
        for topic, values in fresh.items():
            for key, value in values.items():
                self._notify(topic, key, value)
        self.synced.set()

    def _notify(self, topic: str, key: str, value: StateValue | None) -> None:
        for listener in self.listeners:
            try:
                listener(topic, key, value)
            except Exception:  # one listener's failure must not stop the picture
                self.listener_failures += 1
                log.exception("picture listener failed", extra={"topic": topic, "key": key})

    async def _resync(self) -> None:
        self.synced.clear()
        pause = 0.0
        while True:
            try:
                await self.snapshot()
                return
            except SnapshotTimeout as exc:
                log.warning("%s; retrying", exc)
            # a hub that refuses at once (busy) is not asked again in a tight loop
            await asyncio.sleep(pause)
            pause = min(max(0.2, pause * 2), 5.0)

    async def _run(self) -> None:
        assert self._sub is not None
        await self._resync()
        while True:
            frames = await self._sub.recv_multipart()
            try:
                topic_b, payload = frames
                topic = topic_b.decode()
                beat = decode_beat(payload) if topic == HEARTBEAT_TOPIC else None
                batch = decode_batch(payload) if beat is None else None
            except DECODE_FAILURES:  # ValueError among them: not two parts
                self.bad_frames += 1
                log.warning("unreadable publication (%d parts); re-snapshot", len(frames))
                await self._resync()  # whatever it carried is fetched whole
                continue
            if beat is not None:
                self.last_beat = time.monotonic()
                behind = any(beat.seqs.get(t, 0) > self.seqs[t] for t in self.topics)
                if beat.epoch != self.epoch or behind:
                    await self._resync()
                continue
            assert batch is not None
            if topic not in self.seqs:
                continue
            for update in batch.updates:
                last = self.seqs[topic]
                if update.seq <= last:
                    continue  # already in the snapshot
                if update.seq != last + 1:
                    log.info("gap in %s: had %d, got %d; re-snapshot", topic, last, update.seq)
                    await self._resync()
                    break
                self.seqs[topic] = update.seq
                if update.value is None:
                    self.items[topic].pop(update.key, None)
                else:
                    self.items[topic][update.key] = update.value
                self._notify(topic, update.key, update.value)

    def get(self, topic: str, key: str) -> Any:
        """The current value of ``key`` in ``topic``, or None."""
        return self.items.get(topic, {}).get(key)
