"""Store-and-forward delivery over real sockets: HTTPS with mutual TLS to the provincial
simulator, the drop folder, order kept through an hour-long outage (injected clock), nothing
delivered twice, rejected documents set aside without blocking the queue."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.identity.pki import init_test_pki, issue, make_ca
from shared.protocol.state import Update, UpdateBatch
from shared.relay import (
    AlertFactory,
    DropTransport,
    HttpsTransport,
    Relayer,
    RelayQueue,
    Schemas,
    client_tls,
)
from shared.sim.province import ProvinceSim, server_tls
from tests.shared.relay.conftest import T0, incident, report
from tests.support import free_ports


class Clock:
    """A wall clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def pki(tmp_path: Path) -> dict:
    return init_test_pki(tmp_path / "pki")


@pytest.fixture
async def province(tmp_path: Path, pki: dict, schemas: Schemas) -> AsyncIterator[ProvinceSim]:
    tls = server_tls(pki["ca"].cert, pki["province"].cert, pki["province"].key)
    sim = ProvinceSim(tmp_path / "province", schemas, tls)
    await sim.start("127.0.0.1", free_ports(1)[0])
    try:
        yield sim
    finally:
        await sim.stop()
        sim.close()


def _https(pki: dict, port: int, *, cert: str = "city") -> HttpsTransport:
    tls = client_tls(pki["ca"].cert, pki[cert].cert, pki[cert].key)
    return HttpsTransport(f"https://127.0.0.1:{port}/edxl", tls, timeout_s=5)


def _relayer(engine: Engine, transports: list, clock: Clock) -> Relayer:
    factory = AlertFactory(clock=clock)
    relay = Relayer(RelayQueue(engine), transports, factory=factory, clock=clock)
    relay.prime([incident()])
    return relay


def _report_batch(n: int, clock: Clock) -> list[UpdateBatch]:
    stage = "initial" if n == 1 else "follow_up"
    rep = report(f"R{n:03d}", stage=stage, version=n, sent=clock())
    return [UpdateBatch("report", [Update(n, rep.report_id, rep)])]


async def test_an_alert_reaches_the_province_over_mutual_tls_and_is_acknowledged(
    engine: Engine, pki: dict, province: ProvinceSim
) -> None:
    clock = Clock(T0)
    relay = _relayer(engine, [_https(pki, province.port)], clock)
    assert relay.enqueue(relay.changes(_report_batch(1, clock))) == 1
    assert await relay.deliver_due() == 1
    [got] = province.received
    assert got["valid"] and got["type"] == "Report" and got["peer"] == "131100.emergency.hengshui"
    assert got["incident"] == "INC-20260712-001"
    [(dist_id, state, attempts)] = relay.queue.deliveries("province")
    assert (state, attempts) == ("acknowledged", 1) and dist_id == got["distribution_id"]
    status = relay.status("province")
    assert status.queued == 0 and status.delivered == 1 and status.last_ack == got["ack"]
    stored = (Path(province.record) / "received" / got["file"]).read_bytes()
    assert b"<embeddedXMLContent><alert" in stored
    for t in relay.transports.values():
        await t.aclose()


async def test_a_client_without_a_certificate_of_the_pki_is_refused_and_keeps_its_queue(
    engine: Engine, pki: dict, province: ProvinceSim, tmp_path: Path
) -> None:
    other_ca = make_ca(tmp_path / "rogue", "Rogue CA")
    pki["rogue"] = issue(other_ca, tmp_path / "rogue", "rogue", "rogue.client")
    pki["rogue_ca"] = other_ca
    # trusts the province's CA (so the server is accepted) but presents a rogue client cert
    tls = client_tls(pki["ca"].cert, pki["rogue"].cert, pki["rogue"].key)
    transport = HttpsTransport(f"https://127.0.0.1:{province.port}/edxl", tls, timeout_s=5)
    clock = Clock(T0)
    relay = _relayer(engine, [transport], clock)
    relay.enqueue(relay.changes(_report_batch(1, clock)))
    assert await relay.deliver_due() == 0
    assert province.received == []
    status = relay.status("province")
    assert status.queued == 1 and status.attempts == 1
    assert "does not trust this platform's client certificate" in status.last_error
    await transport.aclose()


