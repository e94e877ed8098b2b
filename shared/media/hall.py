"""The command hall's media relay: every feed received once, then forwarded, shown, recorded.

A unit's camera reaches the hall over one session (its field link carries it once). Here
each received stream is pumped into a :class:`~shared.media.encoding.PacketFanout`; its
subscribers are the screen's decoder (one decode, however many tiles show it), the
recorder, and every session that forwards it to another unit or toward the province — the
encoded packets as received, never re-encoded. A new subscriber asks the source for a
keyframe (a picture-loss report up the session it came from).

Push-to-talk: each member of a talk group has a voice session with the hall (purpose
``talkgroup``). The hall forwards the voice of the member the hub granted the floor to,
and only theirs, to every other member; when the hall's own operator holds the floor, the
hall's microphone goes out instead. Nobody hears themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc.mediastreams import MediaStreamError

from shared.media.agent import MediaAgent, MediaError, Session, Stream
from shared.media.encoding import PacketFanout, PacketTrack, SharedVideoEncoder
from shared.media.recording import Recorder
from shared.protocol import FloorRequest
from shared.protocol.state import TalkGroupState

log = logging.getLogger(__name__)


@dataclass
class Feed:
    """One received stream (or a camera the hall pulls), fanned out."""

    stream: Stream
    fanout: PacketFanout
    pump: asyncio.Task[None] | None = None
    recorder: Recorder | None = None
    ended: bool = False
    encoder: SharedVideoEncoder | None = None
    """A pulled camera's encoder (its one encode); None for a session's feed."""


@dataclass
class TalkGroupRelay:
    """What each member of a group hears: the talker's packets, unless they are the talker."""

    group_id: str
    talker: str = ""
    sessions: dict[str, str] = field(default_factory=dict)  # member device → session id
    tracks: dict[str, PacketTrack] = field(default_factory=dict)  # member → what it hears
    mic_unsubscribe: Callable[[], None] | None = None
    forwarded: int = 0
    recorder: Recorder | None = None
    """The group's floor, recorded: every talker in turn, on the hall's clock."""
    started: float = field(default_factory=time.monotonic)
    _last: tuple[str, int, int] | None = None  # the last packet: origin, its own time, placed

    def listen(self, device: str) -> PacketTrack | None:
        """What ``device`` hears in this group (the hall's own operator: for the speaker)."""
        return self.tracks.get(device)

    def publish(self, packet: Any, origin: str) -> None:
        for member, track in list(self.tracks.items()):
            if member != origin:
                track.offer(packet, True)
        self.forwarded += 1
        if self.recorder is not None:
            self.recorder.write(packet, "audio", self.stamp(packet, origin))

    def stamp(self, packet: Any, origin: str) -> int:
        """Where a packet goes in the group's recording (48 kHz ticks since it opened). One
        clock for all talkers (each member's stream starts its own at zero): a talker's
        first packet goes where the hall's clock is when it arrives, the rest of its turn
        follow the talker's own timestamps — not the moments they arrived, which bunch
        together when the hall was busy. More than a second away from the hall's clock (a
        timestamp that jumped), a packet goes by the hall's clock again; the recorder never
        lets two packets overlap (:meth:`Recorder._place`)."""
        now = int((time.monotonic() - self.started) * 48_000)
        own = packet.pts
        at = now
        if self._last is not None and own is not None:
            last_origin, last_own, last_at = self._last
            if last_origin == origin:
                # RTP timestamps are 32-bit: they wrap
                at = last_at + (own - last_own) % (1 << 32)
                if abs(at - now) > 48_000:
                    at = now
        self._last = (origin, own, at) if own is not None else None
        return at


