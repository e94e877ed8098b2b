"""Media sessions signalled through a real hub, media over real aiortc peers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.client import HubClient, Replica
from shared.media.agent import MediaAgent, Stream
from shared.media.meter import VideoMeter, VoiceMeter, percentile
from shared.media.sources import LocalMedia
from tests.conftest import HubHandle
from tests.support import until


async def test_the_hall_watches_a_unit_and_talks_back(hub: HubHandle, tmp_path: Path) -> None:
    hall_b, unit_b = hub.enroll("hall-1", "leader"), hub.enroll("unit-1", "field")
    streams: dict[str, list[Stream]] = {"hall": [], "unit": []}
    async with (
        HubClient(hall_b, tmp_path / "h.db") as hc,
        HubClient(unit_b, tmp_path / "u.db") as uc,
        Replica(hall_b, topics=("media",)) as hr,
        Replica(unit_b, topics=("media",)) as ur,
    ):
        await hc.wait_online(10)
        await uc.wait_online(10)
        hall = MediaAgent(
            hc, hr, LocalMedia.open("none", "synthetic"), on_stream=streams["hall"].append
        )
        unit = MediaAgent(
            uc,
            ur,
            LocalMedia.open("synthetic", "synthetic", width=640, height=360),
            on_stream=streams["unit"].append,
        )
        hall.start()
        unit.start()
        try:
            session = await hall.watch("unit-1", incident_id="HZ-1", label="现场")
            await asyncio.wait_for(session.connected.wait(), 20)
            await until(lambda: len(streams["hall"]) == 2 and len(streams["unit"]) == 1, 10)
            video = next(s for s in streams["hall"] if s.kind == "video")
            voice = next(s for s in streams["hall"] if s.kind == "audio")
            back = streams["unit"][0]
            assert back.kind == "audio" and back.peer == "hall-1"
            vm, am, bm = VideoMeter(), VoiceMeter(), VoiceMeter()
            tasks = [
                asyncio.ensure_future(m.run(s.track))
                for m, s in ((vm, video), (am, voice), (bm, back))
            ]
            await asyncio.sleep(5)
            for t in tasks:
                t.cancel()
            assert vm.frames > 60 and vm.sizes[0] == (640, 360)
            assert (
                percentile(vm.delays_ms, 0.5) is not None
                and 0 < percentile(vm.delays_ms, 0.5) < 500
            )
            assert len(am.delays_ms) >= 3 and len(bm.delays_ms) >= 3
            assert all(0 < d < 500 for d in am.delays_ms + bm.delays_ms)
            await hall.end(session.session_id, "看完了")
            await until(lambda: not unit.sessions, 10)
        finally:
            await hall.aclose()
            await unit.aclose()
