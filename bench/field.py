"""``./run bench field``: the field client.

* ``cold_start_s`` — ``field-unit window`` from process start to its window drawn (Qt
  imports included; no map page: the field window has none), median of 3 runs;
* ``rss_mib`` — that process's resident memory two seconds after start, online to a hub;
* ``upload_*`` — a 20 MB photo with a 初报 on an incident the unit declares first, through a
  link that loses 10% of what it carries:
  a TCP relay between the client and the hub's request port that cuts the connection on
  10% of the 16 KiB reads it forwards (netem is not available on these machines). The
  report is queued behind the photo's chunks in the durable outbox; after each cut the
  client reconnects and sends again what was not acknowledged. ``upload_completed`` is 1
  when the hub holds the report and the photo byte for byte; ``retransmitted_bytes`` is what
  crossed the link towards the hub beyond one copy of the messages. Baseline in the same run:
  the same upload on a clean link (``clean_upload_s``).

A refusal of the declaration, a chunk or the report ends the benchmark at once (exit status
1, the hub's code and reason). ``--smoke``: one cold start, a 1 MB photo.

Last line: {"cold_start_s", "rss_mib", "upload_completed", "upload_s", "retransmitted_bytes", ...}.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.calib import calib_loop_s
from bench.common import BenchFailure, Refusals, accepted, log, parser, run

PHOTO_BYTES = 20 * 1000 * 1000
DROP = 0.10
INCIDENT = "BENCH-1"


def _bundle(hub: object, name: str, role: str, request: str | None = None) -> object:
    from shared.identity import Bundle, Endpoints, KeyPair

    raw = hub.bundle(name, role=role)  # type: ignore[attr-defined]
    ep = hub.endpoints  # type: ignore[attr-defined]
    if request is not None:
        ep = Endpoints(request, ep.publish, ep.snapshot)
    return Bundle(
        name, role, KeyPair(raw["public"], raw["secret"]), raw["hub"], ep, datetime.now(UTC), None
    )


def _cold_start(root: Path, bundle_file: Path, results: dict[str, object], runs: int) -> None:
    import psutil

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "xcb" if env.get("DISPLAY") else "offscreen")
    starts, rss = [], []
    for i in range(runs):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "field_unit",
                "window",
                "--bundle",
                str(bundle_file),
                "--data-dir",
                str(root / f"fu{i}"),
                "--seconds",
                "3",
                "--ready-json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait(30)
            raise BenchFailure(f"field-unit window ended (status {proc.returncode}) unready")
        starts.append(json.loads(line)["ready_s"])
        time.sleep(2.0)
        with contextlib.suppress(psutil.NoSuchProcess):
            rss.append(psutil.Process(proc.pid).memory_info().rss / 2**20)
        proc.wait(30)
    results["cold_start_s"] = round(statistics.median(starts), 3)
    results["cold_start_runs_s"] = starts
    results["rss_mib"] = round(max(rss), 1) if rss else -1


async def _declare(hub: object, root: Path, incident_id: str) -> None:
    """The incident the reports are filed on, declared by a unit of its own on a clean link
    (the hub refuses a report on an incident it does not know)."""
    from shared.client import HubClient
    from shared.protocol import IncidentDeclare

    bundle = _bundle(hub, "team-declare", "field")
    async with HubClient(bundle, root / "declare.db") as c:  # type: ignore[arg-type]
        await c.wait_online(20)
        declare = c.make(
            IncidentDeclare, incident_id=incident_id, title="大堤险情", lat=37.6, lon=115.6
        )
        accepted(await c.submit_and_wait(declare, 20), f"the declaration of {incident_id}")


async def _upload(
    hub: object,
    root: Path,
    drop: float,
    tag: str,
    photo_bytes: int = PHOTO_BYTES,
    incident_id: str = INCIDENT,
    timeout: float = 600,
) -> dict[str, object]:
    """A photo with a 初报 on ``incident_id`` through a link losing ``drop`` of its reads.

    Raises:
        BenchFailure: the hub refused a chunk or the report, or did not hold both in
            ``timeout`` seconds.
    """
    from sqlalchemy import select

    from shared.field import FieldSession
    from shared.store import open_engine, sqlite_url
    from shared.store.models import Report
    from tests.support import LossProxy

    ep = hub.endpoints  # type: ignore[attr-defined]
    host, port = ep.request.removeprefix("tcp://").rsplit(":", 1)
    proxy = LossProxy(host, int(port), drop)
    await proxy.start()
    bundle = _bundle(hub, f"team-{tag}", "field", f"tcp://127.0.0.1:{proxy.port}")
    photo = root / f"photo-{tag}.jpg"
    data = hashlib.shake_256(tag.encode()).digest(photo_bytes)
    photo.write_bytes(data)
    session = FieldSession(bundle, root / f"session-{tag}")
    refusals = Refusals(session.client)
    engine = open_engine(sqlite_url(hub.data / "hub.db"))  # type: ignore[attr-defined]
    await session.client.start()  # positions and orders are not needed here
    try:
        t0 = time.perf_counter()
        report_id = await session.send_report(
            incident_id, "initial", "大堤险情", {"what": "管涌", "where": "东岸"}, files=[photo]
        )
        # one copy of what had to cross: every queued message, encoded once
        once = sum(len(row[2]) for row in session.client.outbox.after(0, 10_000))

        def stored() -> bool:
            if session.client.queued():
                return False
            with engine.connect() as conn:
                query = select(Report.id).where(Report.msg_id == report_id)
                return conn.execute(query).first() is not None

        await refusals.until(stored, timeout, f"the {tag} upload stored at the hub", step=0.2)
        took = time.perf_counter() - t0
    finally:
        engine.dispose()
        await session.client.aclose()
        await asyncio.sleep(0.2)  # the proxy sees the client's side close and ends its pumps
        await proxy.stop()
    digest = hashlib.sha256(data).hexdigest()
    held = hub.data / "attachments" / digest[:2] / digest  # type: ignore[attr-defined]
    complete = held.is_file() and hashlib.sha256(held.read_bytes()).hexdigest() == digest
    return {
        "completed": 1 if complete else 0,
        "seconds": round(took, 2),
        "up_bytes": proxy.up_bytes,
        "once_bytes": once,
        "cuts": proxy.cuts,
        "connections": proxy.connections,
    }


def main(argv: list[str] | None = None) -> None:
    ap = parser("field")
    ap.add_argument(
        "--report-on",
        metavar="INCIDENT",
        help="file the reports on this incident, not on the one the bench declares "
        "(one nobody declared: the upload is refused, and the bench must end at once)",
    )
    args = ap.parse_args(argv)
    run(lambda: _main(args.smoke, args.report_on))


def _main(smoke: bool, report_on: str | None) -> None:
    from bench.backbone import HubUnderTest

    runs, photo_bytes = (1, 1000 * 1000) if smoke else (3, PHOTO_BYTES)
    mb = f"{photo_bytes / 1e6:g} MB"
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub = HubUnderTest(root)
        hub.start()
        try:
            log(f"cold start and memory of field-unit window ({runs} runs)")
            bundle = _bundle(hub, "team-cold", "field")
            bundle_file = root / "team-cold.json"
            bundle.save(bundle_file)  # type: ignore[attr-defined]
            _cold_start(root, bundle_file, results, runs)
            log(f"cold_start_s={results['cold_start_s']} rss_mib={results['rss_mib']}")
            if report_on is None:
                asyncio.run(_declare(hub, root, INCIDENT))
            incident = report_on or INCIDENT
            log(f"{mb} photo on a clean link (baseline)")
            clean = asyncio.run(_upload(hub, root, 0.0, "clean", photo_bytes, incident))
            log(f"clean: {clean}")
            log(f"{mb} photo through a link losing {DROP:.0%} of its reads")
            lossy = asyncio.run(_upload(hub, root, DROP, "lossy", photo_bytes, incident))
            log(f"lossy: {lossy}")
        finally:
            hub.stop()
    results["upload_completed"] = lossy["completed"]
    results["upload_s"] = lossy["seconds"]
    results["retransmitted_bytes"] = max(0, int(lossy["up_bytes"]) - int(lossy["once_bytes"]))  # type: ignore[call-overload]
    results["link_cuts"] = lossy["cuts"]
    results["reconnections"] = lossy["connections"]
    results["clean_upload_s"] = clean["seconds"]
    results["clean_overhead_bytes"] = max(0, int(clean["up_bytes"]) - int(clean["once_bytes"]))  # type: ignore[call-overload]
    results["photo_bytes"] = photo_bytes
    results["cores"] = os.cpu_count() or 0
    head = {
        k: results.pop(k)
        for k in ("cold_start_s", "rss_mib", "upload_completed", "upload_s", "retransmitted_bytes")
    }
    print(json.dumps({**head, **results, "calib_loop_s": calib_loop_s()}))


if __name__ == "__main__":
    main()
