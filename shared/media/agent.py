"""A device's media sessions, signalled over the backbone.

Every device that sends or receives pictures and voice runs one :class:`MediaAgent`: it
watches the hub's ``media`` topic for sessions naming it, answers offers with its own camera
and microphone (each encoded once, whatever the number of sessions), places offers of its
own (:meth:`watch`, :meth:`call`) and ends sessions. Received media stays encoded
(:func:`~shared.media.encoding.install_passthrough`): ``on_stream`` gets a track of packets
to forward, record or decode.

No public STUN server, ever: host candidates only unless an intranet TURN server is
configured (aiortc would otherwise ask Google's STUN server and wait for it).

A malformed SDP, a codec this side cannot use, a missing camera, a peer that vanishes:
that session ends with the reason (the other side sees it in the ``media`` topic), the
others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription

from shared.media.adapt import AdaptationLoop
from shared.media.encoding import (
    PacketFanout,
    PacketTrack,
    codec_preferences,
    install_passthrough,
)
from shared.media.sources import LocalMedia
from shared.protocol import FloorRequest, MediaSignal, new_id
from shared.protocol.state import MediaSessionState

log = logging.getLogger(__name__)

MAX_SDP = 65536
VIDEO_CODEC = "H264"
AUDIO_CODEC = "opus"


class MediaError(Exception):
    """A session that cannot go on, with the reason both sides are told."""


def check_sdp(sdp: str, *, needs_video: bool, needs_audio: bool) -> SessionDescription:
    """Parse a peer's SDP (hostile input) and check it offers what this side can use."""
    if len(sdp) > MAX_SDP:
        raise MediaError(f"SDP of {len(sdp)} characters refused (at most {MAX_SDP})")
    if not sdp.startswith("v=0"):
        raise MediaError("malformed SDP: it must start with v=0")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:
        raise MediaError(f"malformed SDP: {exc}") from exc
    kinds = {m.kind: m for m in parsed.media}
    for kind, needed, codec in (
        ("video", needs_video, VIDEO_CODEC),
        ("audio", needs_audio, AUDIO_CODEC),
    ):
        media = kinds.get(kind)
        if media is None:
            if needed:
                raise MediaError(f"the SDP has no {kind} section")
            continue
        names = sorted({c.mimeType.split("/")[-1] for c in media.rtp.codecs})
        if not any(n.lower() == codec.lower() for n in names):
            raise MediaError(
                f"unsupported codec: the {kind} offered is {', '.join(names) or 'nothing'}; "
                f"this system uses {codec}"
            )
    return parsed


def ice_servers(
    turn: str | None, username: str = "", password: str = ""
) -> tuple[RTCIceServer, ...]:
    """The ICE servers to use: none (host candidates: the intranet routes between sites), or
    the intranet's TURN server (``turn:HOST:PORT[?transport=udp|tcp]`` or ``turns:…``)."""
    if not turn:
        return ()
    import re

    if not re.fullmatch(r"turns?:[A-Za-z0-9.\-\[\]:]+:\d{1,5}(\?transport=(udp|tcp))?", turn):
        raise MediaError(
            f"TURN server {turn!r} not understood: write turn:HOST:PORT (or turns:HOST:PORT), "
            "optionally ?transport=udp or ?transport=tcp"
        )
    if not username or not password:
        raise MediaError(
            "a TURN server needs its user name and password (--turn-user, --turn-password)"
        )
    return (RTCIceServer(urls=turn, username=username, credential=password),)


def peer_config(servers: Any, *, relay_only: bool = False) -> RTCConfiguration:
    """A peer connection's configuration: ``iceServers`` always explicit (aiortc's default
    would be a public STUN server), relay-only when asked (and a TURN server given)."""
    if relay_only and not servers:
        raise MediaError("relay-only media needs a TURN server (--turn)")
    return RTCConfiguration(
        iceServers=list(servers),
        iceTransportPolicy=RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL,
    )


@dataclass
class Stream:
    """Media arriving in a session: a track of encoded packets."""

    session_id: str
    peer: str
    kind: str
    track: MediaStreamTrack
    incident_id: str | None
    label: str
    purpose: str


