"""Encode once, forward to every viewer.

aiortc encodes once per peer connection: a source shown to eight viewers is encoded eight
times. Here a source has one :class:`SharedVideoEncoder` (or :class:`SharedAudioEncoder`)
whose encoded packets a :class:`PacketFanout` hands to every subscriber: a
:class:`PacketTrack` per peer connection (aiortc's sender only packetizes what it is given,
``RTCRtpSender`` accepts ``av.Packet``), a recorder, a local decoder for the screen.

Received streams stay encoded too (:func:`install_passthrough`): a relay forwards what the
field unit sent without decoding and re-encoding it, and whoever wants pixels decodes once
(:class:`FrameDecoder`).

A slow subscriber never holds the others up: its queue is bounded; when it overflows, its
backlog is dropped and it waits for the next keyframe (asking the encoder for one).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import av
from aiortc import rtcrtpreceiver
from aiortc.codecs import get_capabilities
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters

from shared.aio import cancel_and_wait

if TYPE_CHECKING:
    Pkt: TypeAlias = av.Packet[Any]
else:
    Pkt = av.Packet

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48_000)


@dataclass(frozen=True)
class Step:
    """One rung of the video ladder."""

    width: int
    height: int
    fps: float
    bitrate: int


LADDER_720P = (
    Step(1280, 720, 30, 2_500_000),
    Step(960, 540, 25, 1_200_000),
    Step(640, 360, 20, 600_000),
    Step(426, 240, 15, 300_000),
    Step(320, 180, 10, 150_000),
)
"""From the best to the most robust; a link's cap and its loss choose the rung."""


def h264_is_keyframe(data: bytes) -> bool:
    """Does this Annex B access unit hold an IDR slice or a sequence parameter set?"""
    i, n = 0, len(data)
    while True:
        j = data.find(b"\x00\x00\x01", i)
        if j < 0 or j + 3 >= n:
            return False
        nal_type = data[j + 3] & 0x1F
        if nal_type in (5, 7):
            return True
        i = j + 3


def is_keyframe(packet: Pkt, kind: str) -> bool:
    if kind == "audio":
        return True
    if packet.is_keyframe:
        return True
    return h264_is_keyframe(bytes(packet))


