"""Cameras registered as monitoring points and pulled by the command side over HTTP (an
RTSP server is not available here; both go through FFmpeg's network demuxers)."""

from __future__ import annotations

import asyncio
import fractions
from pathlib import Path

import av
import numpy as np
import pytest
from aiohttp import web

from shared.client import HubClient, Replica
from shared.media import stamp
from shared.media.agent import MediaAgent
from shared.media.hall import HallMedia
from shared.media.meter import VideoMeter
from shared.media.recording import RecordingLibrary
from shared.media.sources import LocalMedia, SourceError
from shared.protocol import ResourceUpsert
from tests.conftest import HubHandle
from tests.support import free_ports, until


def _camera_file(path: Path, seconds: int = 20) -> None:
    """A surveillance camera's recording: 320×240 at 15 fps, H.264 in MPEG-TS, stamped."""
    with av.open(str(path), "w", format="mpegts") as out:
        s = out.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        s.options = {"preset": "ultrafast"}
        for i in range(seconds * 15):
            plane = np.full((360, 320), 128, dtype=np.uint8)
            plane[:240] = (np.arange(320)[None, :] + i * 3) % 200 + 20
            stamp.paint(plane[:240], 1_000_000 + i)
            frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
            frame.pts = i
            frame.time_base = fractions.Fraction(1, 15)
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


async def test_a_registered_camera_is_pulled_shown_and_recorded(
    hub: HubHandle, tmp_path: Path
) -> None:
    _camera_file(tmp_path / "cam.ts")
    app = web.Application()
    app.router.add_static("/", tmp_path)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_ports(1)[0]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    hb = hub.enroll("hall-1", "leader")
    try:
        async with HubClient(hb, tmp_path / "h.db") as hc, Replica(hb) as hr:
            await hc.wait_online(10)
            url = f"http://127.0.0.1:{port}/cam.ts"
            cam = hc.make(
                ResourceUpsert,
                resource_id="CAM-桃城-01",
                resource_type="monitoring_point",
                name="人民路口监控",
                lat=37.74,
                lon=115.67,
                measure="video",
                stream_url=url,
            )
            assert await hc.submit_and_wait(cam, 10) is None
            await until(lambda: hr.get("resource", "CAM-桃城-01") is not None, 10)
            assert hr.get("resource", "CAM-桃城-01").stream_url == url
            # only cameras carry a stream
            shelter = hc.make(
                ResourceUpsert,
                resource_id="S-1",
                resource_type="shelter",
                name="体育馆",
                lat=37.7,
                lon=115.6,
                capacity=100,
                stream_url=url,
            )
            err = await hc.submit_and_wait(shelter, 10)
            assert err is not None and "only a camera" in err.detail
            hall = HallMedia(
                lambda **kw: MediaAgent(hc, hr, LocalMedia.open("none", "none"), **kw),
                record_to=tmp_path / "rec",
            )
            hall.start()
            try:
                feed = await hall.pull("CAM-桃城-01", url, name="人民路口监控", incident_id="HZ-2")
                meter = VideoMeter()
                track = feed.fanout.track()
                task = asyncio.ensure_future(meter.run(track))
                await until(lambda: meter.frames > 20, 20)
                # re-encoded once here, at the camera's own size; its stamps survive
                assert meter.sizes[-1] == (320, 240) and meter.unreadable < meter.frames // 4
                task.cancel()
                await hall.end("cam:CAM-桃城-01", "看完了")
                cards = RecordingLibrary(tmp_path / "rec").cards("HZ-2")
                assert len(cards) == 1 and cards[0].video_packets > 20
                assert cards[0].peer == "人民路口监控"
                # a camera that does not answer: a clear error, nothing else changes
                with pytest.raises(SourceError, match="cannot open HTTP feed"):
                    await hall.pull("CAM-2", f"http://127.0.0.1:{free_ports(1)[0]}/none.ts")
                assert ("cam:CAM-2", "video") not in hall.feeds
            finally:
                await hall.aclose()
    finally:
        await runner.cleanup()
