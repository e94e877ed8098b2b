"""Where a device's pictures and sound come from, named by a short spec.

=====================  ==========================================================
``synthetic``          the stamped test camera / tone microphone (no device needed)
``v4l2:/dev/video0``   a camera on Linux (``dshow:video=NAME`` on Windows)
``alsa:default``       a microphone on Linux (``dshow:audio=NAME`` on Windows)
``file:PATH``          a video file, played in a loop (a drone's recording, a drill)
``rtsp://…``           an IP camera or a drone feed, pulled over RTSP (TCP)
``http://…``           a feed served over HTTP (MPEG-TS, MP4, MJPEG)
``none``               nothing
=====================  ==========================================================

A camera that is not there, a file that does not exist, an RTSP address that does not
answer: :class:`SourceError` says which and what to do, before any session is offered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from shared.media.encoding import LADDER_720P, SharedAudioEncoder, SharedVideoEncoder, Step
from shared.sim.synthetic_media import SyntheticAudioTrack, SyntheticVideoTrack


class SourceError(Exception):
    """A media source that cannot be opened, with what to do about it."""


def _player(target: str, fmt: str | None, options: dict[str, str], what: str) -> Any:
    from aiortc.contrib.media import MediaPlayer

    try:
        return MediaPlayer(target, format=fmt, options=options)
    except Exception as exc:  # av raises many kinds; all mean the same to the user
        raise SourceError(f"cannot open {what} {target!r}: {exc}") from exc


def open_video(
    spec: str, width: int = 1280, height: int = 720, fps: int = 30
) -> MediaStreamTrack | None:
    """The video track named by ``spec`` (see the module's table)."""
    if spec in ("", "none"):
        return None
    if spec == "synthetic":
        return SyntheticVideoTrack(width, height, fps)
    opts = {"video_size": f"{width}x{height}", "framerate": str(fps)}
    if spec.startswith("v4l2:"):
        device = spec[5:]
        if not os.path.exists(device):
            raise SourceError(
                f"camera {device} not found: plug it in, or choose another with --camera "
                "(v4l2:/dev/videoN, file:PATH, rtsp://…, synthetic)"
            )
        track = _player(device, "v4l2", opts, "camera").video
    elif spec.startswith("dshow:"):
        track = _player(spec[6:], "dshow", opts, "camera").video
    elif spec.startswith("file:"):
        path = Path(spec[5:])
        if not path.is_file():
            raise SourceError(f"video file {path} not found: check the path given to --camera")
        from aiortc.contrib.media import MediaPlayer

        try:
            track = MediaPlayer(str(path), loop=True).video
        except Exception as exc:
            raise SourceError(f"cannot play {path}: {exc}") from exc
    elif spec.startswith(("rtsp://", "rtsps://")):
        track = _player(
            spec, None, {"rtsp_transport": "tcp", "timeout": "5000000"}, "RTSP feed"
        ).video
    elif spec.startswith(("http://", "https://")):
        track = _player(spec, None, {"rw_timeout": "5000000"}, "HTTP feed").video
    else:
        raise SourceError(
            f"unknown camera {spec!r}: use synthetic, v4l2:/dev/videoN, dshow:video=NAME, "
            "file:PATH, rtsp://… or none"
        )
    if track is None:
        raise SourceError(f"{spec} has no video")
    assert isinstance(track, MediaStreamTrack)
    return track


def open_audio(spec: str) -> MediaStreamTrack | None:
    """The audio track named by ``spec`` (see the module's table)."""
    if spec in ("", "none"):
        return None
    if spec == "synthetic":
        return SyntheticAudioTrack()
    if spec.startswith("alsa:"):
        track = _player(spec[5:], "alsa", {}, "microphone").audio
    elif spec.startswith("dshow:"):
        track = _player(spec[6:], "dshow", {}, "microphone").audio
    elif spec.startswith("file:"):
        path = Path(spec[5:])
        if not path.is_file():
            raise SourceError(f"audio file {path} not found: check the path given to --mic")
        from aiortc.contrib.media import MediaPlayer

        track = MediaPlayer(str(path), loop=True).audio
    else:
        raise SourceError(
            f"unknown microphone {spec!r}: use synthetic, alsa:NAME, file:PATH or none"
        )
    if track is None:
        raise SourceError(f"{spec} has no audio")
    assert isinstance(track, MediaStreamTrack)
    return track


@dataclass
class LocalMedia:
    """A device's own camera and microphone, each encoded once for every session.

    ``naive`` is the comparison the benchmark makes: aiortc's own way, the raw picture
    handed to every peer connection (through aiortc's ``MediaRelay``) and encoded by each."""

    video: SharedVideoEncoder | None = None
    audio: SharedAudioEncoder | None = None
    naive: bool = False
    _relay: Any = None

    @classmethod
    def open(
        cls,
        camera: str,
        mic: str,
        cap_bps: int | None = None,
        width: int = 1280,
        height: int = 720,
        naive: bool = False,
    ) -> LocalMedia:
        v = open_video(camera, width, height)
        a = open_audio(mic)
        # never scale a picture up: the ladder starts at the camera's own size and rate
        below = tuple(s for s in LADDER_720P if s.width <= width) or LADDER_720P[-1:]
        top = Step(width, height, 30, below[0].bitrate)
        ladder = (top, *(s for s in below if s.width < width))
        local = cls(
            SharedVideoEncoder(v, ladder=ladder, cap_bps=cap_bps) if v is not None else None,
            SharedAudioEncoder(a) if a is not None else None,
            naive,
        )
        if naive:
            from aiortc.contrib.media import MediaRelay

            local._relay = MediaRelay()
        return local

    def raw_track(self, kind: str) -> MediaStreamTrack | None:
        """For the naive comparison: a subscription to the raw source, encoded by its peer."""
        enc = self.video if kind == "video" else self.audio
        if enc is None:
            return None
        return self._relay.subscribe(enc.source, buffered=False)  # type: ignore[no-any-return]

    def start(self) -> None:
        if self.naive:
            return  # each peer connection reads the source itself
        for enc in (self.video, self.audio):
            if enc is not None:
                enc.start()

    async def stop(self) -> None:
        for enc in (self.video, self.audio):
            if enc is not None:
                await enc.stop()
                enc.source.stop()
