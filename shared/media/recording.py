"""Every media session recorded, linked to its incident, kept for a set time, exported.

The recorder writes what arrived, as it arrived — H.264 and Opus packets, no decoding and no
re-encoding — into MPEG-TS: a file cut short by a crash or a full disk still plays up to
its last whole packet. Every packet that arrives is kept: one whose time is not after the
previous packet's (a burst after the machine was busy, a timestamp that wrapped or jumped
back) goes just after it instead of being refused. Beside each recording, a JSON card:
session, peer, incident, label, start and end, size and SHA-256 (computed when it closes;
an export carries it).

The library (:class:`RecordingLibrary`) lists them by incident, applies retention (delete
what is older than ``keep_days`` unless its incident is one of those still open, or it is
marked ``hold``), and exports a recording with its card, checked against the digest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Generator, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av

from shared.media.encoding import AUDIO_TIME_BASE, VIDEO_TIME_BASE


class RecordingError(Exception):
    """A recording that cannot be made, found or exported, with what to do."""


@dataclass
class Card:
    """What is known about one recording (its JSON card)."""

    recording_id: str
    session_id: str
    peer: str
    incident_id: str | None
    label: str
    started: str
    ended: str | None = None
    file: str = ""
    bytes: int = 0
    sha256: str = ""
    video_packets: int = 0
    audio_packets: int = 0
    hold: bool = False
    note: str = ""


OPUS_FRAME = 960
"""48 kHz samples in one 20 ms Opus packet (what this system's encoders send)."""

_OPUS_MS = (10, 20, 40, 60) * 3 + (10, 20) * 2 + (2.5, 5, 10, 20) * 4
"""Frame length by the TOC byte's configuration number (RFC 6716, section 3.1)."""


def opus_samples(data: bytes) -> int:
    """How many 48 kHz samples an Opus packet carries, read from its TOC byte (and frame
    count); :data:`OPUS_FRAME` when the packet cannot be read."""
    if not data:
        return OPUS_FRAME
    toc = data[0]
    code = toc & 3
    frames = 1 if code == 0 else 2 if code < 3 else (data[1] & 0x3F if len(data) > 1 else 0)
    samples = int(_OPUS_MS[toc >> 3] * 48) * frames
    return samples if 0 < samples <= 5760 else OPUS_FRAME  # at most 120 ms in a packet


def _safe(part: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in part)
    return keep[:64] or "none"


class Recorder:
    """Writes one session's packets (video and/or audio) to one MPEG-TS file."""

    def __init__(
        self, folder: Path, session_id: str, peer: str, incident_id: str | None, label: str = ""
    ) -> None:
        now = datetime.now(UTC)
        rid = f"{now:%Y%m%dT%H%M%SZ}-{_safe(session_id)}"
        sub = folder / _safe(incident_id or "no-incident")
        sub.mkdir(parents=True, exist_ok=True)
        self.path = sub / f"{rid}.ts"
        self.card_path = sub / f"{rid}.json"
        self.card = Card(
            rid, session_id, peer, incident_id, label, now.isoformat(), file=self.path.name
        )
        self._lock = threading.Lock()
        try:
            self._out: Any = av.open(str(self.path), "w", format="mpegts")
        except (OSError, av.FFmpegError) as exc:
            raise RecordingError(f"cannot record to {self.path}: {exc}") from exc
        self._video: Any = None
        self._audio: Any = None
        self._started = False
        self._closed = False
        self._end: dict[str, int] = {}  # per kind: where the last written packet ends
        self._shift: dict[str, int] = {}  # per kind: added to times that jumped back
        self.error = ""
        self._write_card()

    def add(self, kind: str) -> None:
        """Declare a stream before the first packet (MPEG-TS wants them all up front)."""
        if self._started:
            return
        if kind == "video" and self._video is None:
            self._video = self._out.add_stream("h264", rate=30)
            self._video.time_base = VIDEO_TIME_BASE
        elif kind == "audio" and self._audio is None:
            self._audio = self._out.add_stream("opus", rate=48_000)
            self._audio.time_base = AUDIO_TIME_BASE

    def write(self, packet: Any, kind: str, pts: int | None = None) -> None:
        """One received packet (shared with the viewers: copied, never changed). ``pts``
        replaces the packet's own time (a talk group's voices come from several clocks)."""
        stream = self._video if kind == "video" else self._audio
        if stream is None or self._closed:
            return
        data = bytes(packet)
        copy = av.Packet(data)
        copy.time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
        copy.stream = stream
        with self._lock:
            if self._closed:
                return
            copy.pts = copy.dts = self._place(kind, packet.pts if pts is None else pts, data)
            try:
                self._started = True
                self._out.mux(copy)
            except (OSError, av.FFmpegError) as exc:
                # a full disk, say: stop recording this session, keep what is written
                self.error = f"recording stopped: {exc}"
                self._closed = True
                return
        if kind == "video":
            self.card.video_packets += 1
        else:
            self.card.audio_packets += 1

    def _place(self, kind: str, at: int | None, data: bytes) -> int:
        """Where a packet goes on its stream's time line: at its time, unless that is not
        after the end of the previous packet — then just after it. The muxer refuses a
        time that does not increase (and refusing stopped the whole recording); packets
        stamped alike come in a burst when the machine was busy (a talk group's are
        stamped on arrival). A time more than a second back (an RTP timestamp wrapping
        past 2^32, a source starting over) moves the rest of the stream up with it."""
        end = self._end.get(kind)
        if at is None:
            at = end or 0
        elif end is not None:
            at += self._shift.get(kind, 0)
            second = 90_000 if kind == "video" else 48_000
            if at < end - second:
                self._shift[kind] = self._shift.get(kind, 0) + end - at
                at = end
            at = max(at, end)
        self._end[kind] = at + (opus_samples(data) if kind == "audio" else 1)
        return at

    def subscriber(self, kind: str) -> Any:
        """A fan-out subscriber writing this kind."""
        self.add(kind)

        def on_packet(packet: Any, keyframe: bool) -> None:
            self.write(packet, kind)

        return on_packet

    def close(self, note: str = "") -> Card:
        with self._lock:
            if not self._closed:
                self._closed = True
            try:
                self._out.close()
            except (OSError, av.FFmpegError) as exc:
                self.error = self.error or f"closing failed: {exc}"
        self.card.ended = datetime.now(UTC).isoformat()
        # a recording that stopped early says so, whatever else closing it says
        self.card.note = "; ".join(part for part in (note, self.error) if part)
        if self.path.exists():
            self.card.bytes = self.path.stat().st_size
            self.card.sha256 = _digest(self.path)
        self._write_card()
        return self.card

    def _write_card(self) -> None:
        tmp = self.card_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self.card), ensure_ascii=False, indent=1))
        tmp.replace(self.card_path)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class RecordingLibrary:
    """The recordings in a folder: list, retention, export."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def cards(self, incident_id: str | None = None) -> list[Card]:
        out: list[Card] = []
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("*/*.json")):
            try:
                card = Card(**json.loads(path.read_text()))
            except (ValueError, TypeError):
                continue  # a damaged card is skipped, its recording left alone
            if incident_id is None or card.incident_id == incident_id:
                out.append(card)
        return out

    def path_of(self, card: Card) -> Path:
        return self.folder / _safe(card.incident_id or "no-incident") / card.file

    def apply_retention(
        self, keep_days: float, open_incidents: Iterable[str] = (), now: float | None = None
    ) -> list[Card]:
        """Delete recordings older than ``keep_days`` (by their end) unless held or of an
        incident still open; returns what was deleted."""
        keep_open = set(open_incidents)
        limit = datetime.fromtimestamp(now or time.time(), UTC) - timedelta(days=keep_days)
        deleted = []
        for card in self.cards():
            if card.hold or card.ended is None or card.incident_id in keep_open:
                continue
            if datetime.fromisoformat(card.ended) >= limit:
                continue
            path = self.path_of(card)
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            deleted.append(card)
        return deleted

    def export(self, recording_id: str, dest: Path) -> Path:
        """Copy a recording and its card into ``dest``, after checking its digest."""
        card = next((c for c in self.cards() if c.recording_id == recording_id), None)
        if card is None:
            raise RecordingError(f"no recording {recording_id!r} in {self.folder}")
        src = self.path_of(card)
        if not src.exists():
            raise RecordingError(f"the file of recording {recording_id} is missing ({src})")
        if card.sha256 and _digest(src) != card.sha256:
            raise RecordingError(
                f"recording {recording_id} does not match its SHA-256: the file was changed "
                "or damaged after it was closed; not exported"
            )
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / src.name
        shutil.copyfile(src, target)
        shutil.copyfile(src.with_suffix(".json"), dest / src.with_suffix(".json").name)
        return target


def iter_frames(path: Path) -> Generator[Any, None, None]:
    """Decoded video frames of a recording, one at a time (playback)."""
    with av.open(str(path)) as container:
        if container.streams.video:
            yield from container.decode(video=0)


def read_frames(path: Path, limit: int = 0) -> list[Any]:
    """Decoded video frames of a recording (playback, tests)."""
    frames: list[Any] = []
    with av.open(str(path)) as container:
        if not container.streams.video:
            return frames
        for frame in container.decode(video=0):
            frames.append(frame)
            if limit and len(frames) >= limit:
                break
    return frames