class PacketTrack(MediaStreamTrack):
    """A track that hands out encoded packets (aiortc's sender packetizes them as they are)."""

    def __init__(self, kind: str, queue_size: int = 90) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[Pkt | None] = asyncio.Queue(queue_size)
        self.waiting_keyframe = kind == "video"
        self.dropped = 0
        self.on_keyframe_needed: Callable[[], None] | None = None

    def offer(self, packet: Pkt, keyframe: bool) -> None:
        if self.readyState != "live":
            return
        if self.waiting_keyframe:
            if not keyframe:
                self.dropped += 1
                return
            self.waiting_keyframe = False
        try:
            self.queue.put_nowait(packet)
        except asyncio.QueueFull:
            # this viewer is behind: drop its backlog, resume at the next keyframe
            self.dropped += self.queue.qsize() + 1
            while not self.queue.empty():
                self.queue.get_nowait()
            if self.kind == "video":
                self.waiting_keyframe = True
                if self.on_keyframe_needed is not None:
                    self.on_keyframe_needed()

    def finish(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    async def recv(self) -> Pkt:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self.queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        return packet


Subscriber = Callable[[Pkt, bool], None]


@dataclass
class PacketFanout:
    """One stream of encoded packets to any number of subscribers."""

    kind: str
    subscribers: list[Subscriber] = field(default_factory=list)
    request_keyframe: Callable[[], None] = lambda: None
    packets: int = 0
    last_packet: float = 0.0

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self.subscribers.append(fn)
        if self.kind == "video":
            self.request_keyframe()

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self.subscribers.remove(fn)

        return unsubscribe

    def track(self) -> PacketTrack:
        """A new track for one more peer connection, subscribed until it stops."""
        track = PacketTrack(self.kind)
        track.on_keyframe_needed = self.request_keyframe
        unsubscribe = self.subscribe(track.offer)
        track.on("ended", unsubscribe)
        return track

    def publish(self, packet: Pkt) -> None:
        self.packets += 1
        self.last_packet = time.monotonic()
        keyframe = is_keyframe(packet, self.kind)
        for fn in list(self.subscribers):
            try:
                fn(packet, keyframe)
            except Exception:  # one broken subscriber must not stop the others
                log.exception("media subscriber failed; unsubscribing it")
                with contextlib.suppress(ValueError):
                    self.subscribers.remove(fn)

    def end(self) -> None:
        for fn in list(self.subscribers):
            owner = getattr(fn, "__self__", None)
            if isinstance(owner, PacketTrack):
                owner.finish()
        self.subscribers.clear()


class Worker:
    """A background task on the event loop: :meth:`start` once, :meth:`stop` waits for it."""

    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
        self._stopped()

    async def _run(self) -> None:
        raise NotImplementedError

    def _stopped(self) -> None:
        """What else stopping ends (the encoders: their fan-out)."""


class SharedVideoEncoder(Worker):
    """One H.264 encoder for one source, whatever the number of viewers.

    ``ladder`` is what it may send; ``cap_bps`` (a link's limit) removes the rungs above it;
    :meth:`set_step` moves along the rest (the adaptation controller calls it). Encodes only
    while someone subscribes.
    """

    def __init__(
        self,
        source: MediaStreamTrack,
        ladder: tuple[Step, ...] = LADDER_720P,
        cap_bps: int | None = None,
        keyframe_interval_s: float = 2.0,
        preset: str = "veryfast",
    ) -> None:
        self.source = source
        allowed = tuple(s for s in ladder if cap_bps is None or s.bitrate <= cap_bps)
        if not allowed:
            lowest = ladder[-1]
            allowed = (Step(lowest.width, lowest.height, lowest.fps, cap_bps or lowest.bitrate),)
        self.ladder = allowed
        self.step_index = 0
        self.fanout = PacketFanout("video", request_keyframe=self.force_keyframe)
        self.keyframe_interval_s = keyframe_interval_s
        self.preset = preset
        self._codec: Any = None
        self._codec_step: Step | None = None
        self._force = True
        self._last_sent_pts: float | None = None
        self._last_keyframe = 0.0
        self.frames_in = 0
        self.frames_encoded = 0
        self.error: str = ""
        self.on_failure: Callable[[str], None] | None = None
        """Told when the source or the encoder fails (a camera unplugged mid-call)."""

    @property
    def step(self) -> Step:
        return self.ladder[self.step_index]

    def set_step(self, index: int) -> None:
        index = max(0, min(index, len(self.ladder) - 1))
        if index != self.step_index:
            self.step_index = index
            self._force = True

    def force_keyframe(self) -> None:
        self._force = True

    def _stopped(self) -> None:
        self.fanout.end()

    def _open(self, step: Step, fmt: str) -> Any:
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height = step.width, step.height
        codec.pix_fmt = "yuv420p"
        codec.bit_rate = step.bitrate
        codec.framerate = fractions.Fraction(int(step.fps), 1)
        codec.time_base = VIDEO_TIME_BASE
        codec.profile = "Baseline"
        codec.options = {
            "preset": self.preset,
            "tune": "zerolatency",
            "level": "31",
            # a VBV one second deep keeps each frame near the budget of a constrained link
            "x264-params": f"vbv-maxrate={step.bitrate // 1000}:vbv-bufsize={step.bitrate // 1000}"
            ":keyint=infinite:repeat-headers=1",
        }
        return codec

    def _encode(self, frame: av.VideoFrame, force: bool) -> list[Pkt]:
        step = self.step
        if frame.width < step.width:
            # never scale a picture up: a smaller camera keeps its own size at this budget
            w, h = frame.width // 2 * 2, frame.height // 2 * 2
            step = Step(w, h, step.fps, step.bitrate)
        if self._codec is None or self._codec_step != step:
            self._codec = self._open(step, frame.format.name)
            self._codec_step = step
            force = True
        if (
            frame.width != step.width
            or frame.height != step.height
            or frame.format.name != "yuv420p"
        ):
            frame = frame.reformat(width=step.width, height=step.height, format="yuv420p")
        frame.pict_type = av.video.frame.PictureType.I if force else av.video.frame.PictureType.NONE
        packets = list(self._codec.encode(frame))
        for p in packets:
            p.time_base = VIDEO_TIME_BASE
        return packets

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await self.source.recv()
                self.frames_in += 1
                if not self.fanout.subscribers:
                    continue
                # frame-rate step: skip frames closer than the rung's interval
                t = (
                    float(frame.pts * frame.time_base)
                    if frame.pts is not None and frame.time_base is not None
                    else time.time()
                )
                if (
                    self._last_sent_pts is not None
                    and t - self._last_sent_pts < 0.9 / self.step.fps
                ):
                    continue
                self._last_sent_pts = t
                now = time.monotonic()
                force = self._force or now - self._last_keyframe >= self.keyframe_interval_s
                self._force = False
                if force:
                    self._last_keyframe = now
                pts = int(t / VIDEO_TIME_BASE)
                frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
                assert isinstance(frame, av.VideoFrame)
                packets = await loop.run_in_executor(None, self._encode, frame, force)
                self.frames_encoded += 1
                for packet in packets:
                    packet.pts = pts
                    self.fanout.publish(packet)
        except MediaStreamError:
            self.error = "the camera stopped sending pictures"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = f"video encoder failed: {exc}"
            log.exception("video encoder failed")
        finally:
            self.fanout.end()
        if self.on_failure is not None:
            self.on_failure(self.error)


class SharedAudioEncoder(Worker):
    """One Opus encoder (48 kHz, 20 ms) for one microphone, whatever the number of
    listeners."""

    def __init__(self, source: MediaStreamTrack, bitrate: int = 32_000) -> None:
        self.source = source
        self.bitrate = bitrate
        self.fanout = PacketFanout("audio")
        self._codec: Any = None
        self._resampler = av.AudioResampler(
            format="s16", layout="stereo", rate=48_000, frame_size=960
        )
        self.error = ""
        self.muted = False

    def _stopped(self) -> None:
        self.fanout.end()

    def _encode(self, frame: av.AudioFrame) -> list[Pkt]:
        if self._codec is None:
            self._codec = av.CodecContext.create("libopus", "w")
            self._codec.sample_rate = 48_000
            self._codec.layout = "stereo"
            self._codec.format = "s16"
            self._codec.bit_rate = self.bitrate
            self._codec.time_base = AUDIO_TIME_BASE
            self._codec.options = {"application": "voip", "frame_duration": "20"}
        out: list[Pkt] = []
        for part in self._resampler.resample(frame):
            out.extend(self._codec.encode(part))
        for p in out:
            p.time_base = AUDIO_TIME_BASE
        return out

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.source.recv()
                if self.muted or not self.fanout.subscribers:
                    continue
                assert isinstance(frame, av.AudioFrame)
                for packet in self._encode(frame):
                    self.fanout.publish(packet)
        except MediaStreamError:
            self.error = "source ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = f"audio encoder failed: {exc}"
            log.exception("audio encoder failed")
        finally:
            self.fanout.end()


# --- receiving without decoding -------------------------------------------------------------


class _Passthrough:
    """Stands in for aiortc's decoder: hands the reassembled encoded frame on as a packet."""

    def __init__(self, codec: RTCRtpCodecParameters) -> None:
        self.time_base = (
            VIDEO_TIME_BASE if codec.mimeType.lower().startswith("video/") else AUDIO_TIME_BASE
        )
        self.codec_name = codec.name

    def decode(self, encoded_frame: Any) -> list[Pkt]:
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = self.time_base
        return [packet]


_installed = False


def install_passthrough() -> None:
    """Make every receiver in this process deliver encoded packets instead of frames.

    aiortc's receiver calls ``get_decoder`` from its decoder thread; the pinned aiortc
    (requirements/lock.txt) is checked to have that seam (tests/shared/media)."""
    global _installed
    if _installed:
        return
    if not callable(getattr(rtcrtpreceiver, "get_decoder", None)):
        raise RuntimeError(
            "this aiortc has no decoder seam: pin the version in requirements/lock.txt"
        )
    setattr(rtcrtpreceiver, "get_decoder", _Passthrough)  # noqa: B010 - the seam is private
    _installed = True


class FrameDecoder:
    """Decodes one received stream's packets (for a screen, a latency reading)."""

    def __init__(self, kind: str, codec_name: str = "h264") -> None:
        name = {"h264": "h264", "vp8": "vp8", "opus": "opus"}.get(codec_name.lower(), codec_name)
        self.kind = kind
        self.codec: Any = av.CodecContext.create(name, "r")
        self.errors = 0

    def decode(self, packet: Pkt) -> list[Any]:
        try:
            return list(self.codec.decode(packet))
        except av.FFmpegError:
            self.errors += 1
            return []


def codec_preferences(kind: str, name: str) -> list[RTCRtpCodecCapability]:
    """The capabilities of ``kind`` restricted to ``name`` (H264 / opus), for
    ``setCodecPreferences``: a packet stream can only be sent in its own codec."""
    wanted = {f"{kind}/{name.lower()}", f"{kind}/rtx"}
    codecs = [c for c in get_capabilities(kind).codecs if c.mimeType.lower() in wanted]
    if not any(c.mimeType.lower() != f"{kind}/rtx" for c in codecs):
        raise ValueError(f"this aiortc cannot send {kind}/{name}")
    return [
        RTCRtpCodecCapability(c.mimeType, c.clockRate, c.channels, c.parameters) for c in codecs
    ]
