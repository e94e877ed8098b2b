"""``./run bench hostile``: a real hub process under hostile and flooding peers.

1. Baseline: one well-behaved unit sends a position report every 20 ms and waits for each
   acknowledgement (stored, fsynced); another unit sends an SOS every 200 ms. Their
   acknowledgement latencies, with nobody else on the hub.
2. Valid flood: a third enrolled device sends position reports as fast as it can, with no
   window (tens of thousands a second); the same two measure again. Per-device fair
   draining is what keeps their latency near the baseline.
3. Garbage flood: a stolen device sends random and bit-flipped frames as fast as it can —
   with the default limits (it is throttled, then cut off and alarmed), and on a hub whose
   limits are set out of reach (every frame decoded and answered) — the rate the hub
   absorbs, whether it stays up, and the others' latency meanwhile.
4. Fuzzing: ``python -m fuzz`` over every target for ``--fuzz-seconds`` each.
5. Edge values: every request kind, every field, each edge value of its type
   (``fuzz/edges.py``), sent by a device allowed to send the kind to a hub that never cuts
   it off: ``edge_values_tried``, and ``edge_values_failures`` — answers other than ``invalid``
   or none at all (the target is 0); the hub must still answer afterwards.
6. Snapshot hog: with 40,000 units in the picture, one device asks for the whole picture 5
   times every 2 s on a socket that reads nothing; ``hub_rss_growth_mib_snapshot_hog`` is the
   hub's largest resident-memory growth meanwhile (target ≤ 100 MiB; it grew 4.2 GiB in 20 s
   before snapshots were sent only as fast as their readers take them).

A refusal of what the two well-behaved units send ends the benchmark at once (exit status 1,
the hub's code and reason); the floods' answers are not read. ``--smoke``: 1.5 s phases and
100 fuzzing inputs per target.

Last line: {"garbage_frames_per_s", "others_ack_p95_ms", "baseline_ack_p95_ms",
"sos_ack_p95_ms_under_flood", "fuzz_execs", "fuzz_crashes", "edge_values_tried",
"edge_values_failures", "hub_rss_growth_mib_snapshot_hog", ...}.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

from bench import common
from bench.backbone import HubUnderTest, _client_socket, payloads
from bench.calib import calib_loop_s
from bench.common import BenchFailure, log, parser, refused
from shared.protocol import Emergency, Error, PositionReport, decode_reply, encode, new_id


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@common.child
def _measure(b: dict[str, str], kind: str, every_s: float, seconds: float, out: Any) -> None:
    """A well-behaved peer: one message, wait for its answer, repeat; latencies in ms. A
    refusal ends it."""
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.connect(b["request"])
    lat: list[float] = []
    lost = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = datetime.now(UTC)
        if kind == "sos":
            msg: Any = Emergency(
                id=new_id(), sender=b["name"], sent=now, alert_id=new_id(), lat=37.7, lon=115.6
            )
        else:
            msg = PositionReport(
                id=new_id(),
                sender=b["name"],
                sent=now,
                unit_id="GOOD",
                lat=37.7,
                lon=115.6,
                fix_time=now,
            )
        t0 = time.perf_counter()
        s.send(encode(msg))
        while True:
            if not s.poll(5000):
                lost += 1
                break
            reply = decode_reply(s.recv())
            if getattr(reply, "ref", None) == msg.id:
                refused(reply, f"{b['name']}'s {kind} message")
                lat.append((time.perf_counter() - t0) * 1000)
                break
        time.sleep(max(0.0, every_s - (time.perf_counter() - t0)))
    s.close(0)
    ctx.term()
    out.put({"kind": kind, "lat": lat, "lost": lost})


@common.child
def _flood(b: dict[str, str], mode: str, seconds: float, out: Any) -> None:
    """Send as fast as possible: valid position reports, or garbage; count what was sent."""
    if os.environ.get("HOSTILE_NICE"):
        os.nice(int(os.environ["HOSTILE_NICE"]))
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.sndhwm = 100_000
    s.connect(b["request"])
    rng = random.Random(5)
    if mode == "valid":
        frames = payloads(b["name"], 50_000, units=500)
    else:
        good = payloads(b["name"], 200, units=10)
        frames = []
        for i in range(20_000):
            f = bytearray(good[i % len(good)])
            for _ in range(1 + i % 3):
                f[rng.randrange(len(f))] = rng.randrange(256)
            frames.append(bytes(f) if i % 4 else rng.randbytes(rng.randrange(1, 300)))
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while time.perf_counter() < deadline:
        for f in frames[sent % len(frames) : sent % len(frames) + 500]:
            try:
                s.send(f, zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                time.sleep(0.001)
                break
        while True:  # read (and drop) the hub's answers so they never back up
            try:
                s.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
    elapsed = time.perf_counter() - t0
    s.close(0)
    ctx.term()
    out.put({"sent": sent, "seconds": elapsed})


def _phase(
    hub: HubUnderTest, peers: dict[str, dict[str, str]], flood: str | None, seconds: float
) -> dict[str, Any]:
    spawn = mp.get_context("spawn")
    q = spawn.Queue()
    procs = [
        spawn.Process(target=_measure, args=(peers["good"], "position", 0.02, seconds, q)),
        spawn.Process(target=_measure, args=(peers["sos"], "sos", 0.2, seconds, q)),
    ]
    if flood is not None:
        who = peers["flood"] if flood == "valid" else peers["attacker"]
        procs.append(spawn.Process(target=_flood, args=(who, flood, seconds + 1, q)))
        procs[-1].start()
        time.sleep(1.0)  # the flood is on before the measuring starts
    for p in procs[:2]:
        p.start()
    results = [common.get(q, procs, seconds + 120, "the peers' figures") for _ in procs]
    common.join(procs, 30, "the peers")
    out: dict[str, Any] = {}
    for r in results:
        if "sent" in r:
            out["flood_frames_per_s"] = round(r["sent"] / r["seconds"])
        else:
            out[r["kind"]] = r
    out["hub_alive"] = hub.proc is not None and hub.proc.poll() is None
    return out


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchFailure(f"no VmRSS for process {pid}")


def _edge_values(hub: HubUnderTest) -> dict[str, int]:
    """Every edge case of fuzz/edges.py to a hub that never cuts the sender off."""
    import msgspec

    from fuzz.edges import cases
    from shared.identity.roles import PERMISSIONS
    from shared.protocol import Error, Ping, Pong, utcnow

    ctx = zmq.Context()
    socks: dict[str, Any] = {}
    tried = failures = 0
    try:
        for kind, field, edge, raw in cases():
            role = PERMISSIONS.allowed_roles(kind)[0]
            if role not in socks:
                b = hub.bundle(f"edge-{role}", role)
                time.sleep(0.5)  # the running hub reads enrolments every 250 ms
                socks[role] = (b["name"], _client_socket(ctx, zmq.DEALER, b))
                socks[role][1].connect(b["request"])
            name, s = socks[role]
            raw = {**raw, "id": new_id(), "sender": name}
            if field != "sent":
                raw["sent"] = utcnow().isoformat()
            s.send(msgspec.msgpack.encode({"kind": kind, **raw}))
            tried += 1
            if not s.poll(10_000):
                failures += 1
                log(f"  no answer to {kind}.{field} = {edge}")
                continue
            reply = decode_reply(s.recv())
            if not (isinstance(reply, Error) and reply.code == "invalid" and field in reply.detail):
                failures += 1
                log(f"  {kind}.{field} = {edge}: {reply!r:.200}")
        name, s = next(iter(socks.values()))
        s.send(encode(Ping(id=new_id(), sender=name, sent=utcnow())))
        if not (s.poll(10_000) and isinstance(decode_reply(s.recv()), Pong)):
            raise BenchFailure("the hub stopped answering after the edge values")
    finally:
        for _, sock in socks.values():
            sock.close(0)
        ctx.term()
    return {"edge_values_tried": tried, "edge_values_failures": failures}


def _snapshot_hog(hub: HubUnderTest, seconds: float) -> dict[str, float]:
    """A picture of 40,000 units, then a device asking for all of it 5 times every 2 s on a
    socket that never reads; the hub's resident memory meanwhile."""
    from shared.protocol import AckBatch, SnapshotRequest, utcnow

    assert hub.proc is not None
    ctx = zmq.Context()
    loader = hub.bundle("loader")
    hog_b = hub.bundle("snapshot-hog")
    time.sleep(0.5)
    s = _client_socket(ctx, zmq.DEALER, loader)
    s.connect(loader["request"])
    frames = payloads("loader", 40_000, units=40_000)
    acked = 0
    for i in range(0, len(frames), 1000):
        for f in frames[i : i + 1000]:
            s.send(f)
        while acked < i + 1000:
            if not s.poll(30_000):
                raise BenchFailure("the hub stopped acknowledging the picture's positions")
            reply = decode_reply(s.recv())
            if isinstance(reply, AckBatch):
                acked += len(reply.ok) + len(reply.duplicate)
            elif isinstance(reply, Error):
                refused(reply, "a position report filling the picture")
            else:
                acked += 1
    s.close(0)
    hog = ctx.socket(zmq.DEALER)
    hog.linger = 0
    hog.rcvhwm = 1  # before connecting: it reads nothing and holds as little as it can
    hog.rcvbuf = 4096
    hog.curve_serverkey = hog_b["hub"].encode()
    hog.curve_publickey = hog_b["public"].encode()
    hog.curve_secretkey = hog_b["secret"].encode()
    hog.connect(hog_b["snapshot"])
    before = peak = _rss_mib(hub.proc.pid)
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        for _ in range(5):
            req = SnapshotRequest(id=new_id(), sender="snapshot-hog", sent=utcnow(), topics=[])
            hog.send(encode(req))
        for _ in range(20):
            time.sleep(0.1)
            peak = max(peak, _rss_mib(hub.proc.pid))
    hog.close(0)
    ctx.term()
    return {
        "hub_rss_growth_mib_snapshot_hog": round(peak - before, 1),
        "hub_rss_mib_before_snapshot_hog": round(before, 1),
    }


