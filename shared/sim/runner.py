"""Running simulated units against a hub and counting what it acknowledged and holds.

The incidents the units report on (``SIM-001`` … ``SIM-020``) are declared first, as
exercises (演练), unless they exist already (a run sending as real declares none and reports
on the ones the hub holds). What the hub refuses for good is counted as
``refused`` with its codes; ``lost`` is only what was sent, not refused, and not stored.
"""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.client import HubClient
from shared.client.client import RETRYABLE
from shared.geo.places import county_seats
from shared.identity import Bundle
from shared.protocol import Error, IncidentDeclare, Message, PositionReport, SituationReport, utcnow
from shared.sim.tracks import make_units

log = logging.getLogger(__name__)
INCIDENTS = 20


@dataclass
class SimSummary:
    """What a simulation run sent, and what the hub acknowledged and holds."""

    sent: int
    acked: int
    refused: int
    """Refused for good by the hub (see ``refused_codes``); not lost."""
    refused_codes: dict[str, int]
    lost: int
    """Sent, not refused, and not stored: what the system failed to keep."""
    duplicates: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    reports: int
    units: int
    duration_s: float

    declared: int
    """Incidents this run declared (the others of ``SIM-001`` … existed already)."""

    def as_dict(self) -> dict[str, object]:
        """Plain dict for the JSON summary line."""
        return dict(self.__dict__)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def run_sim(
    bundle: Bundle,
    *,
    units: int,
    rate_hz: float,
    duration_s: float,
    outbox: Path,
    report_probability: float = 0.002,
    seed: int = 1,
    exercise: bool = True,
    on_tick: Callable[[int, int], None] | None = None,
) -> SimSummary:
    """Drive ``units`` simulated units for ``duration_s`` seconds at ``rate_hz`` positions
    per unit per second, then wait for the outbox to drain and ask the hub what it holds."""
    sim_units = make_units(bundle.device, units, seed)
    seats = county_seats()
    rng = random.Random(seed)
    latencies: list[float] = []
    acked: set[str] = set()
    sent_ids: list[str] = []
    reports = 0
    refused: dict[str, str] = {}

    def on_ack(ref: str, status: str, latency: float) -> None:
        acked.add(ref)
        latencies.append(latency * 1000)

    def on_error(error: Error) -> None:
        if error.ref is not None and error.code not in RETRYABLE and error.code != "revoked":
            refused[error.ref] = error.code

    incidents = [f"SIM-{n:03d}" for n in range(1, INCIDENTS + 1)]
    async with HubClient(bundle, outbox, exercise=exercise, window=5000) as client:
        client.on_ack.append(on_ack)
        client.on_error.append(on_error)
        try:
            await client.wait_online(10)
        except TimeoutError:
            log.warning("hub not answering yet; positions queue in the outbox meanwhile")
        # the incidents reported on, declared ahead of everything in the outbox (in order);
        # a run sending as real declares nothing (a simulator never makes real incidents),
        # nor one filing no reports
        declarations: list[Message] = [
            client.make(
                IncidentDeclare,
                incident_id=incident_id,
                title=f"模拟演练事件 {incident_id}",
                lat=seats[n % len(seats)].lat,
                lon=seats[n % len(seats)].lon,
                type_code="fire",
            )
            for n, incident_id in enumerate(incidents)
            if exercise and report_probability > 0
        ]
        if declarations:
            await client.submit(*declarations)
        period = 1.0 / rate_hz
        start = time.monotonic()
        tick = 0
        while time.monotonic() - start < duration_s:
            batch: list[Message] = []
            now = utcnow()
            for u in sim_units:
                u.step(period, seats)
                lat, lon = u.fix()
                batch.append(
                    client.make(
                        PositionReport,
                        unit_id=u.unit_id,
                        lat=lat,
                        lon=lon,
                        fix_time=now,
                        heading_deg=u.heading_deg,
                        speed_mps=0.0 if u.pause_s else u.speed_mps,
                        unit_type=u.unit_type,
                        callsign=u.callsign,
                    )
                )
                if rng.random() < report_probability:
                    reports += 1
                    batch.append(
                        client.make(
                            SituationReport,
                            incident_id=incidents[rng.randint(1, INCIDENTS) - 1],
                            stage="follow_up",
                            title=f"{u.callsign} 现场续报",
                            text="模拟现场情况更新",
                            lat=lat,
                            lon=lon,
                        )
                    )
            await client.submit(*batch)
            sent_ids.extend(m.id for m in batch)
            tick += 1
            if on_tick:
                on_tick(tick, len(sent_ids))
            next_at = start + tick * period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        elapsed = time.monotonic() - start
        await client.drain(60)
        held = await client.query_inbox(sent_ids + [m.id for m in declarations])
    declared_ids = {m.id for m in declarations}
    existing = {i for i in declared_ids if refused.get(i) == "conflict"}  # declared before
    refusals = {i: code for i, code in refused.items() if i in set(sent_ids)}
    codes: dict[str, int] = {}
    for code in refusals.values():
        codes[code] = codes.get(code, 0) + 1
    lost = sum(1 for i in sent_ids if i not in held and i not in refusals)
    duplicates = sum(held[i] - 1 for i in sent_ids if held.get(i, 0) > 1)
    unheld_declarations = declared_ids - set(held) - existing
    if unheld_declarations:
        log.warning("%d of the run's incidents were not declared", len(unheld_declarations))
    return SimSummary(
        sent=len(sent_ids),
        acked=len(acked & set(sent_ids)),
        refused=len(refusals),
        refused_codes=codes,
        lost=lost,
        duplicates=duplicates,
        p50_ms=round(_percentile(latencies, 50), 2),
        p95_ms=round(_percentile(latencies, 95), 2),
        p99_ms=round(_percentile(latencies, 99), 2),
        reports=reports,
        units=units,
        duration_s=round(elapsed, 2),
        declared=len(declared_ids & set(held)),
    )
