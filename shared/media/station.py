"""A headless media endpoint: a field unit's camera and microphone answering the hall, a
drill station, the far end of the tests and the benchmark (``field-unit media``).

It answers every session offered to it with its camera and microphone, plays nothing (no
speaker here) but, with ``measure``, reads the delay of every tone it hears; it can also
join a talk group and speak when given the floor. Events go to ``on_event`` as dicts (the
CLI prints them as JSON lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.media.agent import MediaAgent, Stream
from shared.media.meter import VoiceMeter, percentile
from shared.media.sources import LocalMedia

Event = dict[str, Any]


async def run_station(
    bundle: Any,
    outbox: Path,
    *,
    camera: str = "synthetic",
    mic: str = "synthetic",
    width: int = 1280,
    height: int = 720,
    cap_bps: int | None = None,
    naive: bool = False,
    ice: tuple[Any, ...] = (),
    relay_only: bool = False,
    measure: bool = False,
    seconds: float = 0.0,
    on_event: Callable[[Event], None] = lambda e: None,
    stop: asyncio.Event | None = None,
) -> Event:
    from shared.client import HubClient, Replica

    local = LocalMedia.open(camera, mic, cap_bps=cap_bps, width=width, height=height, naive=naive)
    meters: list[VoiceMeter] = []
    tasks: list[asyncio.Task[None]] = []

    def on_stream(stream: Stream) -> None:
        on_event(
            {
                "event": "stream",
                "session": stream.session_id,
                "kind": stream.kind,
                "peer": stream.peer,
            }
        )
        if stream.kind == "audio" and measure:
            meter = VoiceMeter()
            meters.append(meter)
            tasks.append(asyncio.ensure_future(meter.run(stream.track)))
        else:
            tasks.append(asyncio.ensure_future(_drain(stream.track)))

    def on_session(session: Any) -> None:
        on_event(
            {
                "event": "ended",
                "session": session.session_id,
                "peer": session.peer,
                "reason": session.reason,
            }
        )

    stop = stop or asyncio.Event()
    cpu0 = os.times()
    async with (
        HubClient(bundle, outbox) as client,
        Replica(bundle, topics=("media", "talkgroup")) as replica,
    ):
        agent = MediaAgent(
            client,
            replica,
            local,
            ice_servers=ice,
            relay_only=relay_only,
            on_stream=on_stream,
            on_session=on_session,
        )
        agent.start()
        await client.wait_online(30)
        on_event({"event": "ready", "device": bundle.device, "pid": os.getpid()})
        try:
            if seconds > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), seconds)
            else:
                await stop.wait()
        finally:
            await agent.aclose()
            for t in tasks:
                t.cancel()
    cpu1 = os.times()
    delays = [d for m in meters for d in m.delays_ms]
    summary: Event = {
        "event": "summary",
        "cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 3),
        "voice_delays": len(delays),
        "voice_p50_ms": _round(percentile(delays, 0.5)),
        "voice_p95_ms": _round(percentile(delays, 0.95)),
        "frames_encoded": local.video.frames_encoded if local.video else 0,
        "time": time.time(),
    }
    on_event(summary)
    return summary


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def _drain(track: Any) -> None:
    with contextlib.suppress(Exception):
        while True:
            await track.recv()