def _peers(hub: HubUnderTest) -> dict[str, dict[str, str]]:
    return {n: hub.bundle(n) for n in ("good", "sos", "flood", "attacker")}


def main(argv: list[str] | None = None) -> None:
    ap = parser("hostile")
    ap.add_argument("--seconds", type=float, default=8.0, help="per phase")
    ap.add_argument("--fuzz-seconds", type=float, default=20.0, help="per fuzz target")
    ap.add_argument("--fuzz-runs", type=int, default=0, help="inputs per fuzz target (0: any)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.seconds, args.fuzz_seconds, args.fuzz_runs = 1.5, 1.0, 100
    common.run(lambda: _main(args))


def _main(args: Any) -> None:
    res: dict[str, Any] = {"cores": os.cpu_count(), "calib_loop_s": calib_loop_s()}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        hub = HubUnderTest(Path(tmp) / "a")
        hub.start()
        # enrolments are seen by the running hub within 250 ms
        peers = _peers(hub)
        time.sleep(0.5)
        try:
            log("1/6 baseline: a unit's position reports and another's SOS, nobody else")
            base = _phase(hub, peers, None, args.seconds)
            log("2/6 one device floods valid position reports")
            valid = _phase(hub, peers, "valid", args.seconds)
            log("3/6 a stolen device floods garbage (default limits: throttled, cut off)")
            garbage = _phase(hub, peers, "garbage", args.seconds)
        finally:
            hub.stop()
        (Path(tmp) / "b").mkdir()
        loose = HubUnderTest(Path(tmp) / "b")
        cfg = Path(tmp) / "loose.toml"
        cfg.write_text(
            "[hub]\nabuse_throttle_after = 1000000000\nabuse_cutoff_after = 1000000000\n"
        )
        loose.start("--config", str(cfg))
        peers_b = _peers(loose)
        time.sleep(0.5)
        try:
            log("3/6 … and on a hub that never cuts it off (every frame decoded and answered)")
            uncut = _phase(loose, peers_b, "garbage", args.seconds)
            log("4/6 every kind and field with the edge values of its type")
            res.update(_edge_values(loose))
            log("5/6 a snapshot reader that never reads, with 40,000 units in the picture")
            res.update(_snapshot_hog(loose, max(4.0, 2.5 * args.seconds)))
        finally:
            loose.stop()

    def p95(phase: dict[str, Any], kind: str) -> float:
        return round(pct(phase[kind]["lat"], 95), 2)

    res["baseline_ack_p50_ms"] = round(pct(base["position"]["lat"], 50), 2)
    res["others_ack_p50_ms"] = round(pct(valid["position"]["lat"], 50), 2)
    res["baseline_ack_p95_ms"] = p95(base, "position")
    res["others_ack_p95_ms"] = p95(valid, "position")
    res["others_ack_ratio"] = round(res["others_ack_p95_ms"] / res["baseline_ack_p95_ms"], 2)
    res["baseline_sos_ack_p95_ms"] = p95(base, "sos")
    res["sos_ack_p95_ms_under_flood"] = p95(valid, "sos")
    res["valid_flood_frames_per_s"] = valid.get("flood_frames_per_s")
    res["garbage_frames_per_s"] = garbage.get("flood_frames_per_s")
    res["others_ack_p95_ms_garbage"] = p95(garbage, "position")
    res["sos_ack_p95_ms_garbage"] = p95(garbage, "sos")
    res["garbage_frames_per_s_uncut"] = uncut.get("flood_frames_per_s")
    res["others_ack_p95_ms_garbage_uncut"] = p95(uncut, "position")
    res["hub_stayed_up"] = all(p["hub_alive"] for p in (base, valid, garbage, uncut))
    res["lost_answers"] = sum(
        p[k]["lost"] for p in (base, valid, garbage, uncut) for k in ("position", "sos")
    )
    res["samples"] = sum(len(p["position"]["lat"]) for p in (base, valid, garbage, uncut))
    log("6/6 fuzzing every target")
    runs = ["--runs", str(args.fuzz_runs), "--seed", "7"] if args.fuzz_runs else []
    fz = subprocess.run(
        [sys.executable, "-m", "fuzz", "--seconds", str(args.fuzz_seconds), *runs],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    lines = fz.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise BenchFailure(f"fuzzing gave no figures (status {fz.returncode}): {fz.stderr[-500:]}")
    summary = json.loads(lines[-1])
    res["fuzz_execs"] = summary["fuzz_execs"]
    res["fuzz_crashes"] = summary["fuzz_crashes"]
    res["fuzz"] = {
        n: {"execs": r["execs"], "crashes": r["crashes"]} for n, r in summary["targets"].items()
    }
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