@dataclass
class Session:
    session_id: str
    peer: str
    purpose: str
    outgoing: bool
    pc: RTCPeerConnection
    incident_id: str | None = None
    label: str = ""
    status: str = "new"
    reason: str = ""
    tracks: list[PacketTrack] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class MediaAgent:
    """The media sessions of one device (see the module's description)."""

    def __init__(
        self,
        client: Any,
        replica: Any,
        local: LocalMedia | None = None,
        *,
        ice_servers: tuple[RTCIceServer, ...] = (),
        on_stream: Callable[[Stream], None] | None = None,
        on_session: Callable[[Session], None] | None = None,
        accept: Callable[[MediaSessionState], str | None] | None = None,
        adapt: bool = True,
        relay_only: bool = False,
    ) -> None:
        install_passthrough()
        self.client = client
        self.replica = replica
        self.device: str = client.bundle.device
        self.local = local or LocalMedia()
        self.ice_servers = list(ice_servers)
        self.relay_only = relay_only
        """Media only through the TURN server (sites whose networks do not route to each
        other directly)."""
        self.on_stream = on_stream
        self.on_session = on_session
        self.accept = accept
        self.sessions: dict[str, Session] = {}
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._adapt: AdaptationLoop | None = None
        if adapt and self.local.video is not None:
            self._adapt = AdaptationLoop(self.local.video, self._video_senders)
        if self.local.video is not None:
            self.local.video.on_failure = self._camera_failed
        replica.listeners.append(self._on_state)

    # --- life -----------------------------------------------------------------------------

    def start(self) -> None:
        self.local.start()
        if self._adapt is not None:
            self._adapt.start()
        # sessions already in the picture when we start (an offer made while we were away)
        for key, value in list(self.replica.items.get("media", {}).items()):
            self._on_state("media", key, value)

    async def aclose(self) -> None:
        with contextlib.suppress(ValueError):
            self.replica.listeners.remove(self._on_state)
        for sid in list(self.sessions):
            await self.end(sid, "device closing")
        if self._adapt is not None:
            await self._adapt.stop()
        for task in list(self._tasks):
            task.cancel()
        await self.local.stop()

    # --- placing sessions ----------------------------------------------------------------

    async def watch(
        self,
        device: str,
        *,
        incident_id: str | None = None,
        label: str = "",
        talk_back: bool = True,
    ) -> Session:
        """Ask ``device`` for its camera and microphone; with ``talk_back``, send this
        device's microphone too (the leaders talk to the scene)."""
        audio = self._mic_track() if talk_back else None
        return await self._offer(device, "watch", incident_id, label, video="recv", audio=audio)

    async def call(
        self, device: str, *, incident_id: str | None = None, label: str = ""
    ) -> Session:
        """A full-duplex voice call with ``device``."""
        return await self._offer(
            device, "call", incident_id, label, video=None, audio=self._mic_track()
        )

    async def forward(
        self, fanout: PacketFanout, device: str, *, incident_id: str | None = None, label: str = ""
    ) -> Session:
        """Send a feed this device holds (encoded packets) to ``device``, which only
        receives."""
        return await self._offer(
            device, "forward", incident_id, label, video=fanout.track(), audio=None
        )

    async def talkgroup(
        self, device: str, track: PacketTrack, *, group_id: str, incident_id: str | None = None
    ) -> Session:
        """A member's voice link to a talk group relayed by this device: ``track`` carries
        what the member hears, the member's microphone comes back."""
        return await self._offer(
            device, "talkgroup", incident_id, group_id, video=None, audio=track
        )

    def _mic_track(self) -> PacketTrack | None:
        return self.local.audio.fanout.track() if self.local.audio is not None else None

    async def _offer(
        self,
        device: str,
        purpose: str,
        incident_id: str | None,
        label: str,
        *,
        video: str | PacketTrack | None,
        audio: PacketTrack | None,
    ) -> Session:
        sid = new_id()
        pc = self._new_pc()
        session = Session(sid, device, purpose, True, pc, incident_id, label, "offering")
        self.sessions[sid] = session
        self._seen.add(sid)
        self._watch_pc(session)
        if isinstance(video, PacketTrack):
            session.tracks.append(video)
            t = pc.addTransceiver(video, direction="sendonly")
            t.setCodecPreferences(codec_preferences("video", VIDEO_CODEC))
            if video.on_keyframe_needed is not None:
                # the viewer's picture-loss reports reach the feed's source
                t.sender._send_keyframe = video.on_keyframe_needed  # type: ignore[method-assign]
        elif video == "recv":
            t = pc.addTransceiver("video", direction="recvonly")
            t.setCodecPreferences(codec_preferences("video", VIDEO_CODEC))
        if purpose != "forward":
            if audio is not None:
                session.tracks.append(audio)
                t = pc.addTransceiver(audio, direction="sendrecv")
            else:
                t = pc.addTransceiver("audio", direction="recvonly")
            t.setCodecPreferences(codec_preferences("audio", AUDIO_CODEC))
        await pc.setLocalDescription(await pc.createOffer())
        msg = self.client.make(
            MediaSignal,
            session_id=sid,
            action="offer",
            to_device=device,
            purpose=purpose,
            incident_id=incident_id,
            label=label,
            sdp=pc.localDescription.sdp,
        )
        error = await self.client.submit_and_wait(msg, 10)
        if error is not None:
            await self._close(session, f"refused by the hub: {error.detail}")
            raise MediaError(error.detail)
        session.status = "offered"
        return session

    async def end(self, session_id: str, reason: str) -> None:
        """End a session (either side): the peer connection closes, the hub is told."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        await self._close(session, reason)
        msg = self.client.make(
            MediaSignal, session_id=session_id, action="end", reason=reason[:500]
        )
        await self.client.submit(msg)

    # --- the hub's picture ---------------------------------------------------------------

    def _on_state(self, topic: str, key: str, value: object) -> None:
        if topic != "media" or not isinstance(value, MediaSessionState):
            if topic == "media" and value is None and key in self.sessions:
                self._spawn(self._close(self.sessions[key], "session removed by the hub"))
            return
        if self.device not in (value.caller, value.callee):
            return
        session = self.sessions.get(key)
        if value.status == "ended":
            if session is not None and session.status != "ended":
                self._spawn(self._close(session, value.reason or f"ended by {value.ended_by}"))
            return
        if value.callee == self.device and value.status == "offered" and key not in self._seen:
            self._seen.add(key)
            self._spawn(self._answer(value))
        elif (
            value.caller == self.device
            and value.status == "answered"
            and session is not None
            and session.status == "offered"
        ):
            session.status = "answering"
            self._spawn(self._accept_answer(session, value.answer_sdp))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, offer: MediaSessionState) -> None:
        sid = offer.session_id
        pc = self._new_pc()
        session = Session(
            sid, offer.caller, offer.purpose, False, pc, offer.incident_id, offer.label, "answering"
        )
        self.sessions[sid] = session
        self._watch_pc(session)
        try:
            refusal = self.accept(offer) if self.accept is not None else None
            if refusal:
                raise MediaError(refusal)
            wants_video = offer.purpose == "watch"
            if wants_video and self.local.video is None:
                raise MediaError(f"{self.device} has no camera to send")
            check_sdp(
                offer.offer_sdp,
                needs_video=offer.purpose in ("watch", "forward"),
                needs_audio=offer.purpose != "forward",
            )
            await pc.setRemoteDescription(RTCSessionDescription(offer.offer_sdp, "offer"))
            for t in pc.getTransceivers():
                self._attach_local(session, t)
            await pc.setLocalDescription(await pc.createAnswer())
        except MediaError as exc:
            await self.end(sid, str(exc))
            return
        except Exception as exc:  # aiortc's own refusals of what it was offered
            await self.end(sid, f"cannot answer: {exc}")
            return
        if offer.purpose == "talkgroup" and offer.label:
            # a talk group's voice link: this device joins the group's floor
            join = self.client.make(
                FloorRequest, group_id=offer.label, action="join", incident_id=offer.incident_id
            )
            await self.client.submit(join)
        msg = self.client.make(
            MediaSignal, session_id=sid, action="answer", sdp=pc.localDescription.sdp
        )
        error = await self.client.submit_and_wait(msg, 10)
        if error is not None:
            await self._close(session, f"answer refused: {error.detail}")
            return
        session.status = "answered"

    def _attach_local(self, session: Session, t: RTCRtpTransceiver) -> None:
        if session.purpose == "forward":
            return  # a forwarded feed is received only
        if t.kind == "video" and session.purpose != "watch":
            return
        enc = self.local.video if t.kind == "video" else self.local.audio
        if enc is None:
            return
        t.direction = "sendrecv"
        t.setCodecPreferences(
            codec_preferences(t.kind, VIDEO_CODEC if t.kind == "video" else AUDIO_CODEC)
        )
        if self.local.naive:
            t.sender.replaceTrack(self.local.raw_track(t.kind))
            return
        track = enc.fanout.track()
        session.tracks.append(track)
        t.sender.replaceTrack(track)
        if t.kind == "video":
            # a viewer's picture-loss report asks the one shared encoder for a keyframe
            t.sender._send_keyframe = enc.force_keyframe  # type: ignore[method-assign, union-attr]

    async def _accept_answer(self, session: Session, sdp: str) -> None:
        try:
            check_sdp(sdp, needs_video=False, needs_audio=False)
            await session.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
            session.status = "answered"
        except Exception as exc:
            await self.end(session.session_id, f"bad answer: {exc}")

    # --- peer connections ----------------------------------------------------------------

    def _new_pc(self) -> RTCPeerConnection:
        return RTCPeerConnection(peer_config(self.ice_servers, relay_only=self.relay_only))

    def _watch_pc(self, session: Session) -> None:
        pc = session.pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if self.on_stream is not None:
                self.on_stream(
                    Stream(
                        session.session_id,
                        session.peer,
                        track.kind,
                        track,
                        session.incident_id,
                        session.label,
                        session.purpose,
                    )
                )

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            state = pc.connectionState
            if state == "connected":
                session.connected.set()
            elif state == "failed" and session.status != "ended":
                await self.end(
                    session.session_id, "media connection lost (peer gone or unreachable)"
                )

    async def _close(self, session: Session, reason: str) -> None:
        if session.status == "ended":
            return
        session.status = "ended"
        session.reason = reason
        for track in session.tracks:
            track.stop()
        with contextlib.suppress(Exception):
            await session.pc.close()
        self.sessions.pop(session.session_id, None)
        session.ended.set()
        log.info("media session %s with %s ended: %s", session.session_id, session.peer, reason)
        if self.on_session is not None:
            self.on_session(session)

    def _camera_failed(self, reason: str) -> None:
        for session in list(self.sessions.values()):
            if session.purpose == "watch" and not session.outgoing:
                self._spawn(self.end(session.session_id, reason))

    def _video_senders(self) -> list[Any]:
        return [
            s
            for session in self.sessions.values()
            for s in session.pc.getSenders()
            if s.track is not None and s.track.kind == "video"
        ]
