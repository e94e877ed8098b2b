"""The hub: one thread with blocking ZeroMQ sockets, batched durable commits, and fan-out.

Sockets (all CURVE, ZAP domain ``hengshui``):

* request ROUTER — reports, orders and commands; each answered after its commit;
* publish PUB — state updates per topic with sequence numbers, and ``hb`` beats;
* snapshot ROUTER — the current picture for late joiners (the Guide's Clone pattern).

The hot loop drains up to ``batch_max`` frames, decodes and authorises them, writes them in
one transaction, then sends the acks and publishes the changes. Blocking sockets on their own
thread beat ``zmq.asyncio`` here by a wide margin (see ``./run bench backbone``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zmq
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from zmq.utils.monitor import recv_monitor_message

from shared.config import HubConfig, RelayConfig, UpstreamSettings
from shared.domain import (
    DeadlineEngine,
    EscalationPolicy,
    escalations,
)
from shared.hub.auth import ZapGuard, make_server_socket
from shared.hub.common import HUB_NAME
from shared.hub.discipline import Discipline
from shared.hub.escalation import domain_order
from shared.hub.guard import (
    ConductBook,
    ConductLimits,
    FairQueue,
)
from shared.hub.limits import DeviceLimits
from shared.hub.load import Quarantined, load_state
from shared.hub.lock import DataFolderLock
from shared.hub.media import sweep_media
from shared.hub.persist import Persister
from shared.hub.presence import Presence
from shared.hub.registry import DeviceCache
from shared.hub.requests import RequestDesk
from shared.hub.site import city_bundle, load_site_plans
from shared.hub.snapshots import SNAPSHOT_HWM, SnapshotDesk
from shared.hub.state import StateStore
from shared.hub.warnings import expired_warnings
from shared.identity.keys import Endpoints, KeyPair, load_or_create_hub_keys
from shared.identity.roles import PERMISSIONS, Permissions
from shared.protocol import (
    HEARTBEAT_TOPIC,
    AlarmState,
    Error,
    HubBeat,
    OrderStatus,
    PresenceState,
    encode,
    new_id,
)
from shared.protocol.messages import ErrorCode
from shared.protocol.state import UpdateBatch
from shared.store.audit import AuditRecord, append
from shared.store.blobs import BlobStore

if TYPE_CHECKING:
    from shared.hub.upstream import UpstreamLink
    from shared.relay import Relayer

log = logging.getLogger(__name__)
MAX_DETAIL = 1000
"""The longest error detail the hub sends."""
FEED_STOPPED_RULE = "feed_stopped"
FEED_STOPPED_NAME = {"relay": "向省级报送已停止", "upstream": "向市级上报已停止"}
QUARANTINE_RULE = "store_quarantine"
QUARANTINE_ALARM_NAME = "记录无法载入或发布（已隔离）"
"""The alarm a quarantined row raises: the row stays in the store as it was."""


_HANDSHAKE_EVENTS = (
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


class Hub:
    """The situation-data hub. ``start()`` binds and runs it on its own thread."""

    def __init__(
        self,
        config: HubConfig,
        data_dir: Path,
        engine: Engine,
        *,
        permissions: Permissions = PERMISSIONS,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        relay: RelayConfig | None = None,
        upstream: UpstreamSettings | None = None,
    ) -> None:
        site_plans = load_site_plans(config)  # first: a bad plan stops the hub before it binds
        self.config = config
        self.data_dir = data_dir
        self.lock = DataFolderLock(data_dir)
        self.engine = engine
        self.permissions = permissions
        self.clock = wall_clock
        self.epoch = new_id()
        self.keys: KeyPair = load_or_create_hub_keys(data_dir)
        self.ctx: zmq.Context[Any] = zmq.Context()
        self.devices = DeviceCache(engine)
        self.conduct = ConductBook(
            ConductLimits(
                window_s=config.abuse_window_s,
                throttle_after=config.abuse_throttle_after,
                cutoff_after=config.abuse_cutoff_after,
                cutoff_s=config.abuse_cutoff_s,
                alarm_hold_s=config.abuse_alarm_hold_s,
                queue_max=config.client_queue_max,
            )
        )
        self.waiting = FairQueue()
        self.stats = {
            "frames": 0,
            "refused": 0,
            "busy": 0,
            "dropped": 0,
            "step_failures": 0,
            "snapshots_refused": 0,
            "ticks": 0,
        }
        self.zap = ZapGuard(self.ctx, self.devices, self.conduct.cut_keys)
        self.state = StateStore()
        self.snapshots = SnapshotDesk(self.devices, self.state, self.epoch, self._error, self.stats)
        self.deadlines = DeadlineEngine()
        self._order_policy = EscalationPolicy(
            ack_timeout=timedelta(seconds=config.order_ack_timeout_s),
            max_resends=config.order_max_resends,
        )
        self.blobs = BlobStore(data_dir / "attachments", config.attachment_max_bytes)
        self.persister = Persister(
            engine,
            self.state,
            self.deadlines,
            is_recipient=self._is_recipient,
            blobs=self.blobs,
            limits=DeviceLimits(
                open_uploads=config.device_open_uploads_max,
                upload_bytes=config.device_upload_bytes_max,
                attachment_bytes=config.device_attachment_bytes_max,
                media_sessions=config.device_media_sessions_max,
            ),
        )
        # The upward relay (CAP in EDXL-DE to the province): its destinations are checked
        # here, before the hub binds, so a missing certificate stops it with the file named.
        self.relayer: Relayer | None = None
        if relay is not None and relay.destinations:
            from shared.relay.outbound.setup import (
                build_relayer,  # lxml, aiohttp: only when relaying
            )

            self.relayer = build_relayer(relay, engine, self.blobs, wall_clock)
        if site_plans is not None:
            self.persister.plans, self.persister.departments = site_plans
        # A county hub's link to the city (same software, --level county --upstream BUNDLE).
        self.upstream_settings = upstream if upstream is not None and upstream.bundle else None
        self.upstream: UpstreamLink | None = None
        self.city_bundle = None
        if self.upstream_settings is not None:
            self.city_bundle = city_bundle(self.upstream_settings, config)
        self.presence = Presence(config.heartbeat_s, config.offline_after_beats)
        self.sessions: dict[str, bytes] = {}  # device public key -> last routing id
        self.endpoints: Endpoints | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop_endpoint = f"inproc://hub-stop-{id(self)}"
        self._failure: BaseException | None = None
        self._audit_backlog: list[AuditRecord] = []  # written on the next tick
        self.discipline = Discipline(
            self.conduct,
            self.waiting,
            self.state,
            self._audit_backlog,
            self.clock,
            self.stats,
            self._error,
        )

    def _is_recipient(self, name: str) -> bool:
        """Orders go to enrolled, usable devices (field units, liaisons …)."""
        dev = self.devices.by_name.get(name)
        return dev is not None and self.devices.lookup(dev.public_key) is not None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> Endpoints:
        """Take the data folder's lock, bind the sockets, load the picture from the store,
        write ``hub.json``, run.

        Raises:
            HubRunning: another hub runs on this data folder (nothing of it is touched).
        """
        self.lock.acquire()
        self.devices.refresh()
        self.devices.take_changes()
        quarantined: list[Quarantined] = []
        load_state(
            self.engine, self.state, self.deadlines, now=self.clock(), quarantine=quarantined
        )
        for q in quarantined:
            self.quarantine(q.part, q.key, q.reason)
        for dev in self.devices.by_name.values():
            self.state.set(
                "presence",
                dev.name,
                PresenceState(device=dev.name, role=dev.role, status="offline", last_seen=None),
            )
        self.state.take_batches()
        if self.relayer is not None:
            topics = self.state.topics
            self.relayer.start(
                [v for t in ("incident", "report", "response") for v in topics[t].items.values()]
            )
        self.zap.start()
        cfg = self.config
        host = cfg.listen_host
        bind_host = "*" if host in ("0.0.0.0", "") else host
        try:
            self.router = self._bind(zmq.ROUTER, f"tcp://{bind_host}:{cfg.request_port}")
            self.pub = self._bind(zmq.PUB, f"tcp://{bind_host}:{cfg.publish_port}")
            # a snapshot's chunks wait in the desk's job, not in libzmq's queues (see
            # SnapshotDesk): a full pipe says so (EAGAIN) instead of growing or dropping
            self.snap = self._bind(
                zmq.ROUTER, f"tcp://{bind_host}:{cfg.snapshot_port}", sndhwm=SNAPSHOT_HWM
            )
            self.snap.router_mandatory = 1
        except ValueError:
            self.stop()  # a port in use: release what was taken, say which port
            raise
        self._router_monitor = self.router.get_monitor_socket(_HANDSHAKE_EVENTS)
        self.desk = RequestDesk(
            router=self.router,
            config=cfg,
            clock=self.clock,
            engine=self.engine,
            state=self.state,
            devices=self.devices,
            permissions=self.permissions,
            presence=self.presence,
            conduct=self.conduct,
            waiting=self.waiting,
            discipline=self.discipline,
            persister=self.persister,
            stats=self.stats,
            sessions=self.sessions,
            audit_backlog=self._audit_backlog,
            error=self._error,
            publish=self._publish,
        )
        adv = cfg.advertised_host()
        self.endpoints = Endpoints(
            request=f"tcp://{adv}:{_port(self.router)}",
            publish=f"tcp://{adv}:{_port(self.pub)}",
            snapshot=f"tcp://{adv}:{_port(self.snap)}",
        )
        if self.upstream_settings is not None:
            # before the loop runs: the picture it starts from must not change under it
            self._start_upstream()
        self._thread = threading.Thread(target=self._run, name="hub-loop", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._failure:
            raise self._failure
        self._write_hub_json()
        log.info("hub ready", extra={"endpoints": self.endpoints.as_dict()})
        return self.endpoints

    def _start_upstream(self) -> None:
        from shared.hub.upstream import county_link

        assert self.upstream_settings is not None and self.endpoints is not None
        self.upstream = county_link(
            self.city_bundle,
            self.upstream_settings,
            self.data_dir,
            self.engine,
            self.devices,
            self.keys.public,
            self.endpoints,
            self.blobs,
        )
        topics = self.state.topics
        self.upstream.start(
            [
                v
                for t in ("incident", "resource", "report", "order")
                for v in topics[t].items.values()
            ]
        )

    def _bind(
        self, kind: int, endpoint: str, *, retry_s: float = 0.0, sndhwm: int = 200_000
    ) -> zmq.Socket[Any]:
        """A CURVE server socket bound to ``endpoint``; ``retry_s`` waits for a port that
        was just released (rebinding the publisher). Pipe limits are set before binding:
        libzmq copies a socket's options into its listener when it binds."""
        sock = make_server_socket(self.ctx, kind, self.keys.secret, self.keys.public)
        sock.sndhwm = sndhwm
        # Per peer: frames beyond this wait in the peer's own TCP buffers, not in the hub's
        # memory (a flooding device is slowed where it sends; the others' pipes are apart).
        sock.rcvhwm = max(self.config.client_queue_max, 1024)
        # Hard transport bound: frames beyond 2x the protocol limit cut the connection.
        # Frames between 1x and 2x get a clear "oversized" error reply.
        sock.maxmsgsize = 2 * self.config.max_frame_bytes + 4096
        deadline = time.monotonic() + retry_s
        while True:
            try:
                sock.bind(endpoint)
                return sock
            except zmq.ZMQError as exc:
                if time.monotonic() >= deadline:
                    sock.close(linger=0)
                    raise ValueError(
                        f"cannot listen on {endpoint}: {exc.strerror} (another program holds "
                        "the port, or the address is not this machine's); choose another "
                        "with --listen HOST:PORT or [hub] request_port"
                    ) from None
                time.sleep(0.02)

    def _write_hub_json(self) -> None:
        assert self.endpoints is not None
        info = {
            "endpoints": self.endpoints.as_dict(),
            "public_key": self.keys.public,
            "pid": os.getpid(),
            "epoch": self.epoch,
            "level": self.config.level,
            "started": self.clock().isoformat(),
        }
        path = self.data_dir / "hub.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=2), "utf-8")
        os.replace(tmp, path)

    def stop(self) -> None:
        """Stop the loop and close every socket."""
        if self.relayer is not None:
            self.relayer.stop()
        if self.upstream is not None:
            self.upstream.stop()
        if self._thread and self._thread.is_alive():
            stopper = self.ctx.socket(zmq.PAIR)
            stopper.linger = 0
            stopper.connect(self._stop_endpoint)
            stopper.send(b"stop")
            self._thread.join(10)
            stopper.close()
        self.zap.stop()
        self.ctx.destroy(linger=0)
        self.engine.dispose()
        if self.lock.held:  # only the hub that wrote it removes it
            hub_json = self.data_dir / "hub.json"
            if hub_json.exists():
                hub_json.unlink()
            self.lock.release()

    def wait(self) -> None:
        """Block until the loop ends."""
        if self._thread:
            self._thread.join()

    # --- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        control = self.ctx.socket(zmq.PAIR)
        control.linger = 0
        control.bind(self._stop_endpoint)
        poller = zmq.Poller()
        for sock in (self.router, self.snap, control, self._router_monitor):
            poller.register(sock, zmq.POLLIN)
        tick_every = min(0.25, self.config.heartbeat_s / 4)
        next_tick = time.monotonic()
        next_beat = time.monotonic()
        self._ready.set()
        step = self._step
        try:
            while True:
                if self.waiting.size:
                    timeout_ms = 0  # frames wait in the fair queue: take the next batch now
                elif self.snapshots.jobs:
                    timeout_ms = 5  # snapshots on their way: send more as their pipes drain
                else:
                    timeout_ms = int(max(0.0, next_tick - time.monotonic()) * 1000) + 1
                events = dict(poller.poll(timeout_ms))
                if control in events:
                    break
                if self.router in events or self.waiting.size:
                    step("requests", self.desk.drain)
                if self.snap in events:
                    step("snapshots", self.snapshots.serve, self.snap)
                elif self.snapshots.jobs:
                    step("snapshots", self.snapshots.pump, self.snap)
                if self._router_monitor in events:
                    step("handshake events", self._handshake_events)
                now = time.monotonic()
                if now >= next_tick:
                    next_tick = now + tick_every
                    step("tick", self._tick, now)
                    if now >= next_beat:
                        next_beat = now + self.config.heartbeat_s
                        step("beat", self._beat)
        except Exception as exc:  # the hub must say why it died (not input: see _step)
            log.exception("hub loop failed")
            self._failure = exc
            self._ready.set()
        finally:
            control.close()
            for sock in (self.router, self.pub, self.snap, self._router_monitor):
                sock.close(linger=0)

    def _step(self, name: str, fn: Callable[..., None], *args: Any) -> None:
        """Run one step of the loop; an exception costs that step, never the loop. (Input is
        caught per message further in; this is the last line for the hub's own bugs.)"""
        try:
            fn(*args)
        except zmq.ContextTerminated:
            raise
        except Exception:
            self.stats["step_failures"] += 1
            log.exception("hub step failed; the loop goes on", extra={"step": name})

    def _error(self, ref: str | None, code: ErrorCode, detail: str) -> bytes:
        # never more than a short answer, whatever the refused frame held (a 10 MB value
        # echoed whole was a 10 MB reply no client could read)
        detail = detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"
        return encode(
            Error(
                id=new_id(), sender=HUB_NAME, sent=self.clock(), ref=ref, code=code, detail=detail
            )
        )

    def _publish(self) -> None:
        batches = self.state.take_batches()
        for i, batch in enumerate(batches):
            try:
                frame = encode(batch)
            except Exception:  # one value that cannot be encoded costs itself only
                batches[i] = batch = self._without_poison(batch)
                frame = encode(batch)
            self.pub.send_multipart((batch.topic.encode(), frame))
        if self.relayer is not None and batches:
            self.relayer.observe(batches)
        if self.upstream is not None and batches:
            self.upstream.observe(batches)

    def _without_poison(self, batch: UpdateBatch) -> UpdateBatch:
        """``batch`` without the updates whose values cannot be encoded: those leave the
        picture and are quarantined (replicas see the gap in sequence numbers and fetch a
        snapshot, which no longer holds them)."""
        kept = []
        for update in batch.updates:
            try:
                encode(update)
            except Exception as exc:
                self.state.topics[batch.topic].items.pop(update.key, None)
                self.quarantine(
                    batch.topic, update.key, f"cannot be published ({type(exc).__name__}: {exc})"
                )
            else:
                kept.append(update)
        return UpdateBatch(batch.topic, kept)

    def quarantine(self, part: str, key: str, reason: str) -> None:
        """A stored item left out of the picture: logged, audited and alarmed for the duty
        officer (the alarm says what and why); the hub carries on."""
        wall = self.clock()
        what = f"{part}:{key}" if key else part
        log.error("quarantined %s: %s", what, reason)
        self._audit_backlog.append(
            AuditRecord(actor=HUB_NAME, action="quarantine", subject=what, detail=reason[:500])
        )
        self.state.set(
            "alarm",
            f"quarantine:{what}"[:200],
            AlarmState(
                incident_id=key or part,
                rule=QUARANTINE_RULE,
                name=QUARANTINE_ALARM_NAME,
                due=wall,
                kind="overdue",
                raised=wall,
                detail=f"{what}: {reason}"[:500],
            ),
        )

    def _publish_presence(self, device: str) -> None:
        self.state.set("presence", device, self.presence.state(device))

    # --- periodic work ------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        """The periodic jobs, each a step of its own (a job that fails costs itself only),
        then one publication of all they changed."""
        self.stats["ticks"] += 1
        wall = self.clock()
        step = self._step
        step("presence", self._sweep_presence, now)
        step("conduct", self._sweep_conduct, now)
        step("order escalation", self._escalate_orders, wall)
        step("warning expiry", self._expire_warnings, wall)
        step("media sweep", self._sweep_media, wall)
        step("deadlines", self._raise_deadline_alarms, wall)
        step("link statuses", self._take_link_statuses)
        step("handshake refusals", self._note_handshake_refusals)
        step("devices", self._refresh_devices)
        step("audit", self._write_audit_backlog)
        self._publish()

    def _sweep_presence(self, now: float) -> None:
        for device in self.presence.sweep(now):
            self._publish_presence(device)

    def _sweep_conduct(self, now: float) -> None:
        for change in self.conduct.sweep(now):
            self.discipline.changed(change)

    def _expire_warnings(self, wall: datetime) -> None:
        for key in expired_warnings(self.state.topics["warning"].items, wall):
            self.state.set("warning", key, None)

    def _sweep_media(self, wall: datetime) -> None:
        """End media sessions and talk-group floors whose devices went offline."""
        online = {d for d, status in self.presence.status.items() if status != "offline"}
        changes, media_audits = sweep_media(
            self.state.topics["media"].items, self.state.topics["talkgroup"].items, online, wall
        )
        for topic, key, value in changes:
            self.state.set(topic, key, value)  # type: ignore[arg-type]
        self._audit_backlog.extend(media_audits)

    def _raise_deadline_alarms(self, wall: datetime) -> None:
        """Reporting deadlines that came due or passed."""
        for alarm in self.deadlines.poll(wall):
            self.state.set(
                "alarm",
                f"{alarm.incident_id}:{alarm.rule}",
                AlarmState(
                    incident_id=alarm.incident_id,
                    rule=alarm.rule,
                    name=alarm.name,
                    due=alarm.due,
                    kind=alarm.kind,
                    raised=wall,
                    exercise=alarm.exercise,
                ),
            )

    def _take_link_statuses(self) -> None:
        """How the relay to the province and the link to the city are doing; a feed whose
        thread stopped is an alarm (with why), never silence."""
        for name, source in (("relay", self.relayer), ("upstream", self.upstream)):
            if source is None:
                continue
            for status in source.take_statuses():
                self.state.set("relay", status.destination, status)
            key = f"{FEED_STOPPED_RULE}:{name}"
            if source.failure and key not in self.state.topics["alarm"].items:
                wall = self.clock()
                log.error("%s", source.failure)
                self._audit_backlog.append(
                    AuditRecord(actor=HUB_NAME, action="feed_stopped", subject=name,
                                detail=source.failure[:500])
                )  # fmt: skip
                self.state.set(
                    "alarm",
                    key,
                    AlarmState(
                        incident_id=name,
                        rule=FEED_STOPPED_RULE,
                        name=FEED_STOPPED_NAME[name],
                        due=wall,
                        kind="overdue",
                        raised=wall,
                        detail=f"{source.failure}: restart the hub; what was queued is kept",
                    ),
                )

    def _note_handshake_refusals(self) -> None:
        while self.zap.refusals:
            _, key, why = self.zap.refusals.popleft()
            self.discipline.note_refusal(self._audit_backlog, key, f"handshake refused: {why}")

    def _refresh_devices(self) -> None:
        """Enrolments, revocations and expiries made since the last tick: new devices are
        shown offline, cut ones lose their sessions, queues and standing."""
        try:
            self.devices.refresh()
            self.devices.expire()
        except SQLAlchemyError as exc:
            log.error("device refresh failed: %s", str(exc)[:500])
        added, cut = self.devices.take_changes()
        for dev in added:
            if dev.name not in self.presence.status:
                self.state.set(
                    "presence",
                    dev.name,
                    PresenceState(device=dev.name, role=dev.role, status="offline", last_seen=None),
                )
        if cut:
            self._cut_sessions([d.public_key for d in cut], [d.name for d in cut])
            for change in self.conduct.forget(d.public_key for d in cut):
                self.discipline.changed(change)
            for d in cut:
                self.waiting.drop(d.public_key)

    def _write_audit_backlog(self) -> None:
        audits = self._audit_backlog
        if not audits:
            return
        try:
            with self.engine.begin() as conn:
                append(conn, audits)
            audits.clear()
        except SQLAlchemyError as exc:
            # Kept for the next tick (bounded: refusals are coalesced per minute).
            log.error("audit write failed: %s", str(exc)[:300])
            del audits[:-10_000]

    def _escalate_orders(self, now: datetime) -> None:
        """Resend, alarm and hand over orders nobody acknowledged in time."""
        waiting = [
            domain_order(o)
            for o in self.state.topics["order"].items.values()
            if isinstance(o, OrderStatus) and o.state in ("issued", "delivered")
        ]
        if not waiting:
            return
        steps = escalations(waiting, now, self._order_policy)
        if steps:
            try:
                self.persister.escalate(steps, now)
            except SQLAlchemyError as exc:
                log.error("order escalation failed: %s", str(exc)[:300])

    def _cut_sessions(self, keys: list[str], names: list[str]) -> None:
        """Cut revoked devices off: refuse their requests, and drop every subscription by
        rebinding the publisher (subscribers reconnect at once; ZAP refuses the revoked)."""
        for key, name in zip(keys, names, strict=True):
            rid = self.sessions.pop(key, None)
            if rid is not None:
                err = self._error(None, "revoked", f"device {name} has been revoked")
                self.router.send_multipart((rid, err), zmq.NOBLOCK)
            self.presence.drop(name)
        endpoint = str(self.pub.getsockopt_string(zmq.LAST_ENDPOINT))
        self.pub.close(linger=0)
        self.pub = self._bind(zmq.PUB, endpoint, retry_s=1.0)
        log.warning("revoked devices cut off", extra={"devices": names})

    def _beat(self) -> None:
        beat = HubBeat(self.clock(), self.state.seqs(), self.epoch)
        self.pub.send_multipart((HEARTBEAT_TOPIC.encode(), encode(beat)))

    def _handshake_events(self) -> None:
        while True:
            try:
                event = recv_monitor_message(self._router_monitor, zmq.NOBLOCK)
            except zmq.Again:
                break
            endpoint = event.get("endpoint", b"")
            where = endpoint.decode() if isinstance(endpoint, bytes) else str(endpoint)
            self.discipline.note_refusal(
                self._audit_backlog, where, f"handshake failed ({event['event']!s})"
            )


def _port(sock: zmq.Socket[Any]) -> int:
    return int(sock.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1])
