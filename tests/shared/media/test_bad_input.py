"""Bad media input: malformed SDP, codecs this system does not use, missing cameras, hostile
sizes. The session concerned ends with the reason; the others go on."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from shared.client import HubClient, Replica
from shared.media.agent import MediaAgent, MediaError, Stream, check_sdp
from shared.media.meter import VideoMeter
from shared.media.sources import LocalMedia, SourceError, open_audio, open_video
from shared.protocol import MediaSignal
from tests.conftest import HubHandle
from tests.support import until


def test_sdp_checks_name_the_problem() -> None:
    with pytest.raises(MediaError, match="must start with v=0"):
        check_sdp("hello", needs_video=True, needs_audio=True)
    with pytest.raises(MediaError, match="at most"):
        check_sdp("v=0\r\n" + "a=x\r\n" * 20000, needs_video=True, needs_audio=True)
    with pytest.raises(MediaError, match="malformed SDP"):
        check_sdp(
            "v=0\r\nm=video notaport UDP/TLS/RTP/SAVPF 96\r\n", needs_video=True, needs_audio=False
        )
    with pytest.raises(MediaError, match="no video section"):
        check_sdp(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", needs_video=True, needs_audio=False
        )


def test_missing_devices_and_unknown_specs_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"camera /dev/video97 not found: plug it in"):
        open_video("v4l2:/dev/video97")
    with pytest.raises(SourceError, match=r"video file .* not found"):
        open_video(f"file:{tmp_path / 'nope.mp4'}")
    with pytest.raises(SourceError, match="unknown camera 'webcam'"):
        open_video("webcam")
    with pytest.raises(SourceError, match="unknown microphone"):
        open_audio("mic0")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError, match="cannot play"):
        open_video(f"file:{junk}")


async def test_bad_offers_end_their_session_and_spare_the_others(
    hub: HubHandle, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        hb, ub = hub.enroll("hall-1", "leader"), hub.enroll("unit-1", "field")
        hc = await stack.enter_async_context(HubClient(hb, tmp_path / "h.db"))
        uc = await stack.enter_async_context(HubClient(ub, tmp_path / "u.db"))
        hr = await stack.enter_async_context(Replica(hb, topics=("media",)))
        ur = await stack.enter_async_context(Replica(ub, topics=("media",)))
        await hc.wait_online(10)
        await uc.wait_online(10)
        streams: list[Stream] = []
        hall = MediaAgent(hc, hr, LocalMedia.open("none", "none"), on_stream=streams.append)
        unit = MediaAgent(uc, ur, LocalMedia.open("synthetic", "none", width=320, height=180))
        hall.start()
        unit.start()
        stack.push_async_callback(unit.aclose)
        stack.push_async_callback(hall.aclose)
        good = await hall.watch("unit-1", label="good")
        await asyncio.wait_for(good.connected.wait(), 20)
        await until(lambda: streams, 10)
        meter = VideoMeter()
        task = asyncio.ensure_future(meter.run(streams[0].track))

        offer_sdp = hr.get("media", good.session_id).offer_sdp
        cases = {
            "garbage": ("v=0\r\nm=video x y z\r\n", "malformed SDP"),
            "vp9-only": (
                offer_sdp.replace("H264/90000", "VP9/90000"),
                "unsupported codec: the video offered is",
            ),
            "no-audio": (
                "\r\n".join(line for line in offer_sdp.split("\r\n") if "opus" not in line.lower()),
                "unsupported codec: the audio offered",
            ),
        }
        for sid, (sdp, _) in cases.items():
            msg = hc.make(MediaSignal, session_id=sid, action="offer", to_device="unit-1", sdp=sdp)
            assert await hc.submit_and_wait(msg, 10) is None
        for sid, (_, words) in cases.items():
            await until(lambda sid=sid: getattr(hr.get("media", sid), "status", "") == "ended", 10)
            s = hr.get("media", sid)
            assert s.ended_by == "unit-1" and words in s.reason, s.reason
        # the good session never stopped
        before = meter.frames
        await until(lambda: meter.frames > before + 10, 10, what="the good session's frames")
        assert good.session_id in unit.sessions
        task.cancel()


def test_turn_settings_are_checked() -> None:
    from shared.media.agent import ice_servers

    assert ice_servers(None) == ()
    (server,) = ice_servers("turn:10.12.0.5:3478?transport=udp", "hall", "secret")
    assert server.urls == "turn:10.12.0.5:3478?transport=udp" and server.username == "hall"
    with pytest.raises(MediaError, match="not understood"):
        ice_servers("stun.l.google.com", "u", "p")
    with pytest.raises(MediaError, match="user name and password"):
        ice_servers("turn:10.12.0.5:3478", "", "")
