"""``./run bench backbone``: the situation-data backbone against raw pyzmq, in one run.

1. Baseline: raw pyzmq PUSH/PULL over loopback TCP, the same encoded payloads, one sender
   process, one receiver loop (also with CURVE, for reference).
2. Hub pipeline: a real ``command-center serve`` process on SQLite (WAL, synchronous=FULL);
   a sender process pushes position reports over CURVE and counts acknowledgements (each
   sent only after its commit); 10 CURVE subscribers in another process receive the fan-out.
3. Fan-out latency: 1,000 units at 1 Hz plus 5,000 msg/s background, 10 subscribers; the
   time from a probe's send to its arrival at each subscriber.
4. Late joiner: with 1,000 units and 10,000 incidents held, a new replica's time from start
   to holding the whole current picture (snapshot, then live updates).

A refusal of anything sent ends the benchmark at once (exit status 1, the hub's code and
reason). ``--smoke``: 1,000 messages, one baseline run, 2 subscribers, a 2 s fan-out at a tenth
of the rates, 50 units and 200 incidents for one late joiner.

Last line: {"raw_msgs_per_s", "hub_msgs_per_s", "ratio", "fanout_p99_ms", ...}.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import zmq

from bench import common
from bench.calib import calib_loop_s
from bench.common import BenchFailure, Refusals, log, parser, refused
from shared.identity import Bundle, Endpoints, KeyPair, enroll, load_or_create_hub_keys
from shared.protocol import (
    Ack,
    AckBatch,
    Error,
    PositionReport,
    decode_batch,
    decode_reply,
    encode,
    new_id,
)
from shared.store import open_engine, sqlite_url


def payloads(sender: str, n: int, units: int) -> list[bytes]:
    now = datetime.now(UTC)
    return [
        encode(
            PositionReport(
                id=new_id(),
                sender=sender,
                sent=now,
                unit_id=f"U{i % units:05d}",
                lat=37.7 + (i % 1000) * 1e-5,
                lon=115.6,
                fix_time=now,
                heading_deg=90.0,
                speed_mps=12.0,
                unit_type="fire",
                callsign=f"FIRE-{i % units}",
            )
        )
        for i in range(n)
    ]


# --- 1. raw baseline -------------------------------------------------------------------


def _raw_sender(endpoint: str, frames: list[bytes], curve: dict[str, bytes] | None) -> None:
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.sndhwm = 0
    if curve:
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = (
            curve["server"],
            curve["public"],
            curve["secret"],
        )
    s.connect(endpoint)
    for f in frames:
        s.send(f)
    s.close(linger=-1)
    ctx.term()


def raw_rate(frames: list[bytes], curve: bool) -> float:
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.rcvhwm = 0
    keys = None
    if curve:
        spub, ssec = zmq.curve_keypair()
        cpub, csec = zmq.curve_keypair()
        pull.curve_server = True
        pull.curve_secretkey = ssec
        pull.curve_publickey = spub
        keys = {"server": spub, "public": cpub, "secret": csec}
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    proc = mp.get_context("spawn").Process(
        target=_raw_sender, args=(f"tcp://127.0.0.1:{port}", frames, keys)
    )
    proc.start()
    pull.recv()
    t0 = time.perf_counter()
    for _ in range(len(frames) - 1):
        pull.recv()
    elapsed = time.perf_counter() - t0
    proc.join()
    pull.close(0)
    ctx.term()
    return (len(frames) - 1) / elapsed


# --- hub process and peers -------------------------------------------------------------


def _client_socket(ctx: zmq.Context[Any], kind: int, b: dict[str, str]) -> zmq.Socket[Any]:
    s = ctx.socket(kind)
    s.linger = 0
    s.curve_serverkey = b["hub"].encode()
    s.curve_publickey = b["public"].encode()
    s.curve_secretkey = b["secret"].encode()
    s.rcvhwm = 0
    s.sndhwm = 0
    return s


@common.child
def _subscribers(
    b: dict[str, str], n: int, ready: Any, stop: Any, out: Any, decode: bool = True
) -> None:
    """n SUB sockets. With ``decode``, records per-update latency of probe units (fix_time =
    send time); without, only counts frames, so the harness leaves the CPU to the hub."""
    ctx = zmq.Context()
    socks = []
    for _ in range(n):
        s = _client_socket(ctx, zmq.SUB, b)
        s.setsockopt(zmq.SUBSCRIBE, b"unit")
        s.connect(b["publish"])
        socks.append(s)
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    time.sleep(1.0)
    ready.set()
    received = 0
    lat: list[float] = []
    while not stop.is_set():
        for s, _ in poller.poll(100):
            while True:
                try:
                    _, payload = s.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if not decode:
                    received += 1
                    continue
                now = time.time()
                batch = decode_batch(payload)
                received += len(batch.updates)
                for u in batch.updates:
                    v = u.value
                    if v is not None and u.key.startswith("P"):
                        lat.append((now - v.fix_time.timestamp()) * 1000)  # type: ignore[union-attr]
    out.put({"received": received, "lat": lat})
    for s in socks:
        s.close(0)
    ctx.term()


@common.child
def _blast(b: dict[str, str], frames: list[bytes], out: Any) -> None:
    """Send everything as fast as the hub takes it; count acks. A refusal ends it."""
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.connect(b["request"])
    s.send(frames[0])
    refused(decode_reply(s.recv()), f"the first message from {b['name']}")  # and authenticated
    t0 = time.perf_counter()
    acks = 0
    total = len(frames) - 1
    i = 1
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN | zmq.POLLOUT)
    inflight_max = 20_000
    while acks < total:
        while i <= total and i - acks < inflight_max:
            try:
                s.send(frames[i], zmq.NOBLOCK)
                i += 1
            except zmq.Again:
                break
        while True:
            try:
                reply = decode_reply(s.recv(zmq.NOBLOCK))
            except zmq.Again:
                break
            if isinstance(reply, AckBatch):
                acks += len(reply.ok) + len(reply.duplicate)
            elif isinstance(reply, Ack):
                acks += 1
            else:
                refused(reply, f"a message from {b['name']}")
        if acks < total:
            s.poll(5, zmq.POLLIN)
    elapsed = time.perf_counter() - t0
    out.put({"acks": acks, "seconds": elapsed})
    s.close(0)
    ctx.term()


@common.child
def _paced(b: dict[str, str], rate: float, seconds: float, prefix: str, units: int) -> None:
    """Send ``rate`` position reports per second, spread evenly; fix_time = send time. A
    refusal ends it."""
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.connect(b["request"])
    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        target = t0 + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        now = datetime.now(UTC)
        s.send(
            encode(
                PositionReport(
                    id=new_id(),
                    sender=b["name"],
                    sent=now,
                    unit_id=f"{prefix}{i % units:05d}",
                    lat=37.7,
                    lon=115.6,
                    fix_time=now,
                )
            )
        )
        while True:
            try:
                reply = decode_reply(s.recv(zmq.NOBLOCK))
            except zmq.Again:
                break
            if isinstance(reply, Error):
                refused(reply, f"a position report from {b['name']}")
    time.sleep(0.5)
    s.close(0)
    ctx.term()


class HubUnderTest:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "hub"
        self.data.mkdir()
        self.endpoints = Endpoints("", "", "")  # known once the hub has bound (port 0)
        self.proc: subprocess.Popen[bytes] | None = None

    def bundle(self, name: str, role: str = "field") -> dict[str, str]:
        engine = open_engine(sqlite_url(self.data / "hub.db"))
        hub_key = load_or_create_hub_keys(self.data).public
        b: Bundle = enroll(
            engine, name=name, role=role, hub_public_key=hub_key, endpoints=self.endpoints
        )
        engine.dispose()
        return {
            "name": name,
            "hub": hub_key,
            "public": b.keys.public,
            "secret": b.keys.secret,
            **b.endpoints.as_dict(),
        }

    def start(self, *extra_args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "command_center",
                "serve",
                "--data-dir",
                str(self.data),
                "--listen",
                "127.0.0.1:0",
                *extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not (self.data / "hub.json").exists():
            if self.proc.poll() is not None:
                raise RuntimeError("hub failed to start")
            time.sleep(0.05)
        ep = json.loads((self.data / "hub.json").read_text("utf-8"))["endpoints"]
        self.endpoints = Endpoints(ep["request"], ep["publish"], ep["snapshot"])

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(20)


def _late_join(
    hub: HubUnderTest, tries: int, units: int = 1000, incidents: int = 10_000
) -> list[float]:
    """Fill the hub with ``units`` units and ``incidents`` incidents, then time fresh
    replicas from start to holding the whole current picture."""
    import asyncio

    from shared.client import HubClient, Replica
    from shared.identity import load_bundle
    from shared.protocol import IncidentDeclare, utcnow

    duty = hub.bundle("duty", role="duty-officer")
    path = hub.root / "duty.json"
    Bundle(
        duty["name"],
        "duty-officer",
        KeyPair(duty["public"], duty["secret"]),
        duty["hub"],
        hub.endpoints,
        datetime.now(UTC),
        None,
    ).save(path)
    bundle = load_bundle(path)

    async def run() -> list[float]:
        async with HubClient(bundle, hub.root / "duty-outbox.db", window=5000) as c:
            refusals = Refusals(c)
            await c.wait_online(10)
            msgs = [
                c.make(PositionReport, unit_id=f"LJ{i:04d}", lat=37.7, lon=115.6, fix_time=utcnow())
                for i in range(units)
            ]
            msgs += [
                c.make(
                    IncidentDeclare,
                    incident_id=f"I{i:05d}",
                    title=f"事件{i}",
                    lat=37.5,
                    lon=115.5,
                    level=1 + i % 4,
                )
                for i in range(incidents)
            ]
            await c.submit(*msgs)
            await refusals.until(lambda: not c.queued(), 300, "the picture loaded")
        times = []
        for _ in range(tries):
            t0 = time.perf_counter()
            async with Replica(bundle, topics=("unit", "incident")) as r:
                await refusals.within(r.synced.wait(), 30, "a late joiner synced")
                times.append((time.perf_counter() - t0) * 1000)
                held = len(r.items["incident"]), len(r.items["unit"])
                if held < (incidents, units):
                    raise BenchFailure(f"a late joiner holds {held} (incidents, units)")
        return times

    return asyncio.run(run())


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def main(argv: list[str] | None = None) -> None:
    ap = parser("backbone")
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--fanout-seconds", type=float, default=15.0)
    ap.add_argument("--subscribers", type=int, default=10)
    args = ap.parse_args(argv)
    if args.smoke:
        args.messages, args.fanout_seconds, args.subscribers = 1000, 2.0, 2
    common.run(lambda: _main(args))


def _main(args: Any) -> None:
    smoke = args.smoke
    runs = 1 if smoke else 3
    probe_rate, bg_rate = (100.0, 500.0) if smoke else (1000.0, 5000.0)
    spawn = mp.get_context("spawn")
    results: dict[str, Any] = {
        "messages": args.messages,
        "subscribers": args.subscribers,
        "cores": os.cpu_count(),
    }

    frames = payloads("bench", args.messages, units=50_000)
    results["payload_bytes"] = round(statistics.mean(len(f) for f in frames[:1000]), 1)
    log(f"1/4 raw pyzmq PUSH/PULL, {args.messages} messages of ~{results['payload_bytes']} B")
    # The baseline swings by a third between runs on these machines: take the median of three.
    raws = sorted(raw_rate(frames, curve=False) for _ in range(runs))
    results["raw_msgs_per_s"] = round(statistics.median(raws))
    results["raw_msgs_per_s_range"] = [round(raws[0]), round(raws[-1])]
    results["raw_curve_msgs_per_s"] = round(
        statistics.median(raw_rate(frames, curve=True) for _ in range(runs))
    )
    log(
        f"    raw {results['raw_msgs_per_s']}/s, raw with CURVE {results['raw_curve_msgs_per_s']}/s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        hub = HubUnderTest(Path(tmp))
        hub.start()
        sender = hub.bundle("bench")
        watcher = hub.bundle("watch")
        try:
            log(f"2/4 hub pipeline: decode, authorise, persist, fan out to {args.subscribers}")
            frames = payloads("bench", args.messages, units=50_000)
            ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
            subs = spawn.Process(
                target=_subscribers, args=(watcher, args.subscribers, ready, stop, out, False)
            )
            subs.start()
            common.wait_event(ready, [subs], 30, "the subscribers connected")
            res_q = spawn.Queue()
            blaster = spawn.Process(target=_blast, args=(sender, frames, res_q))
            hub_ps = psutil.Process(hub.proc.pid)  # type: ignore[union-attr]
            cpu0 = hub_ps.cpu_times()
            threads0 = {t.id: t.user_time + t.system_time for t in hub_ps.threads()}
            blaster.start()
            blast = common.get(res_q, [blaster], 600, "the hub pipeline's acknowledgements")
            cpu1 = hub_ps.cpu_times()
            threads1 = {t.id: t.user_time + t.system_time for t in hub_ps.threads()}
            busiest = sorted((v - threads0.get(k, 0.0) for k, v in threads1.items()), reverse=True)
            results["hub_thread_cpu_s"] = [round(x, 2) for x in busiest[:4]]
            common.join([blaster], 30, "the sender")
            hub_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
            results["hub_cpu_us_per_msg"] = round(hub_cpu / blast["acks"] * 1e6, 1)
            results["hub_cpu_cores_busy"] = round(hub_cpu / blast["seconds"], 2)
            time.sleep(1.0)
            stop.set()
            sub_res = common.get(out, [subs], 60, "the subscribers' counts")
            common.join([subs], 30, "the subscribers")
            results["hub_msgs_per_s"] = round(blast["acks"] / blast["seconds"])
            results["hub_acked"] = blast["acks"]
            results["fanout_frames_received"] = sub_res["received"]
            log(
                f"    hub {results['hub_msgs_per_s']}/s acked; the {args.subscribers} subscribers "
                f"received {sub_res['received']} publication frames"
            )

            secs = args.fanout_seconds
            log(
                f"3/4 fan-out latency: {probe_rate:.0f} units at 1 Hz + {bg_rate:.0f} msg/s "
                f"background, {secs:g} s"
            )
            probe_b = hub.bundle("probe")
            bg_b = hub.bundle("background")
            ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
            subs = spawn.Process(
                target=_subscribers, args=(watcher, args.subscribers, ready, stop, out)
            )
            subs.start()
            common.wait_event(ready, [subs], 30, "the subscribers connected")
            probe = spawn.Process(
                target=_paced, args=(probe_b, probe_rate, secs, "P", int(probe_rate))
            )
            bg = spawn.Process(target=_paced, args=(bg_b, bg_rate, secs, "B", 20_000))
            probe.start()
            bg.start()
            common.join([probe, bg], secs + 120, "the paced senders")
            time.sleep(1.0)
            stop.set()
            sub_res = common.get(out, [subs], 60, "the subscribers' latencies")
            common.join([subs], 30, "the subscribers")
            lat = sub_res["lat"]
            results["fanout_samples"] = len(lat)
            results["fanout_expected"] = int(probe_rate * secs) * args.subscribers
            if not lat:
                raise BenchFailure("no probe position reached a subscriber")
            results["fanout_p50_ms"] = round(pct(lat, 50), 2)
            results["fanout_p95_ms"] = round(pct(lat, 95), 2)
            results["fanout_p99_ms"] = round(pct(lat, 99), 2)
            log(
                f"    {len(lat)} probe deliveries; p50 {results['fanout_p50_ms']} ms, "
                f"p99 {results['fanout_p99_ms']} ms"
            )

            units, incidents, tries = (50, 200, 1) if smoke else (1000, 10_000, 5)
            log(f"4/4 late joiner: {units} units + {incidents} incidents, snapshot then live")
            joins = _late_join(hub, tries, units, incidents)
            results["late_join_ms_median"] = round(statistics.median(joins), 1)
            results["late_join_ms_max"] = round(max(joins), 1)
            log(
                f"    current picture in {results['late_join_ms_median']} ms (median of "
                f"{tries}), max {results['late_join_ms_max']} ms"
            )
        finally:
            hub.stop()
    results["ratio"] = round(results["hub_msgs_per_s"] / results["raw_msgs_per_s"], 4)
    results["ratio_vs_raw_curve"] = round(
        results["hub_msgs_per_s"] / results["raw_curve_msgs_per_s"], 4
    )
    ordered = {
        k: results[k]
        for k in (
            "raw_msgs_per_s",
            "hub_msgs_per_s",
            "ratio",
            "fanout_p99_ms",
            "late_join_ms_median",
        )
    }
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    ordered["calib_loop_s"] = calib_loop_s()
    print(json.dumps(ordered))


if __name__ == "__main__":
    main()
