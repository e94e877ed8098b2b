"""Media sessions signalled through a real hub, media over real aiortc peers."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from contextlib import AsyncExitStack
from pathlib import Path

import av
import pytest

from shared.client import HubClient, Replica
from shared.media.agent import MediaAgent, Stream
from shared.media.hall import Feed, HallMedia
from shared.media.meter import ToneListenerAdapter, VideoMeter, VoiceMeter, percentile
from shared.media.recording import RecordingError, RecordingLibrary, read_frames
from shared.media.sources import LocalMedia
from shared.protocol import FloorRequest
from tests.conftest import HubHandle
from tests.support import until


def _measured(delay_ms: float) -> bool:
    """A delay read from stamped media: it arrived after it was made."""
    return math.isfinite(delay_ms) and delay_ms > 0


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
            await until(
                lambda: vm.frames > 60 and len(am.delays_ms) >= 3 and len(bm.delays_ms) >= 3,
                20,
                what="video and voice both ways",
            )
            for t in tasks:
                t.cancel()
            assert vm.frames > 60 and vm.sizes[0] == (640, 360)
            # the stamped pictures and tones arrived, after they were made (how soon is the
            # benchmark's business: ./run bench media)
            median = percentile(vm.delays_ms, 0.5)
            assert median is not None and median > 0 and all(map(math.isfinite, vm.delays_ms))
            assert len(am.delays_ms) >= 3 and len(bm.delays_ms) >= 3
            assert all(_measured(d) for d in am.delays_ms + bm.delays_ms)
            await hall.end(session.session_id, "看完了")
            await until(lambda: not unit.sessions, 10)
        finally:
            await hall.aclose()
            await unit.aclose()


async def _device(
    hub: HubHandle, tmp_path: Path, name: str, role: str, stack: AsyncExitStack
) -> tuple[HubClient, Replica]:
    b = hub.enroll(name, role)
    c = await stack.enter_async_context(HubClient(b, tmp_path / f"{name}.db"))
    r = await stack.enter_async_context(Replica(b, topics=("media", "talkgroup")))
    await c.wait_online(10)
    return c, r


async def test_the_hall_relays_records_and_forwards_a_feed(hub: HubHandle, tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        hc, hr = await _device(hub, tmp_path, "hall-1", "leader", stack)
        ac, ar = await _device(hub, tmp_path, "unit-a", "field", stack)
        bc, br = await _device(hub, tmp_path, "unit-b", "field", stack)
        feeds: list[Feed] = []
        hall = HallMedia(
            lambda **kw: MediaAgent(hc, hr, LocalMedia.open("none", "synthetic"), **kw),
            record_to=tmp_path / "rec",
            on_feed=feeds.append,
        )
        unit_a = MediaAgent(
            ac, ar, LocalMedia.open("synthetic", "synthetic", width=640, height=360)
        )
        got_b: list[Stream] = []
        unit_b = MediaAgent(bc, br, LocalMedia.open("none", "synthetic"), on_stream=got_b.append)
        for agent in (hall, unit_a, unit_b):
            agent.start()
        stack.push_async_callback(unit_b.aclose)
        stack.push_async_callback(unit_a.aclose)
        stack.push_async_callback(hall.aclose)
        session = await hall.watch("unit-a", incident_id="HZ-7", label="化工园区")
        await until(lambda: any(f.stream.kind == "video" for f in feeds), 20)
        video = next(f for f in feeds if f.stream.kind == "video")
        # the hall's screen: one decode of the fanned-out packets
        screen = PacketTrackMeter(video)
        await until(lambda: screen.meter.frames > 0, 10, what="the hall's screen decoding")
        fwd = await hall.forward(session.session_id, "unit-b")
        await asyncio.wait_for(fwd.connected.wait(), 20)
        await until(lambda: any(s.kind == "video" for s in got_b), 10)
        vb = VideoMeter()
        task = asyncio.ensure_future(vb.run(next(s for s in got_b if s.kind == "video").track))
        # the forwarded feed at unit-b, and three seconds of it on the hall's screen (and so
        # in the recording, which started with the screen)
        await until(
            lambda: vb.frames > 30 and vb.delays_ms and screen.meter.frames > 90,
            20,
            what="the forwarded feed at unit-b and the hall's screen",
        )
        task.cancel()
        # forwarded as received: the same picture size, readable stamps, a keyframe on joining
        assert vb.frames > 30 and vb.sizes == [(640, 360)] and vb.delays_ms
        assert screen.meter.frames > 30
        screen.stop()
        await hall.agent.end(session.session_id, "看完了")
        await until(lambda: not hall.recorders, 10)
        cards = RecordingLibrary(tmp_path / "rec").cards("HZ-7")
        assert len(cards) == 1 and cards[0].peer == "unit-a" and cards[0].video_packets > 60
        assert cards[0].audio_packets > 100 and cards[0].note == "看完了"
        frames = read_frames(RecordingLibrary(tmp_path / "rec").path_of(cards[0]), limit=200)
        assert len(frames) > 30 and (frames[-1].width, frames[-1].height) == (640, 360)
        # export carries the card; a changed file is not exported
        lib = RecordingLibrary(tmp_path / "rec")
        out = lib.export(cards[0].recording_id, tmp_path / "export")
        assert out.exists() and out.with_suffix(".json").exists()
        with lib.path_of(cards[0]).open("r+b") as f:
            f.seek(1000)
            f.write(b"\x00" * 16)
        with pytest.raises(RecordingError, match="SHA-256"):
            lib.export(cards[0].recording_id, tmp_path / "export2")
        # retention: an open incident's recordings stay, the rest go once old enough
        later = time.time() + 8 * 86400
        assert lib.apply_retention(7, open_incidents=["HZ-7"], now=later) == []
        assert [c.recording_id for c in lib.apply_retention(7, now=later)] == [
            cards[0].recording_id
        ]
        assert lib.cards() == []


class PacketTrackMeter:
    """Subscribes a decoder to a feed's fan-out, as the hall's screen does."""

    def __init__(self, feed: Feed) -> None:
        self.meter = VideoMeter()
        self.track = feed.fanout.track()
        self.task = asyncio.ensure_future(self.meter.run(self.track))

    def stop(self) -> None:
        self.task.cancel()
        self.track.stop()


async def test_push_to_talk_through_the_hall(hub: HubHandle, tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        hc, hr = await _device(hub, tmp_path, "hall-1", "leader", stack)
        heard: dict[str, list[Stream]] = {"u1": [], "u2": []}
        units = {}
        for name in heard:
            c, r = await _device(hub, tmp_path, name, "field", stack)
            agent = MediaAgent(
                c, r, LocalMedia.open("none", "synthetic"), on_stream=heard[name].append
            )
            agent.start()
            stack.push_async_callback(agent.aclose)
            units[name] = (c, agent)
            join = c.make(FloorRequest, group_id="HZ-1", action="join")
            assert await c.submit_and_wait(join, 10) is None
        talkers: list[str] = []
        hall = HallMedia(
            lambda **kw: MediaAgent(hc, hr, LocalMedia.open("none", "synthetic"), **kw),
            on_talkgroup=lambda g: talkers.append(g.talker),
            record_to=tmp_path / "rec",
        )
        hall.start()
        stack.push_async_callback(hall.aclose)
        await hall.open_talkgroup("HZ-1", ["u1", "u2"], incident_id="HZ-1")
        await until(lambda: all(heard[n] for n in heard), 20)
        meters = {n: VoiceMeter() for n in heard}
        tasks = [asyncio.ensure_future(meters[n].run(heard[n][0].track)) for n in heard]
        # nobody holds the floor: nobody hears anything
        await asyncio.sleep(2.5)
        assert all(not m.delays_ms for m in meters.values())
        c1 = units["u1"][0]
        floor_taken = time.monotonic()  # nothing is relayed, nor recorded, before this
        await c1.submit(c1.make(FloorRequest, group_id="HZ-1", action="request"))
        await until(lambda: talkers and talkers[-1] == "u1", 10)
        # u1 holds the key until u2 has heard three of its tones (one a second): its turn
        # is recorded
        await until(lambda: len(meters["u2"].delays_ms) >= 3, 10, what="u2 hearing u1's tones")
        # u2 hears u1 through the hall; u1 does not hear itself
        assert len(meters["u2"].delays_ms) >= 3 and not meters["u1"].delays_ms
        assert all(_measured(d) for d in meters["u2"].delays_ms)
        # the commander in the hall pre-empts: now both units hear the hall
        await hall.press("HZ-1")
        await until(lambda: talkers[-1] == "hall-1", 10)
        before = {n: len(m.delays_ms) for n, m in meters.items()}
        # the hall's turn, as long: three of its tones at each unit (the recording holds both)
        await until(
            lambda: all(len(meters[n].delays_ms) >= before[n] + 3 for n in meters),
            10,
            what="both units hearing the hall's tones",
        )
        assert all(_measured(d) for m in meters.values() for d in m.delays_ms)
        for t in tasks:
            t.cancel()
        # the floor is recorded: u1's turn, then the hall's, on one clock
        await hall.aclose()
        floor_held = time.monotonic() - floor_taken  # the recorder is closed by now
        (card,) = RecordingLibrary(tmp_path / "rec").cards("HZ-1")
        assert card.peer == "对讲组" and card.label == "HZ-1"
        # every packet the hall relayed is in it, and its card does not say it stopped early
        assert card.audio_packets == hall.groups["HZ-1"].forwarded and card.note == "hall closing"
        times, seconds, tones = _played(RecordingLibrary(tmp_path / "rec").path_of(card))
        assert len(times) == card.audio_packets
        # it holds what the units heard: u2 heard both turns and u1 the hall's, all of it
        # relayed through the hall (each 20 ms packet one decoded frame)
        heard_s = {n: m.frames * 0.020 for n, m in meters.items()}
        assert seconds >= max(heard_s.values()), (seconds, heard_s)
        assert tones >= max(len(m.delays_ms) for m in meters.values()), tones
        # and no more than the floor was held for: a voice comes at the pace it is spoken,
        # plus what was already on its way when each turn began (the synthetic microphone's
        # catch-up after a late frame, at most 0.2 s, and a member's voice in the hall's
        # jitter buffer, at most 16 packets of 20 ms)
        assert seconds <= floor_held + 2 * 0.2 + 16 * 0.020, (seconds, floor_held)
        # one turn after the other, never two packets at once: each 20 ms after the last
        assert all(b - a >= 960 for a, b in itertools.pairwise(times))


def _played(path: Path) -> tuple[list[int], float, int]:
    """A recording's voice as a player reads it: its packets' times (48 kHz ticks), the
    seconds decoded, the timed tones heard in them."""
    times, samples, tones = [], 0, 0
    listener = ToneListenerAdapter()
    with av.open(str(path)) as f:
        stream = f.streams.audio[0]
        tick = stream.time_base
        assert tick is not None
        for packet in f.demux(stream):
            if packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            times.append(int(packet.pts * tick * 48_000))
            for frame in packet.decode():
                samples += frame.samples
                tones += len(listener.feed(frame, time.time()))
    return times, samples / 48_000, tones
