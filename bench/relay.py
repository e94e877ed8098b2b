"""``./run bench relay``: the upward relay to the provincial platform.

* ``alerts_per_s`` — validated alerts relayed per second: 2,000 CAP alerts in EDXL-DE
  envelopes, queued durably (SQLite), sent in order over HTTPS with mutual TLS to the
  provincial simulator running as its own process, which parses each safely, validates it
  against both OASIS schemas, records it and answers an EDXL-DE Ack. Baseline in the same
  run: the same documents POSTed straight from memory on one kept-alive connection
  (``raw_alerts_per_s``: no queue, no bookkeeping) — the price of durability.
* ``first_report_ack_p95_ms`` — a duty officer's 初报 submitted to a real hub process (which
  relays) → the province's acknowledgement recorded in the hub's queue; 60 reports, one every
  150 ms, each on its own incident.

A refusal ends the benchmark at once (exit status 1, with the reason): of a declaration or
report by the hub, of an alert by the province. ``--smoke``: 100 alerts, 5 reports.

Last line: {"alerts_per_s", "first_report_ack_p95_ms", ...}.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.calib import calib_loop_s
from bench.common import BenchFailure, accepted, log, parser, run

N_ALERTS = 2000
N_REPORTS = 60


def _rejected(engine: object) -> None:
    """End the benchmark when the province has rejected an alert (or the relay could not
    build one: it is kept, never sent)."""
    from sqlalchemy import select

    from shared.store.models import RelayDelivery

    d = RelayDelivery
    with engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            select(d.state, d.destination, d.last_error).where(
                d.state.in_(("rejected", "quarantined"))
            )
        ).first()
    if row is not None:
        raise BenchFailure(f"an alert {row[0]} for {row[1]}: {row[2]}")


def _start_sim(root: Path, pki: Path) -> tuple[subprocess.Popen[str], str]:
    from tests.support import free_ports

    port = free_ports(1)[0]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "command_center",
            "province-sim",
            "--listen",
            f"127.0.0.1:{port}",
            "--record",
            str(root / "province"),
            "--pki",
            str(pki),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    return proc, str(ready["url"])


def _throughput(
    root: Path, pki: Path, url: str, results: dict[str, object], n_alerts: int = N_ALERTS
) -> None:
    import aiohttp

    from shared.protocol.state import IncidentState, ReportState, Update, UpdateBatch
    from shared.relay import AlertFactory, HttpsTransport, Relayer, RelayQueue, client_tls
    from shared.store import open_engine, sqlite_url

    now = datetime.now(UTC)
    engine = open_engine(sqlite_url(root / "relay.db"))
    tls = client_tls(pki / "ca.crt", pki / "city.crt", pki / "city.key")
    relay = Relayer(
        RelayQueue(engine), [HttpsTransport(url, tls, name="province")], factory=AlertFactory()
    )
    incidents = [
        IncidentState(
            incident_id=f"INC-{i:04d}",
            title=f"测试事件{i}",
            lat=37.5 + i / 1000,
            lon=115.6 + i / 1000,
            status="verified",
            updated=now,
            level=1 + i % 4,
            division="131102",
            type_code="hazchem.leak",
            area=[(37.5, 115.6), (37.52, 115.6), (37.52, 115.62), (37.5, 115.62)],
        )
        for i in range(max(1, n_alerts // 10))
    ]
    relay.prime(incidents)
    batches = [
        UpdateBatch(
            "report",
            [
                Update(
                    n,
                    f"R{n:05d}",
                    ReportState(
                        report_id=f"R{n:05d}",
                        incident_id=incidents[n % len(incidents)].incident_id,
                        stage="initial" if n < len(incidents) else "follow_up",
                        title=f"第{n}号报告：现场情况",
                        sender="duty-01",
                        sent=now,
                        dead=n % 3,
                        version=1 + n // len(incidents),
                    ),
                )
            ],
        )
        for n in range(n_alerts)
    ]
    t0 = time.perf_counter()
    events = [e for b in batches for e in relay.changes([b])]
    queued = relay.enqueue(events)
    t_queue = time.perf_counter() - t0
    if queued != n_alerts:
        raise BenchFailure(f"{queued} of {n_alerts} alerts queued")
    log(f"{queued} alerts built and queued in {t_queue:.2f} s; delivering")

    async def deliver() -> float:
        start = time.perf_counter()
        try:
            sent = await relay.deliver_due()
        finally:
            for t in relay.transports.values():
                await t.aclose()
        took = time.perf_counter() - start
        _rejected(engine)
        if sent != n_alerts:
            raise BenchFailure(f"{sent} of {n_alerts} alerts delivered")
        return took

    t_deliver = asyncio.run(deliver())
    states = {s for _, s, _ in relay.queue.deliveries("province")}
    if states != {"acknowledged"}:
        raise BenchFailure(f"deliveries to the province {sorted(states)}, not all acknowledged")
    docs = [d for _, d in _documents(engine)]
    sizes = [len(d) for d in docs]

    async def raw() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls, limit=1)) as s:
            start = time.perf_counter()
            for d in docs:
                async with s.post(url, data=d, headers={"Content-Type": "application/xml"}) as r:
                    body = await r.read()
                    if r.status != 200:
                        why = body[:300].decode(errors="replace")
                        raise BenchFailure(f"a raw POST refused by the province: {r.status} {why}")
            return time.perf_counter() - start

    t_raw = asyncio.run(
        raw()
    )  # every one a duplicate now: the simulator still parses and validates
    engine.dispose()
    results["alerts_per_s"] = round(n_alerts / t_deliver, 1)
    results["raw_alerts_per_s"] = round(n_alerts / t_raw, 1)
    results["queue_alerts_per_s"] = round(n_alerts / t_queue, 1)
    results["end_to_end_alerts_per_s"] = round(n_alerts / (t_queue + t_deliver), 1)
    results["alerts"] = n_alerts
    results["document_bytes_median"] = int(statistics.median(sizes))


def _documents(engine: object) -> list[tuple[str, bytes]]:
    from sqlalchemy import select

    from shared.store.models import RelayAlert

    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(RelayAlert.distribution_id, RelayAlert.document).order_by(RelayAlert.seq)
        ).all()
    return [(r[0], r[1]) for r in rows]


def _first_report(
    root: Path, pki: Path, url: str, results: dict[str, object], n_reports: int = N_REPORTS
) -> None:
    from sqlalchemy import select

    from bench.backbone import HubUnderTest
    from shared.client import HubClient
    from shared.identity import Bundle, KeyPair
    from shared.protocol import IncidentDeclare, SituationReport
    from shared.store import open_engine, sqlite_url
    from shared.store.models import RelayAlert, RelayDelivery

    hub = HubUnderTest(root)
    hub.start(
        "--relay-url",
        url,
        "--relay-ca",
        str(pki / "ca.crt"),
        "--relay-cert",
        str(pki / "city.crt"),
        "--relay-key",
        str(pki / "city.key"),
    )
    try:
        raw = hub.bundle("duty-01", role="duty-officer")
        officer = Bundle(
            "duty-01",
            "duty-officer",
            KeyPair(raw["public"], raw["secret"]),
            raw["hub"],
            hub.endpoints,
            datetime.now(UTC),
            None,
        )
        submitted: dict[str, datetime] = {}

        async def run() -> None:
            async with HubClient(officer, root / "o.db") as c:
                await c.wait_online(10)
                for i in range(n_reports):
                    declare = c.make(
                        IncidentDeclare,
                        incident_id=f"B-{i:03d}",
                        title="储罐泄漏",
                        lat=37.7,
                        lon=115.7,
                        type_code="hazchem.leak",
                        division="131102",
                    )
                    accepted(await c.submit_and_wait(declare, 10), f"declaring B-{i:03d}")
                    report = c.make(
                        SituationReport,
                        incident_id=f"B-{i:03d}",
                        stage="initial",
                        title="初报：储罐区氨气泄漏",
                        text="已疏散周边群众",
                    )
                    submitted[report.id] = datetime.now(UTC)
                    accepted(await c.submit_and_wait(report, 10), f"the 初报 on B-{i:03d}")
                    await asyncio.sleep(0.15)

        asyncio.run(run())
        engine = open_engine(sqlite_url(hub.data / "hub.db"))
        latencies: list[float] = []
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(RelayAlert.identifier, RelayDelivery.done_at)
                    .join(RelayDelivery, RelayDelivery.alert_seq == RelayAlert.seq)
                    .where(RelayDelivery.state == "acknowledged", RelayAlert.kind == "report")
                ).all()
            if len(rows) >= n_reports:
                break
            _rejected(engine)
            if time.monotonic() > deadline:
                raise BenchFailure(f"{len(rows)} of {n_reports} reports acknowledged in 30 s")
            time.sleep(0.1)
        for identifier, done_at in rows:
            report_id = identifier.rsplit(".", 1)[1]
            latencies.append((done_at - submitted[report_id]).total_seconds() * 1000)
        engine.dispose()
    finally:
        hub.stop()
    results["first_reports"] = n_reports
    results["first_reports_acknowledged"] = len(latencies)
    results["first_report_ack_p50_ms"] = round(statistics.median(latencies), 1)
    results["first_report_ack_p95_ms"] = round(
        statistics.quantiles(latencies, n=100, method="inclusive")[94], 1
    )


def main(argv: list[str] | None = None) -> None:
    args = parser("relay").parse_args(argv)
    run(lambda: _main(args.smoke))


def _main(smoke: bool) -> None:
    from shared.identity.pki import init_test_pki

    n_alerts, n_reports = (100, 5) if smoke else (N_ALERTS, N_REPORTS)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pki = root / "pki"
        init_test_pki(pki)
        sim, url = _start_sim(root, pki)
        try:
            log(f"throughput: {n_alerts} alerts through the durable queue, and raw POSTs")
            _throughput(root, pki, url, results, n_alerts)
            log(f"alerts_per_s={results['alerts_per_s']} raw={results['raw_alerts_per_s']}")
            log("first report → provincial acknowledgement through a hub process")
            _first_report(root, pki, url, results, n_reports)
        finally:
            sim.terminate()
            sim.wait(10)
    import os

    results["cores"] = os.cpu_count() or 0
    head = {k: results.pop(k) for k in ("alerts_per_s", "first_report_ack_p95_ms")}
    print(json.dumps({**head, **results, "calib_loop_s": calib_loop_s()}))


if __name__ == "__main__":
    main()
