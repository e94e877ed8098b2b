"""``./run bench hubprofile``: where the hub thread's microseconds per message go.

An in-process hub on SQLite (the configuration ``serve`` uses) takes a burst of position
reports (the hot path) and then a burst of situation reports (a handler, its savepoint and
its row), each from a sender process that counts acknowledgements as in ``bench backbone``.
Each burst runs twice: once plain, timing the hub thread's CPU (``time.thread_time``) for the
cost per message, and once under cProfile, for how that cost divides between the parts of
the pipeline (the profiler inflates small Python calls, so the shares are a guide and the
per-message figures come from the plain run).

A refusal of anything sent ends the benchmark at once (exit status 1, the hub's code and
reason). ``--smoke``: 1,000 position reports and 100 situation reports.

Last line: {"positions_us_per_msg", "reports_us_per_msg", "positions_share", "reports_share",
"calib_loop_s", ...}; the shares are the fraction of the hub thread's profiled time per part.
"""

from __future__ import annotations

import cProfile
import json
import multiprocessing as mp
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.backbone import _blast, payloads
from bench.calib import calib_loop_s
from bench.common import log, parser
from shared.config import HubConfig
from shared.hub import Hub
from shared.identity import Endpoints, enroll, load_or_create_hub_keys
from shared.protocol import IncidentDeclare, SituationReport, encode, new_id
from shared.store import open_engine, sqlite_url

PARTS: list[tuple[str, tuple[str, ...]]] = [
    # (part, path fragments of the functions whose own time counts for it); first match wins
    ("sockets (pyzmq recv/send)", ("zmq/", "zmq\\")),
    ("decode and validate", ("shared/protocol/", "msgspec")),
    ("store (SQLAlchemy, sqlite3)", ("sqlalchemy/", "sqlite3", "shared/store/")),
    (
        "handlers",
        (
            "shared/hub/incidents",
            "shared/hub/reports",
            "shared/hub/orders",
            "shared/hub/response",
            "shared/hub/duty",
            "shared/hub/common",
            "shared/domain/",
        ),
    ),
    ("persister (batch, savepoints, acks)", ("shared/hub/persist",)),
    (
        "request desk (drain, queue, admit)",
        ("shared/hub/requests", "shared/hub/guard", "shared/hub/registry", "shared/hub/presence"),
    ),
    ("picture and publication", ("shared/hub/state", "shared/hub/server")),
]


class _ProfiledHub(Hub):
    """A hub whose loop thread reports its CPU time, and can run under cProfile."""

    profile_next = False

    def _run(self) -> None:
        self.profile: cProfile.Profile | None = None
        if self.profile_next:
            self.profile = cProfile.Profile()
            self.profile.enable()
        self.cpu_start = time.thread_time()
        try:
            super()._run()
        finally:
            self.cpu_end = time.thread_time()
            if self.profile is not None:
                self.profile.disable()


def _reports(sender: str, n: int) -> list[bytes]:
    now = datetime.now(UTC)
    declare = encode(
        IncidentDeclare(
            id=new_id(),
            sender=sender,
            sent=now,
            incident_id="BENCH-1",
            title="基准测试事件",
            lat=37.74,
            lon=115.67,
            division="131102",
            type_code="hazchem.leak",
        )
    )
    return [declare] + [
        encode(
            SituationReport(
                id=new_id(),
                sender=sender,
                sent=now,
                incident_id="BENCH-1",
                stage="follow_up",
                title=f"续报 {i}",
                text="现场情况稳定，继续监测。",
                lat=37.74,
                lon=115.67,
            )
        )
        for i in range(n)
    ]


