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

A refusal of anything the viewers or the talkers send, or a picture that never arrives, ends
the benchmark at once (exit status 1, the hub's code and reason). ``--smoke``: 2 s of 640x360
glass to glass, 1 s fan-out windows at 320x180, 8 push-to-talk rounds.
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
from bench.common import BenchFailure, Refusals, accepted, log, parser, refused, run

G2G_SECONDS = 20.0
G2G_SIZE = "1280x720"
FANOUT_SECONDS = 10.0
FANOUT_SIZE = "640x360"
PTT_ROUNDS = 200
SETTLE_S = (2.0, 3.0)
"""Before measuring: the first keyframe and the jitter buffer (glass to glass); the
sessions' start (fan-out)."""


class Sizes:
    """How long and how big each part runs (``--smoke``: tiny)."""

    def __init__(self, smoke: bool) -> None:
        self.g2g_s, self.g2g_size = (2.0, "640x360") if smoke else (G2G_SECONDS, G2G_SIZE)
        self.fanout_s, self.fanout_size = (
            (1.0, "320x180") if smoke else (FANOUT_SECONDS, FANOUT_SIZE)
        )
        self.ptt_rounds = 8 if smoke else PTT_ROUNDS
        self.settle_s = (1.0, 1.0) if smoke else SETTLE_S


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
    """A ``field-unit media`` process; as a context manager, stopped at the end of the
    block (its last ``summary`` event kept in :attr:`summary`)."""

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
            self.proc.wait(30)
            raise BenchFailure(f"field-unit media ended (status {self.proc.returncode}) unready")

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

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.summary = self.stop()


async def _viewer(bundle: Any, root: Path, name: str) -> tuple[Any, Any, Any, list[Any], Refusals]:
    from shared.client import HubClient, Replica
    from shared.media.agent import MediaAgent
    from shared.media.sources import LocalMedia

    streams: list[Any] = []
    client = HubClient(bundle, root / f"{name}-{time.monotonic_ns()}.db")
    refusals = Refusals(client)
    await client.start()
    replica = Replica(bundle, topics=("media",))
    await replica.start()
    await client.wait_online(20)
    agent = MediaAgent(
        client, replica, LocalMedia.open("none", "synthetic"), on_stream=streams.append
    )
    agent.start()
    return client, replica, agent, streams, refusals


async def _close(client: Any, replica: Any, agent: Any) -> None:
    await agent.aclose()
    await replica.aclose()
    await client.aclose()


async def _g2g(bundle: Any, root: Path, unit: str, sz: Sizes) -> dict[str, Any]:
    from shared.media.meter import VideoMeter, VoiceMeter, percentile

    client, replica, agent, streams, refusals = await _viewer(bundle, root, "g2g")
    try:
        session = await refusals.within(agent.watch(unit, label="bench"), 30, "a session")
        await refusals.within(session.connected.wait(), 30, "the session connected")
        await refusals.until(lambda: len(streams) >= 2, 30, "video and voice streams")
        vm, am = VideoMeter(), VoiceMeter()
        tasks = [asyncio.ensure_future(vm.run(s.track)) for s in streams if s.kind == "video"]
        tasks += [asyncio.ensure_future(am.run(s.track)) for s in streams if s.kind == "audio"]
        await asyncio.sleep(sz.settle_s[0])  # the first keyframe, the jitter buffer settling
        vm.delays_ms.clear()
        am.delays_ms.clear()
        await asyncio.sleep(sz.g2g_s)
        for t in tasks:
            t.cancel()
        refusals.check()
        if not vm.delays_ms:
            raise BenchFailure(f"no picture arrived in {sz.g2g_s:g} s ({vm.frames} frames)")
        await agent.end(session.session_id, "bench done")
    finally:
        await _close(client, replica, agent)
    return {
        "frames": vm.frames,
        "fps": round(vm.frames / (sz.g2g_s + sz.settle_s[0]), 1),
        "sizes": vm.sizes,
        "unreadable": vm.unreadable,
        "p50": round(percentile(vm.delays_ms, 0.5) or -1, 1),
        "p95": round(percentile(vm.delays_ms, 0.95) or -1, 1),
        "voice_p95": round(percentile(am.delays_ms, 0.95) or -1, 1),
        "voice_n": len(am.delays_ms),
    }


async def _fanout(
    bundle: Any, root: Path, unit: str, source: Source, sz: Sizes
) -> dict[str, float]:
    client, replica, agent, streams, refusals = await _viewer(bundle, root, "fan")
    from shared.media.station import _drain

    drains: list[asyncio.Task[None]] = []
    seen = 0

    async def open_sessions(n: int) -> None:
        nonlocal seen
        for _ in range(n):
            s = await refusals.within(
                agent.watch(unit, label="fan", talk_back=False), 30, "a session"
            )
            await refusals.within(s.connected.wait(), 30, "a session connected")
        # the source has no microphone here: one video stream per session
        await refusals.until(
            lambda: sum(1 for s in streams if s.kind == "video") >= len(agent.sessions),
            30,
            "a video stream for every session",
        )
        for s in streams[seen:]:
            drains.append(asyncio.ensure_future(_drain(s.track)))
        seen = len(streams)

    async def window() -> float:
        await asyncio.sleep(sz.settle_s[1])
        c0, t0 = source.cpu_s(), time.monotonic()
        await asyncio.sleep(sz.fanout_s)
        refusals.check()
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


async def _ptt(bundles: dict[str, Any], root: Path, rounds: int) -> dict[str, Any]:
    from shared.client import HubClient, Replica
    from shared.media.meter import percentile
    from shared.protocol import FloorRequest, Ping

    clients, replicas = {}, {}
    refusals = Refusals()
    for name, b in bundles.items():
        clients[name] = refusals.watch(HubClient(b, root / f"ptt-{name}.db"))
        await clients[name].start()
        replicas[name] = Replica(b, topics=("talkgroup",))
        await replicas[name].start()
        await clients[name].wait_online(20)

    def talker(name: str) -> str:
        g = replicas[name].get("talkgroup", "bench-group")
        return g.talker if g is not None else ""

    async def until(pred: Any) -> None:
        await refusals.until(pred, 10, "the talker seen in the replica", step=0.0005)

    grants, preempts, pings = [], [], []
    try:
        for name, c in clients.items():
            join = c.make(FloorRequest, group_id="bench-group", action="join")
            accepted(await c.submit_and_wait(join, 10), f"{name} joining the talk group")
        u1, leader = clients["u1"], clients["leader"]
        for _ in range(rounds):
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
            refused(await u1.request(u1.make(Ping), 5), "a ping")
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


def main(argv: list[str] | None = None) -> None:
    args = parser("media").parse_args(argv)
    run(lambda: _main(Sizes(args.smoke)))


def _main(sz: Sizes) -> None:
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

            g2g_size, fan_size = sz.g2g_size, sz.fanout_size
            log(f"{g2g_size}@30 glass to glass and voice, encode once ({sz.g2g_s:g} s)")
            with Source(unit_file, root, "--size", g2g_size, "--measure") as src:
                g2g = asyncio.run(_g2g(hall, root, "unit-bench", sz))
            back = src.summary
            log(f"encode once: {g2g}; the unit heard: {back}")

            log(f"{g2g_size}@30 glass to glass, naive (aiortc encodes per peer)")
            with Source(unit_file, root, "--size", g2g_size, "--naive"):
                g2g_naive = asyncio.run(_g2g(hall, root, "unit-bench", sz))
            log(f"naive: {g2g_naive}")

            log(f"one source to 1 then 8 viewers at {fan_size}, encode once")
            with Source(unit_file, root, "--size", fan_size, "--mic", "none") as src:
                fan = asyncio.run(_fanout(hall, root, "unit-bench", src, sz))
            log(f"encode once: {fan}")
            log(f"one source to 1 then 8 viewers at {fan_size}, naive")
            with Source(unit_file, root, "--size", fan_size, "--mic", "none", "--naive") as src:
                naive = asyncio.run(_fanout(hall, root, "unit-bench", src, sz))
            log(f"naive: {naive}")

            log(f"push-to-talk floor grants ({sz.ptt_rounds} rounds)")
            ptt_res = asyncio.run(_ptt(ptt, root, sz.ptt_rounds))
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
        "g2g_size": sz.g2g_size,
        "fanout_size": sz.fanout_size,
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
