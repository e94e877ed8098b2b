"""``./run bench domain``: the emergency-domain core.

Measured now, with 10,000 open incidents: one deadline-engine pass in three situations —
typical (a pass a second, little due), all due at once (every incident known at the same
moment), and catch-up (10,000 alarms at distinct times due in one pass, as after an hour's
stall) — and grading throughput. Not yet measured (their code is not written): the
assessment against 10,000 facilities and 1,000 units, and order delivery through the hub.

Last line: {"deadline_pass_ms", ...}; deadline_pass_ms is the worst of the three passes.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.domain import DeadlineEngine, Facts, grade, tables

N = 10_000
T0 = datetime(2026, 7, 12, 13, 0, tzinfo=UTC)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _engine(spread_s: float, phone_only: bool = False) -> DeadlineEngine:
    engine = DeadlineEngine()
    for i in range(N):
        known = T0 + timedelta(seconds=spread_s * i / N)
        done = {"initial_written"} if phone_only else set()
        engine.track(
            f"I{i:05d}",
            known_at=known,
            occurred=known,
            type_code="hazchem",
            level=4 if phone_only else 1 + i % 4,
            done=done,
        )
    return engine


def _median_pass(setup: Callable[[], tuple[DeadlineEngine, datetime]]) -> tuple[float, int]:
    times, alarms = [], 0
    for _ in range(5):
        engine, now = setup()
        start = time.perf_counter()
        alarms = len(engine.poll(now))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), alarms


def main() -> None:
    results: dict[str, object] = {"open_incidents": N}

    def typical() -> tuple[DeadlineEngine, datetime]:
        engine = _engine(spread_s=24 * 3600)
        now = T0 + timedelta(hours=12)
        engine.poll(now)  # caught up, as a running hub is
        return engine, now + timedelta(seconds=1)

    def all_due() -> tuple[DeadlineEngine, datetime]:
        return _engine(spread_s=0, phone_only=True), T0 + timedelta(minutes=30)

    def catch_up() -> tuple[DeadlineEngine, datetime]:
        return _engine(spread_s=3600, phone_only=True), T0 + timedelta(minutes=30, hours=1)

    log(f"1/4 typical pass over {N} open incidents known over the last 24 h")
    ms, n = _median_pass(typical)
    results["deadline_pass_typical_ms"], results["deadline_pass_typical_alarms"] = round(ms, 3), n
    log(f"2/4 all due at once: {N} incidents known at the same moment")
    ms, n = _median_pass(all_due)
    results["deadline_pass_all_due_ms"], results["deadline_pass_all_due_alarms"] = round(ms, 2), n
    log(f"3/4 catch-up: alarms of {N} incidents at distinct times due in one pass")
    ms, n = _median_pass(catch_up)
    results["deadline_pass_catchup_ms"], results["deadline_pass_catchup_alarms"] = round(ms, 2), n
    results["deadline_pass_ms"] = max(
        results["deadline_pass_typical_ms"],  # type: ignore[type-var]
        results["deadline_pass_all_due_ms"],
        results["deadline_pass_catchup_ms"],
    )

    log("4/4 grading throughput")
    table = tables()["production_safety"]
    facts = [Facts(i % 40, i % 120, (i * 997) % 150_000_000) for i in range(N)]
    start = time.perf_counter()
    for f in facts:
        grade(table, f)
    results["grade_us_per_incident"] = round((time.perf_counter() - start) / N * 1e6, 2)
    log(f"    worst pass {results['deadline_pass_ms']} ms")
    ordered = {"deadline_pass_ms": results.pop("deadline_pass_ms"), **results}
    print(json.dumps(ordered))


if __name__ == "__main__":
    main()
