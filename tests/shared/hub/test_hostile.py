"""Hostile peers: one bad frame costs only itself; an abusive device is throttled, cut off and
alarmed; a flooding device does not starve the others."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import msgspec
import zmq
from sqlalchemy import select

from shared.client import HubClient, Replica
from shared.identity import load_bundle
from shared.protocol import (
    Ack,
    AlarmState,
    Error,
    IncidentDeclare,
    LevelOverride,
    Ping,
    Pong,
    SituationReport,
    decode_reply,
    encode,
    new_id,
    utcnow,
)
from shared.store.models import AuditEntry
from tests.conftest import HubHandle
from tests.support import RawPeer, declare, raw_declare, running_hub, until


def _bad_utf8_report(sender: str) -> bytes:
    """A well-formed report whose title starts with the byte 0xF2 (not UTF-8)."""
    msg = SituationReport(
        id=new_id(),
        sender=sender,
        sent=utcnow(),
        incident_id="INC-1",
        stage="initial",
        title="TITLE",
    )
    frame = encode(msg)
    assert frame.count(b"TITLE") == 1
    return frame.replace(b"TITLE", b"\xf2ITLE")


def _known(hub: HubHandle, *names: str) -> bool:
    """Whether the running hub has noticed these enrolments (it polls every 250 ms)."""
    devices = hub.hub.devices
    return all(
        n in devices.by_name and devices.lookup(devices.by_name[n].public_key) is not None
        for n in names
    )


def _wait_known(hub: HubHandle, *names: str) -> None:
    """:func:`_known`, waited for (for tests that do not run an event loop)."""
    deadline = time.monotonic() + 10
    while not _known(hub, *names):
        assert time.monotonic() < deadline, "the hub never noticed the enrolments"
        time.sleep(0.02)


def _audit(engine: object, action: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.subject, AuditEntry.detail).where(
                AuditEntry.action == action
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_one_report_with_invalid_utf8_costs_only_itself_in_a_hub_process(
    tmp_path: Path,
) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        files = {}
        for name, role in (("stolen", "field"), ("unit-b", "field")):
            files[name] = data / f"{name}.json"
            res = hub.cli("enroll", "--name", name, "--role", role, "--out", str(files[name]))
            assert res.returncode == 0, res.stderr
        bad = RawPeer(load_bundle(files["stolen"]))
        try:
            bad.send(_bad_utf8_report("stolen"))
            reply = decode_reply(bad.recv(timeout=10) or b"")
            assert isinstance(reply, Error), reply
            assert reply.code == "undecodable"
            assert "UTF-8" in reply.detail and "0xf2" in reply.detail
        finally:
            bad.close()
        assert hub.proc is not None and hub.proc.poll() is None, "the hub process ended"
        # Another unit is still served: its report is stored and acknowledged.
        async with HubClient(load_bundle(files["unit-b"]), tmp_path / "b.db") as client:
            await client.wait_online(10)
            await declare(client, "INC-1")
            report = client.make(
                SituationReport, incident_id="INC-1", stage="initial", title="堤坝渗水"
            )
            assert await client.submit_and_wait(report) is None
        verify = hub.cli("audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    log = (data / "hub-stdout.log").read_text(errors="replace")
    assert "hub loop failed" not in log


def test_a_value_the_store_refuses_costs_that_message_only(any_hub: HubHandle) -> None:
    # PostgreSQL refuses NUL in text (SQLite kept it, and the relay then could not write the
    # CAP): the value rules refuse it on both, naming the field, and the hub goes on.
    peer = RawPeer(any_hub.enroll("unit-n", "field"))
    try:
        raw_declare(peer, "unit-n", "INC-N")
        frames = []
        for title in ("a\x00b", "plain"):
            msg = SituationReport(
                id=new_id(),
                sender="unit-n",
                sent=utcnow(),
                incident_id="INC-N",
                stage="initial",
                title=title,
            )
            frames.append(msg)
            peer.send(encode(msg))
            reply = decode_reply(peer.recv(timeout=10) or b"")
            if title == "plain":
                assert isinstance(reply, Ack) and reply.ref == msg.id, reply
            else:
                assert isinstance(reply, Error) and reply.code == "invalid", reply
                assert "'title'" in reply.detail and "U+0000" in reply.detail, reply
    finally:
        peer.close()


def test_a_handler_failure_costs_that_message_only(hub: HubHandle, monkeypatch: object) -> None:
    """A bug in one handler (injected here) is logged with the message id and answered
    ``internal``; the rest of the batch is written and the loop goes on."""
    persister = hub.hub.persister
    original = persister.reports.handle

    def failing(batch: object, msg: SituationReport, *args: object) -> None:
        if msg.title == "boom":
            raise ZeroDivisionError("injected")
        original(batch, msg, *args)  # type: ignore[arg-type]

    monkeypatch.setitem(persister.routes, SituationReport, failing)  # type: ignore[attr-defined]
    peer = RawPeer(hub.enroll("unit-f", "field"))
    try:
        raw_declare(peer, "unit-f", "INC-F")
        msgs = [
            SituationReport(
                id=new_id(),
                sender="unit-f",
                sent=utcnow(),
                incident_id="INC-F",
                stage="initial",
                title=title,
            )
            for title in ("before", "boom", "after")
        ]
        for m in msgs:
            peer.send(encode(m))
        answers: dict[str, object] = {}
        while len(answers) < 3:
            raw = peer.recv(timeout=10)
            assert raw is not None, answers
            reply = decode_reply(raw)
            if isinstance(reply, Ack):
                answers[reply.ref] = "ok"
            elif isinstance(reply, Error):
                answers[str(reply.ref)] = reply
            else:  # an AckBatch when the three land in one batch
                for ref in reply.ok:  # type: ignore[attr-defined]
                    answers[ref] = "ok"
        assert answers[msgs[0].id] == "ok" and answers[msgs[2].id] == "ok"
        err = answers[msgs[1].id]
        assert isinstance(err, Error) and err.code == "internal", err
        assert "administrator" in err.detail
        assert persister.failures == 1
        peer.send(encode(Ping(id=new_id(), sender="unit-f", sent=utcnow())))
        assert isinstance(decode_reply(peer.recv() or b""), Pong)
    finally:
        peer.close()


async def test_an_abusive_device_is_throttled_cut_off_alarmed_then_restored(
    hub_factory: object, tmp_path: Path
) -> None:
    hub: HubHandle = hub_factory(  # type: ignore[operator]
        abuse_throttle_after=5, abuse_cutoff_after=20, abuse_cutoff_s=3.0
    )
    bad_bundle = hub.enroll("stolen-laptop", "field")
    hall = hub.enroll("hall", "leader")
    await until(lambda: _known(hub, "stolen-laptop", "hall"))
    async with HubClient(hall, tmp_path / "hall.db") as client, Replica(hall) as picture:
        await client.wait_online(10)
        await asyncio.wait_for(picture.synced.wait(), 10)
        # An incident the stolen device will try to change.
        declare = client.make(
            IncidentDeclare,
            incident_id="INC-9",
            title="化工厂泄漏",
            level=2,
            lat=37.74,
            lon=115.67,
        )
        assert await client.submit_and_wait(declare) is None
        bad = RawPeer(bad_bundle)
        try:
            # Forbidden and misaddressed first (they take no effect), then garbage.
            override = LevelOverride(
                id=new_id(),
                sender="stolen-laptop",
                sent=utcnow(),
                incident_id="INC-9",
                level=4,
                reason="降级",
            )
            bad.send(encode(override))
            bad.send(encode(Ping(id=new_id(), sender="hall", sent=utcnow())))
            for i in range(60):
                bad.send(_bad_utf8_report("stolen-laptop") if i % 2 else b"\xc1garbage")
            codes: list[str] = []
            while (raw := bad.recv(timeout=2)) is not None:
                reply = decode_reply(raw)
                assert isinstance(reply, Error)
                codes.append(reply.code)
            assert codes[:2] == ["forbidden", "sender_mismatch"], codes
            assert "throttled" in codes, codes
            # Fewer answers than frames: once cut off its frames are dropped unread.
            assert len(codes) < 62
            await until(lambda: picture.get("alarm", "device:stolen-laptop") is not None, 5)
            alarm = picture.get("alarm", "device:stolen-laptop")
            assert isinstance(alarm, AlarmState) and alarm.rule == "device_abuse"
            assert alarm.incident_id == "stolen-laptop"
            # The hall is still served, and the incident is unchanged.
            assert isinstance(await client.request(client.make(Ping)), Pong)
            incident = picture.get("incident", "INC-9")
            assert incident is not None and incident.level == 2
            # A new connection with the cut-off key is refused at the handshake.
            again = RawPeer(bad_bundle)
            try:
                again.send(encode(Ping(id=new_id(), sender="stolen-laptop", sent=utcnow())))
                assert again.recv(timeout=1.0) is None
                assert zmq.EVENT_HANDSHAKE_FAILED_AUTH in again.events(1.0)
            finally:
                again.close()
            # After the cut-off the device is heard again (the alarm stays for the officer).
            deadline = time.monotonic() + 10
            pong = None
            while pong is None and time.monotonic() < deadline:
                bad.send(encode(Ping(id=new_id(), sender="stolen-laptop", sent=utcnow())))
                raw = bad.recv(timeout=0.5)
                if raw is not None and isinstance(decode_reply(raw), Pong):
                    pong = raw
            assert pong is not None, "never restored"
            assert picture.get("alarm", "device:stolen-laptop") is not None
        finally:
            bad.close()
    actions = {a for a in ("device_throttled", "device_cut_off", "device_restored")}
    for action in actions:
        rows = _audit(hub.engine, action)
        assert rows and rows[0][1] == "stolen-laptop", (action, rows)
    assert "100" not in _audit(hub.engine, "device_cut_off")[0][2]


async def test_revoking_the_device_clears_its_alarm(hub_factory: object, tmp_path: Path) -> None:
    from shared.identity import revoke

    hub: HubHandle = hub_factory(abuse_throttle_after=2, abuse_cutoff_after=5)  # type: ignore[operator]
    bad_bundle = hub.enroll("lost", "field")
    hall = hub.enroll("hall", "leader")
    await until(lambda: _known(hub, "lost", "hall"))
    async with Replica(hall, topics=("alarm",)) as picture:
        await asyncio.wait_for(picture.synced.wait(), 10)
        bad = RawPeer(bad_bundle)
        try:
            for _ in range(10):
                bad.send(b"\xc1")
            await until(lambda: picture.get("alarm", "device:lost") is not None, 5)
        finally:
            bad.close()
        revoke(hub.engine, "lost", actor="duty", reason="stolen")
        await until(lambda: picture.get("alarm", "device:lost") is None, 5)


class _GateClock:
    """The hub's wall clock, which can hold the hub's loop at its next reading: frames then
    pile up in the sockets exactly as they do behind a long write on a busy day."""

    def __init__(self) -> None:
        import threading

        self.armed = False
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> object:
        if self.armed:
            self.armed = False
            self.held.set()
            assert self.release.wait(30), "the test never released the hub"
        return utcnow()


def test_a_flooding_device_does_not_starve_another(hub_factory: object) -> None:
    clock = _GateClock()
    hub: HubHandle = hub_factory(client_queue_max=500, wall_clock=clock)  # type: ignore[operator]
    flood = RawPeer(hub.enroll("flood", "field"), sndhwm=64)
    good = RawPeer(hub.enroll("good", "field"))
    _wait_known(hub, "flood", "good")
    try:
        ping = encode(Ping(id=new_id(), sender="flood", sent=utcnow()))
        waits = []
        for _ in range(20):
            for _ in range(2000):
                flood.send(ping)  # valid, allowed, and far too many
            mine = Ping(id=new_id(), sender="good", sent=utcnow())
            t0 = time.perf_counter()
            good.send(encode(mine))
            reply = decode_reply(good.recv(timeout=10) or b"")
            waits.append(time.perf_counter() - t0)
            assert isinstance(reply, Pong) and reply.ref == mine.id
        # Whether the flood above ever filled its queue depends on how fast this machine
        # answers pings. So hold the hub while a burst piles up behind it, then let go: the
        # first read then holds the good peer's frame and a thousand of the flood's.
        _drain(flood)
        clock.armed = True
        held = Ping(id=new_id(), sender="good", sent=utcnow())
        good.send(encode(held))
        assert clock.held.wait(10), "the hub never read the clock"
        mine = Ping(id=new_id(), sender="good", sent=utcnow())
        good.send(encode(mine))
        # The burst goes on until the flood's own socket takes no more: the hub's pipe from it
        # (1024 frames) and every buffer between are then full.
        sent = 0
        flood.sock.sndtimeo = 1000  # a send that waits a second: nothing moves any more
        while True:
            try:
                flood.sock.send(ping)
            except zmq.Again:
                break
            sent += 1
        busy_before = hub.hub.stats["busy"]
        clock.release.set()
        refs = set()
        for _ in range(2):
            reply = decode_reply(good.recv(timeout=10) or b"")
            assert isinstance(reply, Pong), reply
            refs.add(reply.ref)
        assert refs == {held.id, mine.id}
        # The flood gets "busy" answers once its queue is full, never silence: every frame
        # is either answered or counted as refused unread, with a notice saying so.
        codes: set[str] = set()
        pongs = 0
        for raw in _drain(flood):
            reply = decode_reply(raw)
            if isinstance(reply, Error):
                codes.add(reply.code)
            elif isinstance(reply, Pong):
                pongs += 1
        busy = hub.hub.stats["busy"] - busy_before
        assert busy > 0 and "busy" in codes, (hub.hub.stats, codes)
        assert pongs + busy == sent > 1024, (pongs, busy, sent)
        print(f"good peer waited {max(waits) * 1000:.1f} ms at most under the flood; {sent} held")
        print(f"burst: {pongs} answered, {busy} refused unread")
    finally:
        flood.close()
        good.close()


def _drain(peer: RawPeer) -> list[bytes]:
    """Every frame waiting for ``peer`` until it has been quiet for a second."""
    out = []
    while (raw := peer.recv(timeout=1)) is not None:
        out.append(raw)
    return out


def test_decoding_never_raises_anything_but_a_protocol_error() -> None:
    """Every prefix and every single-byte change of one message of each shape."""
    from shared.protocol import ProtocolError, decode_request

    samples = [
        _bad_utf8_report("x"),
        encode(Ping(id=new_id(), sender="x", sent=utcnow())),
        encode(
            IncidentDeclare(
                id=new_id(),
                sender="x",
                sent=utcnow(),
                incident_id="I",
                title="标题",
                lat=37.7,
                lon=115.7,
            )
        ),
        msgspec.msgpack.encode(
            {"kind": "report", "title": "\udcff".encode("utf-8", "surrogatepass")}
        ),
    ]
    tried = 0
    for frame in samples:
        variants = [frame[:i] for i in range(len(frame))]
        for i in range(len(frame)):
            for b in (0x00, 0xC1, 0xF2, 0xFF, frame[i] ^ 0x80):
                variants.append(frame[:i] + bytes([b]) + frame[i + 1 :])
        for v in variants:
            tried += 1
            try:
                decode_request(v)
            except ProtocolError as exc:
                assert exc.detail
    assert tried > 1000


def _chunk(sender: str, sha: str, size: int) -> bytes:
    from shared.protocol import AttachmentChunk

    return encode(
        AttachmentChunk(
            id=new_id(), sender=sender, sent=utcnow(), sha256=sha, size=size, offset=0, data=b"x"
        )
    )


def _answer(peer: RawPeer) -> object:
    return decode_reply(peer.recv(timeout=10) or b"")


def test_per_device_limits_refuse_the_device_over_them_only(hub_factory: object) -> None:
    # Beats a minute apart: every device here stays online for the whole test, however slow
    # the machine. (A session with an offline device is ended by the hub's sweep: with the
    # callees offline, a sweep between two offers let the second through on a busy machine.)
    hub: HubHandle = hub_factory(  # type: ignore[operator]
        device_open_uploads_max=2,
        device_upload_bytes_max=1000,
        device_media_sessions_max=1,
        heartbeat_s=60.0,
    )
    greedy = RawPeer(hub.enroll("greedy", "field"))
    other = RawPeer(hub.enroll("other", "field"))
    callees = [RawPeer(hub.enroll(name, "field")) for name in ("callee", "callee-2")]
    _wait_known(hub, "greedy", "other", "callee", "callee-2")
    for peer, name in zip(callees, ("callee", "callee-2"), strict=True):
        peer.send(encode(Ping(id=new_id(), sender=name, sent=utcnow())))
        assert isinstance(_answer(peer), Ack | Pong)
    try:
        # Unfinished uploads: two may be open, the third is refused with the limit named.
        for i in range(2):
            greedy.send(_chunk("greedy", f"{i:064x}", 100))
            assert isinstance(_answer(greedy), Ack)
        greedy.send(_chunk("greedy", f"{9:064x}", 100))
        err = _answer(greedy)
        assert isinstance(err, Error) and err.code == "busy", err
        assert "2 unfinished uploads" in err.detail and "limit is 2" in err.detail
        # Bytes in flight: one upload declaring more than the device's allowance.
        other.send(_chunk("other", f"{1:064x}", 2000))
        err = _answer(other)
        assert isinstance(err, Error) and err.code == "busy" and "1000" in err.detail, err
        # … while another device's upload is accepted.
        other.send(_chunk("other", f"{2:064x}", 100))
        assert isinstance(_answer(other), Ack)
        # Media sessions: one at a time for this device.
        from shared.protocol import MediaSignal

        def offer(sid: str, to: str) -> bytes:
            return encode(
                MediaSignal(
                    id=new_id(),
                    sender="greedy",
                    sent=utcnow(),
                    session_id=sid,
                    action="offer",
                    to_device=to,
                    sdp="v=0\r\n",
                )
            )

        greedy.send(offer("S-1", "callee"))
        assert isinstance(_answer(greedy), Ack)
        greedy.send(offer("S-2", "callee-2"))
        err = _answer(greedy)
        assert isinstance(err, Error) and err.code == "busy" and "media sessions" in err.detail
    finally:
        for peer in (greedy, other, *callees):
            peer.close()


def test_snapshot_requests_in_a_loop_are_refused_busy(hub: HubHandle) -> None:
    from dataclasses import replace

    from shared.protocol import SnapshotRequest

    bundle = hub.enroll("looper", "field")
    snap = RawPeer(
        replace(bundle, endpoints=replace(bundle.endpoints, request=bundle.endpoints.snapshot))
    )
    try:
        req = SnapshotRequest(id=new_id(), sender="looper", sent=utcnow(), topics=["unit"])
        for _ in range(10):
            snap.send(encode(req))
        answers = []
        while (raw := snap.recv(timeout=2)) is not None:
            answers.append(raw)
        busy = [a for a in answers if b"too many snapshot requests" in a]
        # five refused busy; of the five taken, each replaced the one before it (a reader
        # needs only the latest picture): one snapshot goes out
        assert len(busy) == 5 and len(answers) == 6, len(answers)
        assert hub.hub.stats["snapshots_refused"] == 5
        assert hub.hub.stats["snapshots_replaced"] == 4
    finally:
        snap.close()


async def test_a_stolen_device_attacks_a_hub_process_which_serves_on(tmp_path: Path) -> None:
    """Bit-flipped messages of every kind, multipart frames, oversized and deeply nested
    payloads, invalid UTF-8 and surrogates, wrong types; then forbidden kinds and other
    devices' names — while another unit's reports keep being acknowledged. The hub stays
    up, the forbidden acts take no effect, the device is cut off and alarmed, and the audit
    chain verifies."""
    import random

    from fuzz.targets import _messages

    data = tmp_path / "hub"
    data.mkdir()
    cfg = tmp_path / "hub.toml"
    cfg.write_text("[hub]\nmax_frame_bytes = 65536\nabuse_cutoff_after = 400\n")
    with running_hub(data, serve_args=("--config", str(cfg))) as hub:
        files = {}
        for name, role in (("stolen", "field"), ("unit-b", "field"), ("hall", "leader")):
            files[name] = data / f"{name}.json"
            res = hub.cli("enroll", "--name", name, "--role", role, "--out", str(files[name]))
            assert res.returncode == 0, res.stderr
        hall = load_bundle(files["hall"])
        async with (
            HubClient(load_bundle(files["unit-b"]), tmp_path / "b.db") as unit,
            HubClient(hall, tmp_path / "hall.db") as leader,
            Replica(hall) as picture,
        ):
            await unit.wait_online(10)
            await leader.wait_online(10)
            await asyncio.wait_for(picture.synced.wait(), 10)
            declare = leader.make(
                IncidentDeclare, incident_id="INC-A", title="堤坝险情", lat=37.7, lon=115.7, level=2
            )
            assert await leader.submit_and_wait(declare) is None
            rng = random.Random(11)
            frames: list[list[bytes]] = []
            for msg in _messages():
                raw = encode(msgspec.structs.replace(msg, sender="stolen"))
                for _ in range(12):
                    f = bytearray(raw)
                    for _ in range(rng.randint(1, 3)):
                        f[rng.randrange(len(f))] ^= 1 << rng.randrange(8)
                    frames.append([bytes(f)])
                frames.append([raw, raw])  # multipart
            # Each answered before the flood throttles the device (its frames are then
            # refused unread), so each answer can be checked.
            surrogate = encode(Ping(id="X", sender="stolen", sent=utcnow()))
            named: list[tuple[str, list[bytes]]] = [
                ("multipart", [surrogate, surrogate]),
                ("oversized", [b"\x00" * 70_000]),
                ("undecodable", [b"\x91" * 50_000 + b"\xc0"]),  # nested 50,000 deep
                ("undecodable", [_bad_utf8_report("stolen")]),
                ("undecodable", [surrogate.replace(b"\xa1X", b"\xa3\xed\xb3\xbf", 1)]),
                ("invalid", [msgspec.msgpack.encode({"kind": "position", "v": 1, "lat": "N"})]),
            ]
            # forbidden: a field device lowering the level, and speaking as the hall
            for sender, code in (("stolen", "forbidden"), ("hall", "sender_mismatch")):
                override = LevelOverride(
                    id=new_id(),
                    sender=sender,
                    sent=utcnow(),
                    incident_id="INC-A",
                    level=4,
                    reason="降级",
                )
                named.append((code, [encode(override)]))
            bad = RawPeer(load_bundle(files["stolen"]))
            acked = 0
            try:
                for code, parts in named:
                    bad.send(*parts)
                    answer = decode_reply(bad.recv(timeout=10) or b"")
                    assert isinstance(answer, Error) and answer.code == code, (code, answer)
                for i, parts in enumerate(frames):
                    bad.send(*parts)
                    if i % 20 == 0:  # the other unit is served throughout
                        report = unit.make(
                            SituationReport,
                            incident_id="INC-A",
                            stage="follow_up",
                            title=f"续报{i}",
                        )
                        assert await unit.submit_and_wait(report, 10) is None
                        acked += 1
                answers = []
                while (raw := bad.recv(timeout=2)) is not None:
                    answers.append(decode_reply(raw))
            finally:
                bad.close()
            codes = {a.code for a in answers if isinstance(a, Error)}
            assert "throttled" in codes or "undecodable" in codes, codes
            assert acked >= 5
            assert hub.proc is not None and hub.proc.poll() is None
            incident = picture.get("incident", "INC-A")
            assert incident is not None and incident.level == 2  # the downgrade took no effect
        verify = hub.cli("audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    from shared.store import open_engine, sqlite_url

    engine = open_engine(sqlite_url(data / "hub.db"))
    try:
        assert [r[1] for r in _audit(engine, "device_throttled")] == ["stolen"]
        refused = [r for r in _audit(engine, "refused") if r[0] == "stolen"]
        assert refused  # audited until it was throttled (then coalesced)
    finally:
        engine.dispose()
    log = (data / "hub-stdout.log").read_text(errors="replace")
    assert "hub loop failed" not in log and "Traceback" not in log


def test_an_sos_arriving_with_a_flood_of_positions_is_answered_first(hub: HubHandle) -> None:
    """A batch read by the hub with thousands of positions and one SOS behind them: the
    SOS is stored and answered in a transaction of its own, ahead of the rest."""
    from shared.protocol import AckBatch, Emergency, PositionReport, decode_reply, encode, utcnow

    bundle = hub.enroll("fire-07", "field")
    peer = RawPeer(bundle)
    try:
        now = utcnow()
        positions = [
            PositionReport(
                id=new_id(), sender="fire-07", sent=now, unit_id="U", lat=37.7, lon=115.6,
                fix_time=now,
            )
            for _ in range(2000)
        ]  # fmt: skip
        sos = Emergency(id=new_id(), sender="fire-07", sent=now, alert_id="SOS-1")
        for p in positions:
            peer.send(encode(p))
        peer.send(encode(sos))
        answered: list[str] = []  # message ids in the order the hub acknowledged them
        while len(answered) < 2001:
            frame = peer.recv(10)
            assert frame is not None, f"answers stopped at {len(answered)}"
            reply = decode_reply(frame)
            answered += (
                list(reply.ok) + list(reply.duplicate)
                if isinstance(reply, AckBatch)
                else [reply.ref]
            )  # type: ignore[union-attr]
        # the hub reads up to a batch at a time: the SOS is first of the batch it came in
        assert answered.index(sos.id) < answered.index(positions[-1].id)
        after = answered[answered.index(sos.id) + 1 :]
        assert positions[-1].id in after
    finally:
        peer.close()


def test_a_device_has_one_active_alarm_per_trigger_however_many_it_raises(
    hub: HubHandle,
) -> None:
    """A stolen device raising 500 distinct SOS (125,172 in 30 s were all kept before, with
    as many audit lines): every one is acknowledged — an SOS is never refused — but the hall
    sees one SOS for the device, updated, and the audit log one raise; its man-down is a
    second alarm; cancelling with the latest id ends it."""
    from shared.protocol import AckBatch, Emergency

    peer = RawPeer(hub.enroll("stolen-sos", "field"))
    ids = [new_id() for _ in range(500)]
    try:
        for i, alert_id in enumerate(ids):
            sos = Emergency(
                id=new_id(), sender="stolen-sos", sent=utcnow(), alert_id=alert_id,
                trigger="sos", active=True, lat=37.7 + i * 1e-5, lon=115.7,
            )  # fmt: skip
            peer.send(encode(sos))
            reply = _answer(peer)
            assert isinstance(reply, Ack | AckBatch), reply
        down = Emergency(
            id=new_id(), sender="stolen-sos", sent=utcnow(), alert_id="MD-1",
            trigger="man_down", active=True,
        )  # fmt: skip
        peer.send(encode(down))
        assert isinstance(_answer(peer), Ack | AckBatch)
        items = hub.hub.state.topics["emergency"].items
        assert sorted(v.kind for v in items.values()) == ["man_down", "sos"]
        sos_state = items[ids[0]]
        assert sos_state.repeats == 499 and sos_state.aliases == ids[-8:]
        assert abs(sos_state.lat - (37.7 + 499e-5)) < 1e-9  # the latest position
        cancel = Emergency(
            id=new_id(), sender="stolen-sos", sent=utcnow(), alert_id=ids[-1],
            trigger="sos", active=False, note="误触",
        )  # fmt: skip
        peer.send(encode(cancel))
        assert isinstance(_answer(peer), Ack | AckBatch)
        assert ids[0] not in hub.hub.state.topics["emergency"].items
    finally:
        peer.close()
    raised = [a for a in _audit(hub.engine, "emergency") if a[0] == "stolen-sos"]
    assert len(raised) == 2  # the SOS once, the man-down once


async def test_a_snapshot_reader_that_never_reads_holds_one_bounded_job(
    hub: HubHandle, tmp_path: Path, monkeypatch: Any
) -> None:
    """Asking for a big picture again and again without reading: the hub keeps at most its
    pipe's few chunks and one job (references) for it, drops the job once it stalls, and an
    honest replica joining meanwhile gets its whole snapshot."""
    import zmq

    import shared.hub.snapshots as snapshots
    from shared.client import Replica
    from shared.protocol import SnapshotRequest, UnitState

    monkeypatch.setattr(snapshots, "SNAPSHOT_STALL_S", 1.0)
    monkeypatch.setattr(snapshots, "SNAPSHOTS_PER_WINDOW", 1000)  # the hog is not rationed
    for i in range(200_000):  # a big picture: 100 chunks of 2,000 units
        hub.hub.state.topics["unit"].items[f"U{i}"] = UnitState(
            unit_id=f"U{i}", lat=37.7, lon=115.7, fix_time=utcnow(), device="sim", callsign=f"{i}"
        )
    bundle = hub.enroll("hog", "field")
    ctx = zmq.Context()
    hog = ctx.socket(zmq.DEALER)
    hog.linger = 0
    hog.rcvhwm = 1  # it reads nothing: its side holds as little as it can (set before connect)
    hog.rcvbuf = 4096
    hog.curve_serverkey = bundle.hub_public_key.encode()
    hog.curve_publickey = bundle.keys.public.encode()
    hog.curve_secretkey = bundle.keys.secret.encode()
    hog.connect(bundle.endpoints.snapshot)
    desk = hub.hub.snapshots
    try:

        def ask() -> None:
            hog.send(encode(SnapshotRequest(id=new_id(), sender="hog", sent=utcnow(), topics=[])))

        # it asks again each time the one before went out (the kernel's socket buffers take
        # the first ones whole): soon its pipe stays full and its job waits, then is dropped
        started = hub.hub.stats.get("snapshots_started", 0)
        ask()
        honest = hub.enroll("duty-1", "duty-officer")
        async with Replica(honest, topics=("unit",)) as r:
            asks = 1
            give_up = time.monotonic() + 120  # a hang guard, not a pass mark
            seen_hog_job = False
            while not hub.hub.stats.get("snapshots_dropped"):
                assert time.monotonic() < give_up, "the hog's snapshot was never dropped"
                # one job for the hog however often it asks (the honest replica's are its own:
                # one per connection, and a replica that timed out reconnects)
                hogs = sum(j.key == bundle.keys.public for j in desk.jobs.values())
                assert hogs <= 1
                seen_hog_job = seen_hog_job or hogs == 1
                # asks again once the hub took the last request and sent all of it
                taken = hub.hub.stats.get("snapshots_started", 0) >= started + asks
                if taken and not hogs and asks < 50:
                    ask()
                    asks += 1
                await asyncio.sleep(0.05)
            await asyncio.wait_for(r.synced.wait(), 60)
            assert len(r.items["unit"]) == 200_000  # the honest one got its whole picture
        assert asks < 50, "the hog read everything: its buffers were not small"
        assert seen_hog_job  # (its jobs were seen: the count above is of something)
    finally:
        hog.close()
        ctx.term()


def _stalled(desk: Any) -> bool:
    """A job whose reader took nothing for a while (its pipe full: a chunk waits to go)."""
    import time

    return any(
        job.next is not None and time.monotonic() - job.progress > 0.5 for job in desk.jobs.values()
    )