async def test_a_province_this_platform_does_not_trust_is_named_as_such(
    engine: Engine, pki: dict, province: ProvinceSim, tmp_path: Path
) -> None:
    other_ca = make_ca(tmp_path / "other", "Other CA")
    # presents a good client certificate, but trusts another CA than the province's
    tls = client_tls(other_ca.cert, pki["city"].cert, pki["city"].key)
    transport = HttpsTransport(f"https://127.0.0.1:{province.port}/edxl", tls, timeout_s=5)
    clock = Clock(T0)
    relay = _relayer(engine, [transport], clock)
    relay.enqueue(relay.changes(_report_batch(1, clock)))
    assert await relay.deliver_due() == 0
    error = relay.status("province").last_error
    assert "this platform does not trust the far end's server certificate" in error, error
    await transport.aclose()


async def test_an_hour_long_outage_ends_with_everything_delivered_in_order_once(
    engine: Engine, pki: dict, province: ProvinceSim
) -> None:
    clock = Clock(T0)
    port = province.port
    transport = _https(pki, port)
    relay = _relayer(engine, [transport], clock)
    await province.stop()  # the provincial link goes down
    tries = 0
    for n in range(1, 31):  # a report every two minutes for an hour, tried every 15 s
        relay.enqueue(relay.changes(_report_batch(n, clock)))
        for _ in range(8):
            assert await relay.deliver_due(clock.advance(15)) == 0
            tries += 1
    status = relay.status("province")
    assert status.queued == 30 and status.delivered == 0
    assert "Connect" in status.last_error or "refused" in status.last_error.lower()
    # back-off: at most one attempt a minute once it has grown, not one per wake-up
    assert 30 <= status.attempts <= 75, status.attempts
    # the same changes seen again (a restart, say) add nothing
    assert (
        relay.queue.add(
            distribution_id="DE.CN-131100.INC-20260712-001.R.R001",
            identifier="x",
            incident_id="INC-20260712-001",
            kind="report",
            reference="r",
            level=3,
            document=b"<x/>",
            destinations=["province"],
            now=clock(),
        )
        is None
    )

    # the province comes back, and loses the answer to the first document once
    await province.start("127.0.0.1", port)
    province.lose_answers = 1
    delivered = 0
    for _ in range(5):
        delivered += await relay.deliver_due(clock.advance(61))
    assert delivered == 30
    valid = [r for r in province.received if r.get("valid") and not r["duplicate"]]
    dups = [r for r in province.received if r["duplicate"]]
    order = [r["distribution_id"].rsplit(".", 1)[1] for r in valid]
    assert order == [f"R{n:03d}" for n in range(1, 31)]  # in order, each once
    assert len(dups) == 1 and dups[0]["distribution_id"] == valid[0]["distribution_id"]
    assert {s for _, s, _ in relay.queue.deliveries("province")} == {"acknowledged"}
    await transport.aclose()


async def test_a_document_the_province_rejects_is_set_aside_and_the_queue_moves_on(
    engine: Engine, pki: dict, province: ProvinceSim
) -> None:
    clock = Clock(T0)
    transport = _https(pki, province.port)
    relay = _relayer(engine, [transport], clock)
    relay.queue.add(
        distribution_id="DE.broken",
        identifier="broken",
        incident_id="INC-20260712-001",
        kind="report",
        reference="r",
        level=None,
        document=b"<EDXLDistribution xmlns='urn:oasis:names:tc:emergency:EDXL:DE:1.0'/>",
        destinations=["province"],
        now=clock(),
    )
    relay.enqueue(relay.changes(_report_batch(1, clock)))
    assert await relay.deliver_due() == 1
    states = [(d.split(".")[-1], s) for d, s, _ in relay.queue.deliveries("province")]
    assert states == [("broken", "rejected"), ("R001", "acknowledged")]
    status = relay.status("province")
    assert status.rejected == 1 and "distributionID" in status.last_error
    await transport.aclose()


