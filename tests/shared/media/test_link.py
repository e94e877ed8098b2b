"""Constrained links: 5 % loss keeps video flowing; the picture steps down under loss and
recovers after; a 1 Mbit/s cap holds. Real aiortc peers through an in-process lossy relay
(netem is not available on these machines)."""

from __future__ import annotations

import asyncio
import time

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from shared.media.adapt import AdaptationLoop, LossAdapter
from shared.media.encoding import (
    LADDER_720P,
    SharedVideoEncoder,
    codec_preferences,
    install_passthrough,
)
from shared.media.meter import VideoMeter
from shared.sim.linkemu import LossyLink
from shared.sim.synthetic_media import SyntheticVideoTrack
from tests.support import until


def test_the_adapter_steps_down_on_sustained_loss_and_back_up_after() -> None:
    a = LossAdapter(rungs=5)
    assert a.observe(0.10, 0.0) == 0  # one lossy report may be a burst
    assert a.observe(0.10, 1.0) == 1
    assert a.observe(0.10, 2.0) == 1  # hold: not every report
    assert a.observe(0.10, 3.0) == 2
    for t in range(4, 9):
        assert a.observe(0.0, float(t)) == 2  # clean, not yet long enough
    assert a.observe(0.0, 10.0) == 1
    assert a.observe(0.02, 11.0) == 1  # between the bounds: stay
    for t in range(12, 30):
        a.observe(0.0, float(t))
    assert a.index == 0


async def _pair(
    link: LossyLink, encoder: SharedVideoEncoder
) -> tuple[RTCPeerConnection, RTCPeerConnection, asyncio.Queue]:
    config = RTCConfiguration(iceServers=[])
    a, b = RTCPeerConnection(config), RTCPeerConnection(config)
    t = a.addTransceiver(encoder.fanout.track(), direction="sendonly")
    t.setCodecPreferences(codec_preferences("video", "H264"))
    t.sender._send_keyframe = encoder.force_keyframe
    tracks: asyncio.Queue = asyncio.Queue()
    b.on("track", tracks.put_nowait)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(
        RTCSessionDescription(link.rewrite("a", a.localDescription.sdp), "offer")
    )
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(
        RTCSessionDescription(link.rewrite("b", b.localDescription.sdp), "answer")
    )
    return a, b, tracks


async def test_five_percent_loss_steps_down_keeps_flowing_and_recovers() -> None:
    install_passthrough()
    link = LossyLink(loss=0.0)
    await link.start()
    encoder = SharedVideoEncoder(
        SyntheticVideoTrack(640, 360, 30), ladder=tuple(s for s in LADDER_720P if s.width <= 640)
    )
    encoder.start()
    a, b, tracks = await _pair(link, encoder)
    adapt = AdaptationLoop(encoder, a.getSenders, period_s=0.5)
    adapt.start()
    meter = VideoMeter()
    task = asyncio.ensure_future(meter.run(await asyncio.wait_for(tracks.get(), 20)))
    try:
        await until(lambda: meter.frames > 40, timeout=20)
        assert encoder.step_index == 0
        link.loss = 0.05
        t0, f0, lost0 = time.monotonic(), meter.frames, link.stats.lost
        await until(lambda: encoder.step_index >= 1, 20, what="a step down under 5 % loss")
        # pictures keep arriving at a lower rung's size through the loss
        await until(
            lambda: (426, 240) in meter.sizes or (320, 180) in meter.sizes, timeout=20, step=0.1
        )
        await until(
            lambda: meter.frames - f0 >= 60 and link.stats.lost - lost0 >= 10, timeout=30, step=0.1
        )
        lossy_fps = (meter.frames - f0) / (time.monotonic() - t0)
        assert lossy_fps > 5
        stepped = encoder.step_index
        link.loss = 0.0
        await until(
            lambda: encoder.step_index < stepped, 40, what="recovery after the loss stopped"
        )
    finally:
        task.cancel()
        await adapt.stop()
        await encoder.stop()
        await a.close()
        await b.close()
        link.close()


async def test_a_one_megabit_cap_is_respected() -> None:
    install_passthrough()
    link = LossyLink(cap_bps=1_000_000)
    await link.start()
    encoder = SharedVideoEncoder(SyntheticVideoTrack(1280, 720, 30), cap_bps=1_000_000)
    assert all(s.bitrate <= 1_000_000 for s in encoder.ladder)
    encoder.start()
    a, b, tracks = await _pair(link, encoder)
    meter = VideoMeter()
    task = asyncio.ensure_future(meter.run(await asyncio.wait_for(tracks.get(), 20)))
    try:
        await until(lambda: meter.frames > 20, timeout=20)
        bytes0, t0, f0 = link.stats.bytes, time.monotonic(), meter.frames
        # the rate over a window of at least 5 s and 40 pictures
        await until(
            lambda: time.monotonic() - t0 >= 5 and meter.frames - f0 > 40, timeout=30, step=0.1
        )
        rate = (link.stats.bytes - bytes0) * 8 / (time.monotonic() - t0)
        assert rate < 1_000_000
        assert link.stats.over_cap < link.stats.forwarded * 0.02, link.stats
    finally:
        task.cancel()
        await encoder.stop()
        await a.close()
        await b.close()
        link.close()
