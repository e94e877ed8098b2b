"""Two field-unit processes and the hall exchange video and voice through a real hub
process; one unit vanishes mid-call (kill -9) and only its session ends."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

from shared.client import HubClient, Replica
from shared.identity import load_bundle
from shared.media.agent import MediaAgent, Stream
from shared.media.meter import VideoMeter, VoiceMeter, percentile
from shared.media.sources import LocalMedia
from tests.support import running_hub, until


def _station(bundle: Path, tmp: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "field_unit",
            "media",
            "--bundle",
            str(bundle),
            "--outbox",
            str(tmp / f"{bundle.stem}-outbox.db"),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert json.loads(line)["event"] == "ready", proc.stderr.read() if proc.stderr else line
    return proc


async def test_two_units_and_the_hall_through_a_hub_process(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        files = {}
        for name, role in (("hall-1", "leader"), ("unit-a", "field"), ("unit-b", "field")):
            files[name] = data / f"{name}.json"
            assert (
                hub.cli(
                    "enroll", "--name", name, "--role", role, "--out", str(files[name])
                ).returncode
                == 0
            )
        a = _station(files["unit-a"], tmp_path, "--size", "640x360", "--measure")
        b = _station(files["unit-b"], tmp_path, "--size", "320x180", "--mic", "none")
        try:
            async with AsyncExitStack() as stack:
                hb = load_bundle(files["hall-1"])
                hc = await stack.enter_async_context(HubClient(hb, tmp_path / "hall.db"))
                hr = await stack.enter_async_context(Replica(hb, topics=("media",)))
                await hc.wait_online(10)
                streams: list[Stream] = []
                hall = MediaAgent(
                    hc, hr, LocalMedia.open("none", "synthetic"), on_stream=streams.append
                )
                hall.start()
                stack.push_async_callback(hall.aclose)
                sa = await hall.watch("unit-a", incident_id="HZ-1", label="A")
                sb = await hall.watch("unit-b", incident_id="HZ-1", label="B")
                for s in (sa, sb):
                    await asyncio.wait_for(s.connected.wait(), 30)
                # what the hall says to the units from now on: its microphone's timed tones
                assert hall.local.audio is not None
                said = VoiceMeter()
                saying = asyncio.ensure_future(said.run(hall.local.audio.fanout.track()))
                await until(lambda: sum(s.kind == "video" for s in streams) == 2, 10)
                meters = {}
                tasks = []
                for s in streams:
                    if s.kind == "video":
                        meters[s.peer] = VideoMeter()
                        tasks.append(asyncio.ensure_future(meters[s.peer].run(s.track)))
                # two seconds of frames from each (30 and 15 fps) before measuring
                await until(
                    lambda: meters["unit-a"].frames >= 60 and meters["unit-b"].frames >= 30,
                    20,
                    what="frames from both units",
                )
                assert meters["unit-a"].sizes == [(640, 360)] and meters["unit-b"].sizes == [
                    (320, 180)
                ]
                # the stamped pictures arrived, after they were taken (how soon is the
                # benchmark's business: ./run bench media)
                delays = meters["unit-a"].delays_ms
                median = percentile(delays, 0.5)
                assert median is not None and median > 0 and all(map(math.isfinite, delays))
                # unit-b vanishes mid-call
                b.send_signal(signal.SIGKILL)
                b.wait(10)
                t0 = time.monotonic()
                await asyncio.wait_for(sb.ended.wait(), 40)
                assert "offline" in sb.reason or "lost" in sb.reason, sb.reason
                gone_after = time.monotonic() - t0
                # unit-a never noticed
                before = meters["unit-a"].frames
                await until(lambda: meters["unit-a"].frames > before + 30, 10, what="unit-a on")
                assert sa.session_id in hall.sessions
                # the call lasts until the hall has said four tones to unit-a (a busy machine
                # loses some at the microphone, which skips what it was too late to capture)
                await until(lambda: len(said.delays_ms) >= 4, 30, what="the hall saying four tones")
                await hall.end(sa.session_id, "done")
                for t in [*tasks, saying]:
                    t.cancel()
                # the unit is told why (its event, before it is stopped)
                assert a.stdout is not None
                loop = asyncio.get_running_loop()
                while True:
                    line = await asyncio.wait_for(loop.run_in_executor(None, a.stdout.readline), 20)
                    assert line, "unit-a exited"
                    event = json.loads(line)
                    if event["event"] == "ended":
                        assert event["reason"] == "done" and event["peer"] == "hall-1"
                        break
            assert gone_after < 40
        finally:
            b.kill()
            a.send_signal(signal.SIGTERM)
            out, err = a.communicate(timeout=30)
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        summary = next(e for e in events if e["event"] == "summary")
        # the unit heard the hall's voice: its timed tones (all but perhaps the last, on its
        # way when the call ended), read after they were spoken
        heard = summary["voice_delays"], summary["voice_p50_ms"], summary["voice_p95_ms"]
        assert heard[0] >= 3 and all(math.isfinite(d) and d > 0 for d in heard[1:]), (
            summary,
            err[-2000:],
        )