async def test_the_drop_folder_gets_files_and_a_checkable_manifest_while_https_waits(
    engine: Engine, pki: dict, tmp_path: Path
) -> None:
    clock = Clock(T0)
    dead = _https(pki, free_ports(1)[0])
    drop = DropTransport(tmp_path / "ferry")
    relay = _relayer(engine, [dead, drop], clock)
    for n in (1, 2, 3):
        relay.enqueue(relay.changes(_report_batch(n, clock)))
    assert await relay.deliver_due() == 3  # the drop folder's three; https is down
    files = sorted((tmp_path / "ferry").glob("*.xml"))
    assert [f.name.rsplit(".", 2)[1] for f in files] == ["R001", "R002", "R003"]
    manifest = (tmp_path / "ferry" / "manifest.sha256").read_text().splitlines()
    for line in manifest:
        digest, name = line.split("  ")
        assert hashlib.sha256((tmp_path / "ferry" / name).read_bytes()).hexdigest() == digest
    assert len(manifest) == 3
    assert not list((tmp_path / "ferry").glob(".*partial"))
    assert relay.status("drop").delivered == 3 and relay.status("province").queued == 3
    await dead.aclose()


async def test_an_alert_that_cannot_be_written_is_quarantined_and_the_rest_still_go(
    engine: Engine, pki: dict, province: ProvinceSim
) -> None:
    """A report holding a character XML cannot carry (one that reached the store before
    values were checked): its alert is kept aside with the reason, said in the relay's
    status; the reports before and after it reach the province, and seen again (a restart
    catching up) it is not kept twice. Before, the relay thread died and said nothing."""
    clock = Clock(T0)
    transport = _https(pki, province.port)
    relay = _relayer(engine, [transport], clock)
    poison = report("R002", stage="follow_up", version=2, sent=clock(), title="火势\x0b复燃")
    batches = [
        _report_batch(1, clock),
        [UpdateBatch("report", [Update(2, poison.report_id, poison)])],
        _report_batch(3, clock),
    ]
    for batch in batches:
        relay.enqueue(relay.changes(batch))
    relay.enqueue(relay.changes(batches[1]))  # seen again
    assert await relay.deliver_due() == 2
    states = [(d.split(".")[-1], s) for d, s, _ in relay.queue.deliveries("province")]
    assert [s for _, s in states] == ["acknowledged", "quarantined", "acknowledged"]
    status = relay.status("province")
    assert status.queued == 0 and status.quarantined == 1
    assert "INC-20260712-001" in status.quarantine_note and "XML" in status.quarantine_note
    await transport.aclose()


async def test_an_incident_lived_twice_reaches_the_province_with_both_endings(
    engine: Engine, pki: dict, province: ProvinceSim
) -> None:
    """Closed, reopened, closed again (a dyke that breaks again): the province gets the
    report, the first ending, the reopening, the 续报 and the second ending — before, the
    second close reused the first one's id and was silently taken as already queued."""
    clock = Clock(T0)
    transport = _https(pki, province.port)
    relay = _relayer(engine, [transport], clock)

    def step(**changes: object) -> None:
        inc = incident(updated=clock.advance(60), **changes)
        relay.enqueue(relay.changes([UpdateBatch("incident", [Update(0, inc.incident_id, inc)])]))

    relay.enqueue(relay.changes(_report_batch(1, clock)))
    step(status="closed", closed_reason="处置结束")
    step(status="verified", status_note="堤坝再次决口")
    clock.advance(60)
    relay.enqueue(relay.changes(_report_batch(2, clock)))
    step(status="closed", closed_reason="再次处置结束", dead=3)
    assert await relay.deliver_due() == 5
    kinds = [s for _, s, _ in relay.queue.deliveries("province")]
    assert kinds == ["acknowledged"] * 5
    ids = [d for d, _, _ in relay.queue.deliveries("province")]
    assert len(set(ids)) == 5 and sum(".X." in d for d in ids) == 2


def test_identifiers_that_differ_only_in_rewritten_characters_stay_apart(engine: Engine) -> None:
    """``HS,1`` and ``HS_1`` were both ``HS_1``: the second incident's response step (or
    closing) was dropped as a resend of the first's; dots inside an id could also meet the
    parts after it."""
    factory = AlertFactory(clock=Clock(T0))
    ids = ["HS,1", "HS_1", "HS.1", "HS/1", "HS_2c_1", "county-jingxian/J-1", "A.R", "A"]
    made = {factory.response_identifier(i, 1) for i in ids}
    made |= {factory.report_identifier(report(r, incident_id="A")) for r in ("R.x", "x")}
    made |= {factory.report_identifier(report("x", incident_id="A.R"))}
    assert len(made) == len(ids) + 3
    # an id of letters, digits and '-' reads as before: queues of older builds still match
    assert factory.response_identifier("INC-20260712-001", 2) == "CN-131100.INC-20260712-001.P2"