class HallMedia:
    """The hall side of live media (see the module's description)."""

    def __init__(
        self,
        agent_factory: Callable[..., MediaAgent],
        *,
        record_to: Path | None = None,
        on_feed: Callable[[Feed], None] | None = None,
        on_feed_end: Callable[[Feed], None] | None = None,
        on_talkgroup: Callable[[TalkGroupState], None] | None = None,
    ) -> None:
        self.record_to = record_to
        self.on_feed = on_feed
        self.on_feed_end = on_feed_end
        self.on_talkgroup = on_talkgroup
        self.feeds: dict[tuple[str, str], Feed] = {}  # (session, kind)
        self.recorders: dict[str, Recorder] = {}
        self.groups: dict[str, TalkGroupRelay] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.agent = agent_factory(on_stream=self._on_stream, on_session=self._on_session_end)
        self.agent.replica.listeners.append(self._on_state)

    @property
    def device(self) -> str:
        return self.agent.device

    def start(self) -> None:
        self.agent.start()

    async def aclose(self) -> None:
        await self.agent.aclose()
        for group in self.groups.values():
            if group.recorder is not None:
                group.recorder.close("hall closing")
                group.recorder = None
        for key, _kind in list(self.feeds):
            if key.startswith("cam:"):
                await self.stop_pull(key[4:], "hall closing")
        for feed in list(self.feeds.values()):
            self._end_feed(feed)

    # --- feeds ------------------------------------------------------------------------

    async def watch(self, device: str, incident_id: str | None = None, label: str = "") -> Session:
        return await self.agent.watch(device, incident_id=incident_id, label=label)

    async def forward(self, session_id: str, device: str, label: str = "") -> Session:
        """Pass a received video feed on to ``device`` (another unit, the provincial
        gateway), packets as received."""
        feed = self.feeds.get((session_id, "video"))
        if feed is None or feed.ended:
            raise MediaError(f"no live video in session {session_id}")
        return await self.agent.forward(
            feed.fanout,
            device,
            incident_id=feed.stream.incident_id,
            label=label or f"转发: {feed.stream.label or feed.stream.peer}",
        )

    async def pull(
        self,
        camera_id: str,
        url: str,
        *,
        name: str = "",
        incident_id: str | None = None,
        cap_bps: int | None = None,
    ) -> Feed:
        """Pull a camera (a surveillance point, a drone's ground station) over RTSP or
        HTTP: decoded and encoded once here, then shown, recorded and forwarded like any
        feed. Raises SourceError when it cannot be opened."""
        from shared.media.sources import open_video

        key = (f"cam:{camera_id}", "video")
        existing = self.feeds.get(key)
        if existing is not None and not existing.ended:
            return existing
        loop = asyncio.get_running_loop()
        # opening connects over the network: not on the event loop
        track = await loop.run_in_executor(None, open_video, url)
        assert track is not None
        encoder = SharedVideoEncoder(track, cap_bps=cap_bps)
        stream = Stream(key[0], name or camera_id, "video", track, incident_id, name, "camera")
        feed = Feed(stream, encoder.fanout, encoder=encoder)
        if self.record_to is not None:
            rec = Recorder(self.record_to, key[0], name or camera_id, incident_id, url)
            feed.fanout.subscribe(rec.subscriber("video"))
            feed.recorder = rec
            self.recorders[key[0]] = rec

        def failed(reason: str) -> None:
            self._spawn(self.stop_pull(camera_id, reason))

        encoder.on_failure = failed
        self.feeds[key] = feed
        encoder.start()
        if self.on_feed is not None:
            self.on_feed(feed)
        return feed

    async def stop_pull(self, camera_id: str, reason: str = "") -> None:
        key = f"cam:{camera_id}"
        feed = self.feeds.get((key, "video"))
        if feed is None:
            return
        if feed.encoder is not None:
            await feed.encoder.stop()
            feed.encoder.source.stop()
        self._end_feed(feed)
        rec = self.recorders.pop(key, None)
        if rec is not None:
            rec.close(reason or "stopped")

    async def end(self, session_id: str, reason: str) -> None:
        """End a session, or stop pulling a camera (``cam:…``)."""
        if session_id.startswith("cam:"):
            await self.stop_pull(session_id[4:], reason)
        else:
            await self.agent.end(session_id, reason)

    def _on_stream(self, stream: Stream) -> None:
        if stream.purpose == "talkgroup":
            self._talkgroup_stream(stream)
            return
        fanout = PacketFanout(stream.kind)
        feed = Feed(stream, fanout)
        receiver = self._receiver_of(stream)
        if receiver is not None and stream.kind == "video":
            fanout.request_keyframe = lambda: self._ask_keyframe(receiver)
        if self.record_to is not None:
            rec = self.recorders.get(stream.session_id)
            if rec is None:
                rec = Recorder(
                    self.record_to, stream.session_id, stream.peer, stream.incident_id, stream.label
                )
                # both kinds are declared at once: MPEG-TS wants its streams before the first packet
                session = self.agent.sessions.get(stream.session_id)
                kinds = {t.kind for t in session.pc.getTransceivers()} if session else {stream.kind}
                for kind in sorted(kinds):
                    rec.add(kind)
                self.recorders[stream.session_id] = rec
            fanout.subscribe(rec.subscriber(stream.kind))
            feed.recorder = rec
        feed.pump = asyncio.ensure_future(self._pump(feed))
        self.feeds[(stream.session_id, stream.kind)] = feed
        if self.on_feed is not None:
            self.on_feed(feed)

    def _receiver_of(self, stream: Stream) -> Any:
        session = self.agent.sessions.get(stream.session_id)
        if session is None:
            return None
        for t in session.pc.getTransceivers():
            if t.receiver.track is stream.track:
                return t.receiver
        return None

    def _ask_keyframe(self, receiver: Any) -> None:
        sources = receiver.getSynchronizationSources()
        if sources:
            self._spawn(receiver._send_rtcp_pli(sources[0].source))

    async def _pump(self, feed: Feed) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                packet = await feed.stream.track.recv()
                feed.fanout.publish(packet)  # type: ignore[arg-type]
        self._end_feed(feed)

    def _end_feed(self, feed: Feed) -> None:
        if feed.ended:
            return
        feed.ended = True
        if feed.pump is not None and not feed.pump.done():
            feed.pump.cancel()
        feed.fanout.end()
        self.feeds.pop((feed.stream.session_id, feed.stream.kind), None)
        if self.on_feed_end is not None:
            self.on_feed_end(feed)

    def _on_session_end(self, session: Session) -> None:
        for kind in ("video", "audio"):
            feed = self.feeds.get((session.session_id, kind))
            if feed is not None:
                self._end_feed(feed)
        rec = self.recorders.pop(session.session_id, None)
        if rec is not None:
            rec.close(session.reason)
        for group in self.groups.values():
            for member, sid in list(group.sessions.items()):
                if sid == session.session_id:
                    del group.sessions[member]
                    track = group.tracks.pop(member, None)
                    if track is not None:
                        track.stop()

    # --- push-to-talk -----------------------------------------------------------------

    async def open_talkgroup(
        self, group_id: str, members: list[str], incident_id: str | None = None
    ) -> None:
        """Join the hall to the group and open a voice session with each member."""
        group = self.groups.setdefault(group_id, TalkGroupRelay(group_id))
        client = self.agent.client
        join = client.make(FloorRequest, group_id=group_id, action="join", incident_id=incident_id)
        error = await client.submit_and_wait(join, 10)
        if error is not None:
            raise MediaError(error.detail)
        # what the hall's own operator hears: the talker, unless it is the hall
        group.tracks.setdefault(self.device, PacketTrack("audio"))
        if self.record_to is not None and group.recorder is None:
            group.recorder = Recorder(
                self.record_to, f"talkgroup-{group_id}", "对讲组", incident_id, group_id
            )
            group.recorder.add("audio")
        for member in members:
            if member in group.sessions or member == self.device:
                continue
            track = PacketTrack("audio")
            group.tracks[member] = track
            session = await self.agent.talkgroup(
                member, track, group_id=group_id, incident_id=incident_id
            )
            group.sessions[member] = session.session_id

    async def press(self, group_id: str) -> None:
        client = self.agent.client
        await client.submit(client.make(FloorRequest, group_id=group_id, action="request"))

    async def release(self, group_id: str) -> None:
        client = self.agent.client
        await client.submit(client.make(FloorRequest, group_id=group_id, action="release"))

    def _talkgroup_stream(self, stream: Stream) -> None:
        group = next(
            (g for g in self.groups.values() if stream.session_id in g.sessions.values()), None
        )
        if group is None:
            return
        self._spawn(self._pump_member(group, stream))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pump_member(self, group: TalkGroupRelay, stream: Stream) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                packet = await stream.track.recv()
                # only the floor holder's voice goes out; the others' stays here
                if group.talker == stream.peer:
                    group.publish(packet, stream.peer)

    def _on_state(self, topic: str, key: str, value: object) -> None:
        if topic != "talkgroup" or not isinstance(value, TalkGroupState):
            return
        group = self.groups.get(key)
        if group is not None:
            group.talker = value.talker
            local = self.agent.local.audio
            if local is not None:
                self._hall_mic(group, local, value.talker == self.device)
        if self.on_talkgroup is not None:
            self.on_talkgroup(value)

    def _hall_mic(self, group: TalkGroupRelay, local: Any, on: bool) -> None:
        if on and group.mic_unsubscribe is None:

            def speak(packet: Any, keyframe: bool) -> None:
                group.publish(packet, self.device)

            group.mic_unsubscribe = local.fanout.subscribe(speak)
        elif not on and group.mic_unsubscribe is not None:
            group.mic_unsubscribe()
            group.mic_unsubscribe = None