def _burst(root: Path, frames: list[bytes], role: str, profile: bool) -> dict[str, Any]:
    data = root / f"hub-{role}-{int(profile)}"
    data.mkdir()
    engine = open_engine(sqlite_url(data / "hub.db"))
    hub_key = load_or_create_hub_keys(data).public
    bundle = enroll(
        engine, name="bench", role=role, hub_public_key=hub_key, endpoints=Endpoints("", "", "")
    )
    hub = _ProfiledHub(HubConfig(request_port=0, publish_port=0, snapshot_port=0), data, engine)
    hub.profile_next = profile
    endpoints = hub.start()
    try:
        sender = {
            "name": "bench",
            "hub": hub_key,
            "public": bundle.keys.public,
            "secret": bundle.keys.secret,
            **endpoints.as_dict(),
        }
        out: Any = mp.get_context("spawn").Queue()
        blaster = mp.get_context("spawn").Process(target=_blast, args=(sender, frames, out))
        blaster.start()
        what = f"the acknowledgements of the {role}'s burst"
        result: dict[str, Any] = common.get(out, [blaster], 900, what)
        common.join([blaster], 30, "the sender")
    finally:
        hub.stop()
        engine.dispose()
    result["hub_cpu_s"] = hub.cpu_end - hub.cpu_start
    result["profile"] = hub.profile
    return result


def _part(where: str, func: str) -> str | None:
    """The part a function's own time counts for; None for waiting in ``poll``."""
    if where.endswith("zmq/sugar/poll.py") and func == "poll":
        return None  # the loop waiting for work (no CPU; not the pipeline's cost)
    for name, frags in PARTS:
        if any(f in where for f in frags):
            return name
    if "msgspec" in func:
        return PARTS[1][0]
    if "zmq" in func or "Socket" in func or "Frame" in func:
        return PARTS[0][0]
    if "sqlite3" in func:
        return PARTS[2][0]
    return "other (loop, builtins)"


def _shares(profile: cProfile.Profile) -> tuple[dict[str, float], list[tuple[str, float]]]:
    stats = pstats.Stats(profile)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    parts: dict[str, float] = {name: 0.0 for name, _ in PARTS}
    parts["other (loop, builtins)"] = 0.0
    top: list[tuple[str, float]] = []
    for (path, line, func), v in raw.items():
        where = path.replace("\\", "/")
        part = _part(where, func)
        if part is None:
            continue
        parts[part] += v[2]  # own time (tottime)
        short = where.split("site-packages/")[-1].split("/main/")[-1]
        top.append((f"{short}:{line}({func})", v[2]))
    total = sum(parts.values())
    top.sort(key=lambda t: -t[1])
    return {k: round(v / total, 3) for k, v in parts.items()}, [
        (name, round(t / total, 3)) for name, t in top[:12]
    ]


def main(argv: list[str] | None = None) -> None:
    ap = parser("hubprofile")
    ap.add_argument("--positions", type=int, default=100_000)
    ap.add_argument("--reports", type=int, default=10_000)
    args = ap.parse_args(argv)
    if args.smoke:
        args.positions, args.reports = 1000, 100
    common.run(lambda: _main(args))


def _main(args: Any) -> None:
    results: dict[str, Any] = {"calib_loop_s": calib_loop_s()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for label, frames, role in (
            ("positions", payloads("bench", args.positions + 1, units=50_000), "field"),
            ("reports", _reports("bench", args.reports), "duty-officer"),
        ):
            n = len(frames) - 1
            log(f"{label}: {n} messages, plain run")
            plain = _burst(root, frames, role, profile=False)
            results[f"{label}_per_s"] = round(plain["acks"] / plain["seconds"])
            results[f"{label}_us_per_msg"] = round(plain["hub_cpu_s"] / plain["acks"] * 1e6, 1)
            log(f"{label}: {n} messages, under cProfile")
            profiled = _burst(root, frames, role, profile=True)
            shares, top = _shares(profiled["profile"])
            results[f"{label}_share"] = shares
            print(f"\n{label}: hub thread {results[f'{label}_us_per_msg']} µs/message")
            for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
                print(f"  {share * 100:5.1f} %  {name}")
            print("  top functions by own time:")
            for name, share in top:
                print(f"  {share * 100:5.1f} %  {name}")
            sys.stdout.flush()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
