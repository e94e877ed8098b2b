"""Pictures for a screen from what is received (shared.media.playout): live H.264 decoded
and scaled to where it is shown, recordings paced at their own speed. No Qt, no network."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from shared.media.playout import live_pictures, paced_pictures, picture


def _frames(n: int, width: int = 320, height: int = 240) -> list[Any]:
    out = []
    for i in range(n):
        rgb = np.zeros((height, width, 3), dtype=np.uint8)
        rgb[:, : (i * 7) % width] = (200, 30, 30)  # a bar that grows: every frame differs
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = i
        out.append(frame)
    return out


def test_a_picture_fits_its_width_keeps_its_aspect_and_has_even_sides() -> None:
    frame = _frames(1, 641, 481)[0]
    pic = picture(frame, 300)
    assert (pic.width, pic.height) == (300, 224)
    assert len(pic.data) == pic.stride * pic.height and pic.stride >= 3 * pic.width
    assert (picture(frame, 5000).width, picture(frame, 10).width) == (640, 64)


def _h264_packets(frames: list[Any]) -> list[Any]:
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = 320, 240, "yuv420p"
    codec.time_base = Fraction(1, 30)
    codec.options = {"tune": "zerolatency"}
    packets = []
    for frame in frames:
        packets += codec.encode(frame.reformat(format="yuv420p"))
    packets += codec.encode(None)
    return packets


class _Track:
    """A received track played back from packets (what aiortc's receiver hands over)."""

    def __init__(self, packets: list[Any]) -> None:
        self.packets = list(packets)
        self.stopped = False

    async def recv(self) -> Any:
        if not self.packets:
            raise MediaStreamError  # the sender hung up
        return self.packets.pop(0)

    def stop(self) -> None:
        self.stopped = True


async def test_live_pictures_are_decoded_at_the_width_asked_and_the_track_stopped() -> None:
    track = _Track(_h264_packets(_frames(12)))
    widths = iter([160, 160, 160] + [100] * 20)
    got = []
    with pytest.raises(MediaStreamError):
        async for pic in live_pictures(track, lambda: next(widths)):
            got.append((pic.width, pic.height))
    assert len(got) == 12
    assert got[0] == (160, 120) and got[-1] == (100, 74)
    assert track.stopped


async def test_a_recording_plays_at_its_own_pace(tmp_path: Path) -> None:
    path = tmp_path / "rec.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for frame in _frames(10):
            out.mux(stream.encode(frame.reformat(format="yuv420p")))
        out.mux(stream.encode(None))
    started = time.monotonic()
    pics = [p async for p in paced_pictures(path, fps=30, max_width=200)]
    elapsed = time.monotonic() - started
    assert len(pics) == 10 and {(p.width, p.height) for p in pics} == {(200, 150)}
    assert elapsed >= 10 / 30 * 0.99  # picture n is not shown before n/30 s
