"""``./run bench media``: live video and voice on loopback, through a real hub.

- ``g2g_p95_ms``: 720p30 from the synthetic camera of a ``field-unit media`` process to the
  decoded picture here, read from the capture time painted in every frame (target ≤ 150 ms).
  Baseline in the same run: the same with aiortc encoding itself (``g2g_naive_p95_ms``).
- ``fanout8_cpu_ratio``: the source process's CPU with 8 viewers over its CPU with one, when
  it encodes once and forwards packets (target ≤ 1.5×); ``naive8_cpu_ratio``: the same when
  every peer connection encodes (aiortc's way; about 8× expected). At ``FANOUT_SIZE`` so
  that eight naive encoders fit the machine at all (at 720p they saturate two cores and the
  ratio would only measure the saturation).
- ``voice_p95_ms``: one-way, mouth to ear, the worse of the two directions of a call
  (target ≤ 150 ms, ITU-T G.114), read from timed tones.
- ``ptt_grant_p95_ms``: a push-to-talk request to the requester seeing itself as talker in
  its own replica of the hub's picture (target ≤ 100 ms); baseline: a ping round trip to
  the same hub (``ping_p95_ms``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.calib import calib_loop_s

G2G_SECONDS = 20.0
FANOUT_SECONDS = 10.0
FANOUT_SIZE = "640x360"
PTT_ROUNDS = 200


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _bundle(hub: Any, root: Path, name: str, role: str) -> tuple[Any, Path]:
    from shared.identity import Bundle, KeyPair

    raw = hub.bundle(name, role=role)
    b = Bundle(
        name,
        role,
        KeyPair(raw["public"], raw["secret"]),
        raw["hub"],
        hub.endpoints,
        datetime.now(UTC),
        None,
    )
    path = root / f"{name}.json"
    b.save(path)
    return b, path


class Source:
    """A ``field-unit media`` process."""

    def __init__(self, bundle_file: Path, root: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "field_unit",
                "media",
                "--bundle",
                str(bundle_file),
                "--outbox",
                str(root / f"src-{time.monotonic_ns()}.db"),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.events: list[dict[str, Any]] = []
        for line in self.proc.stdout:
            event = json.loads(line)
            self.events.append(event)
            if event.get("event") == "ready":
                break
        else:
            raise RuntimeError("field-unit media exited before it was ready")

    def cpu_s(self) -> float:
        import psutil

        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system)

    def stop(self) -> dict[str, Any]:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        for line in out.splitlines():
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))
        return next((e for e in reversed(self.events) if e.get("event") == "summary"), {})


async def _viewer(bundle: Any, root: Path, name: str) -> tuple[Any, Any, Any, list[Any]]:
    from shared.client import HubClient, Replica
    from shared.media.agent import MediaAgent
    from shared.media.sources import LocalMedia

    streams: list[Any] = []
    client = HubClient(bundle, root / f"{name}-{time.monotonic_ns()}.db")
    await client.start()
    replica = Replica(bundle, topics=("media",))
    await replica.start()
    await client.wait_online(20)
    agent = MediaAgent(
        client, replica, LocalMedia.open("none", "synthetic"), on_stream=streams.append
    )
    agent.start()
    return client, replica, agent, streams


async def _close(client: Any, replica: Any, agent: Any) -> None:
    await agent.aclose()
    await replica.aclose()
    await client.aclose()


async def _g2g(bundle: Any, root: Path, unit: str) -> dict[str, Any]:
    from shared.media.meter import VideoMeter, VoiceMeter, percentile

    client, replica, agent, streams = await _viewer(bundle, root, "g2g")
    try:
        session = await agent.watch(unit, label="bench")
        await asyncio.wait_for(session.connected.wait(), 30)
        while len(streams) < 2:
            await asyncio.sleep(0.05)
        vm, am = VideoMeter(), VoiceMeter()
        tasks = [asyncio.ensure_future(vm.run(s.track)) for s in streams if s.kind == "video"]
        tasks += [asyncio.ensure_future(am.run(s.track)) for s in streams if s.kind == "audio"]
        await asyncio.sleep(2)  # the first keyframe, the jitter buffer settling
        vm.delays_ms.clear()
        am.delays_ms.clear()
        await asyncio.sleep(G2G_SECONDS)
        for t in tasks:
            t.cancel()
        await agent.end(session.session_id, "bench done")
    finally:
        await _close(client, replica, agent)
    return {
        "frames": vm.frames,
        "fps": round(vm.frames / (G2G_SECONDS + 2), 1),
        "sizes": vm.sizes,
        "unreadable": vm.unreadable,
        "p50": round(percentile(vm.delays_ms, 0.5) or -1, 1),
        "p95": round(percentile(vm.delays_ms, 0.95) or -1, 1),
        "voice_p95": round(percentile(am.delays_ms, 0.95) or -1, 1),
        "voice_n": len(am.delays_ms),
    }


async def _fanout(bundle: Any, root: Path, unit: str, source: Source) -> dict[str, float]:
    client, replica, agent, streams = await _viewer(bundle, root, "fan")
    from shared.media.station import _drain

    drains: list[asyncio.Task[None]] = []
    seen = 0

    async def open_sessions(n: int) -> None:
        nonlocal seen
        for _ in range(n):
            s = await agent.watch(unit, label="fan", talk_back=False)
            await asyncio.wait_for(s.connected.wait(), 30)
        # the source has no microphone here: one video stream per session
        while sum(1 for s in streams if s.kind == "video") < len(agent.sessions):
            await asyncio.sleep(0.05)
        for s in streams[seen:]:
            drains.append(asyncio.ensure_future(_drain(s.track)))
        seen = len(streams)

    async def window() -> float:
        await asyncio.sleep(3)  # settle
        c0, t0 = source.cpu_s(), time.monotonic()
        await asyncio.sleep(FANOUT_SECONDS)
        return (source.cpu_s() - c0) / (time.monotonic() - t0)

    try:
        await open_sessions(1)
        one = await window()
        await open_sessions(7)
        eight = await window()
    finally:
        for d in drains:
            d.cancel()
        await _close(client, replica, agent)
    return {
        "one_core": round(one, 3),
        "eight_core": round(eight, 3),
        "ratio": round(eight / one, 2),
    }


async def _ptt(bundles: dict[str, Any], root: Path) -> dict[str, Any]:
    from shared.client import HubClient, Replica
    from shared.media.meter import percentile
    from shared.protocol import FloorRequest, Ping

    clients, replicas = {}, {}
    for name, b in bundles.items():
        clients[name] = HubClient(b, root / f"ptt-{name}.db")
        await clients[name].start()
        replicas[name] = Replica(b, topics=("talkgroup",))
        await replicas[name].start()
        await clients[name].wait_online(20)

    def talker(name: str) -> str:
        g = replicas[name].get("talkgroup", "bench-group")
        return g.talker if g is not None else ""

    async def until(pred: Any) -> None:
        while not pred():
            await asyncio.sleep(0.0005)

    grants, preempts, pings = [], [], []
    try:
        for c in clients.values():
            await c.submit_and_wait(c.make(FloorRequest, group_id="bench-group", action="join"), 10)
        u1, leader = clients["u1"], clients["leader"]
        for _ in range(PTT_ROUNDS):
            t0 = time.perf_counter()
            await u1.submit(u1.make(FloorRequest, group_id="bench-group", action="request"))
            await until(lambda: talker("u1") == "u1")
            grants.append((time.perf_counter() - t0) * 1000)
            if len(grants) % 4 == 0:
                # a commander pre-empting the talker
                t0 = time.perf_counter()
                await leader.submit(
                    leader.make(FloorRequest, group_id="bench-group", action="request")
                )
                await until(lambda: talker("leader") == "leader")
                preempts.append((time.perf_counter() - t0) * 1000)
                await leader.submit(
                    leader.make(FloorRequest, group_id="bench-group", action="release")
                )
                await until(lambda: talker("u1") == "")
            else:
                await u1.submit(u1.make(FloorRequest, group_id="bench-group", action="release"))
                await until(lambda: talker("u1") == "")
            t0 = time.perf_counter()
            await u1.request(u1.make(Ping), 5)
            pings.append((time.perf_counter() - t0) * 1000)
    finally:
        for name in clients:
            await replicas[name].aclose()
            await clients[name].aclose()
    return {
        "grant_p50": round(percentile(grants, 0.5) or -1, 2),
        "grant_p95": round(percentile(grants, 0.95) or -1, 2),
        "preempt_p95": round(percentile(preempts, 0.95) or -1, 2),
        "ping_p95": round(percentile(pings, 0.95) or -1, 2),
        "rounds": len(grants),
    }


def main() -> None:
    from bench.backbone import HubUnderTest

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub = HubUnderTest(root)
        hub.start()
        try:
            hall, _ = _bundle(hub, root, "hall-bench", "leader")
            _, unit_file = _bundle(hub, root, "unit-bench", "field")
            ptt = {
                n: _bundle(hub, root, n, r)[0]
                for n, r in (("u1", "field"), ("u2", "field"), ("leader", "leader"))
            }

            log(f"720p30 glass to glass and voice, encode once ({G2G_SECONDS:.0f} s)")
            src = Source(unit_file, root, "--size", "1280x720", "--measure")
            g2g = asyncio.run(_g2g(hall, root, "unit-bench"))
            back = src.stop()
            log(f"encode once: {g2g}; the unit heard: {back}")

            log("720p30 glass to glass, naive (aiortc encodes per peer)")
            src = Source(unit_file, root, "--size", "1280x720", "--naive")
            g2g_naive = asyncio.run(_g2g(hall, root, "unit-bench"))
            src.stop()
            log(f"naive: {g2g_naive}")

            log(f"one source to 1 then 8 viewers at {FANOUT_SIZE}, encode once")
            src = Source(unit_file, root, "--size", FANOUT_SIZE, "--mic", "none")
            fan = asyncio.run(_fanout(hall, root, "unit-bench", src))
            src.stop()
            log(f"encode once: {fan}")
            log(f"one source to 1 then 8 viewers at {FANOUT_SIZE}, naive")
            src = Source(unit_file, root, "--size", FANOUT_SIZE, "--mic", "none", "--naive")
            naive = asyncio.run(_fanout(hall, root, "unit-bench", src))
            src.stop()
            log(f"naive: {naive}")

            log(f"push-to-talk floor grants ({PTT_ROUNDS} rounds)")
            ptt_res = asyncio.run(_ptt(ptt, root))
            log(f"ptt: {ptt_res}")
        finally:
            hub.stop()
    voice = [v for v in (g2g["voice_p95"], back.get("voice_p95_ms")) if v is not None and v >= 0]
    results = {
        "g2g_p95_ms": g2g["p95"],
        "fanout8_cpu_ratio": fan["ratio"],
        "naive8_cpu_ratio": naive["ratio"],
        "voice_p95_ms": max(voice) if voice else None,
        "ptt_grant_p95_ms": ptt_res["grant_p95"],
        "g2g_p50_ms": g2g["p50"],
        "g2g_fps": g2g["fps"],
        "g2g_frames": g2g["frames"],
        "g2g_unreadable_stamps": g2g["unreadable"],
        "g2g_naive_p95_ms": g2g_naive["p95"],
        "voice_unit_to_hall_p95_ms": g2g["voice_p95"],
        "voice_hall_to_unit_p95_ms": back.get("voice_p95_ms"),
        "voice_tones": g2g["voice_n"] + int(back.get("voice_delays", 0)),
        "fanout_size": FANOUT_SIZE,
        "fanout1_cores": fan["one_core"],
        "fanout8_cores": fan["eight_core"],
        "naive1_cores": naive["one_core"],
        "naive8_cores": naive["eight_core"],
        "ptt_grant_p50_ms": ptt_res["grant_p50"],
        "ptt_preempt_p95_ms": ptt_res["preempt_p95"],
        "ping_p95_ms": ptt_res["ping_p95"],
        "ptt_rounds": ptt_res["rounds"],
        "cores": os.cpu_count() or 0,
    }
    results["calib_loop_s"] = calib_loop_s()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
