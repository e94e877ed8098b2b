"""The relay: published changes in, EDXL-DE documents queued durably, delivered in order.

The hub hands every published batch to :meth:`Relayer.observe` (a thread-safe put; the hub
loop never waits on the relay). The relay's own thread runs an asyncio loop that turns
changes into alerts (:class:`~shared.relay.outbound.alerts.AlertFactory`), wraps each with its
attachments in an EDXL-DE envelope, writes it to the queue, and serves each destination in
order with exponential back-off. :meth:`take_statuses` gives the hub the queue figures to
publish on the ``relay`` topic, so the command hall shows the backlog.

At start the relay reads back what it already queued (so references chain on) and queues
the reports and response steps made since relaying began that are not queued yet: a crash
between the hub's commit and the queue write loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import msgspec

from shared.feed import BatchFeed
from shared.protocol.state import (
    IncidentState,
    RelayState,
    ReportState,
    ResponseState,
    StateValue,
    UpdateBatch,
)
from shared.relay.formats.cap import alert_xml
from shared.relay.formats.edxl import (
    ContentObject,
    Distribution,
    NonXmlContent,
    TargetArea,
    ValueList,
    distribution_xml,
)
from shared.relay.outbound.alerts import AlertEvent, AlertFactory, CapSettings
from shared.relay.outbound.queue import Backlog, Queued, RelayQueue
from shared.relay.outbound.transports import DeliveryFailed, Transport
from shared.store.blobs import BlobStore

log = logging.getLogger(__name__)

RELAYED_TOPICS = ("incident", "report", "response")
"""The topics whose changes may become alerts."""
GROUP = 32
"""Deliveries read, sent and recorded together (see :meth:`Relayer.deliver_due`)."""
_ROLES_URN = "urn:cn:gov:emergency:roles"
_TYPE_URN = "urn:cn:gov:emergency:incident-type"
_DIST_TYPE = {"Alert": "Report", "Update": "Update", "Cancel": "Cancel"}


class Backoff(msgspec.Struct, frozen=True):
    """Waits between attempts: ``first_s`` doubling up to ``max_s``."""

    first_s: float = 2.0
    max_s: float = 60.0

    def after(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts."""
        return timedelta(seconds=min(self.max_s, self.first_s * 2 ** max(0, attempts - 1)))


def envelope(event: AlertEvent, settings: CapSettings, blobs: BlobStore | None) -> Distribution:
    """The EDXL-DE distribution of one alert: the CAP alert, then each attachment's bytes
    (size and SHA-1 digest in both the CAP resource and the content object)."""
    files: list[ContentObject] = []
    alert = event.alert
    resources = list(alert.infos[0].resources) if alert.infos else []
    for i, ref in enumerate(event.attachments):
        data = blobs.read(ref.sha256) if blobs is not None else None
        if data is None:
            content = NonXmlContent(
                mime_type=ref.media_type, size=ref.size, uri=f"cid:{ref.sha256}"
            )
        else:
            content = NonXmlContent.of_bytes(data, ref.media_type)
        files.append(
            ContentObject(description=ref.name, incident_id=event.incident_id, non_xml=content)
        )
        if i < len(resources) and content.digest:
            resources[i] = msgspec.structs.replace(resources[i], digest=content.digest)
    if alert.infos:
        info = msgspec.structs.replace(alert.infos[0], resources=resources)
        alert = msgspec.structs.replace(alert, infos=[info, *alert.infos[1:]])
    info0 = alert.infos[0] if alert.infos else None
    areas = []
    if info0 is not None:
        for area in info0.areas:
            areas.append(
                TargetArea(
                    polygons=[
                        " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in r) for r in area.polygons
                    ],
                    circles=[f"{c.lat:.6f},{c.lon:.6f} {c.radius_km:g}" for c in area.circles],
                    subdivisions=[settings.sender.subdivision],
                )
            )
    s = settings.sender
    return Distribution(
        distribution_id=f"DE.{alert.identifier}",
        sender_id=s.sender_id,
        sent=alert.sent,
        status=alert.status,
        type=_DIST_TYPE.get(alert.msg_type, "Update"),
        confidentiality=s.confidentiality,
        language="zh-CN",
        sender_roles=[ValueList(_ROLES_URN, ["市级应急管理部门"])],
        recipient_roles=[ValueList(_ROLES_URN, ["省级应急管理部门"])],
        keywords=[ValueList(_TYPE_URN, [info0.event])] if info0 and info0.event else [],
        target_areas=areas,
        contents=[
            ContentObject(
                description="CAP 1.2 突发事件信息",
                incident_id=event.incident_id,
                incident_description=info0.headline if info0 else "",
                xml=alert_xml(alert),
            ),
            *files,
        ],
    )


class Relayer(BatchFeed):
    """Store-and-forward relay to one or more destinations.

    Args:
        queue_: the durable queue (the hub's database).
        transports: the destinations, each served in order.
        factory: what becomes an alert (default: the packaged CAP mapping).
        blobs: where attachments are held.
        clock: wall clock (injectable: the outage tests move it by hours).
    """

    def __init__(
        self,
        queue_: RelayQueue,
        transports: list[Transport],
        *,
        factory: AlertFactory | None = None,
        blobs: BlobStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff: Backoff | None = None,
    ) -> None:
        self.topics = RELAYED_TOPICS
        self.queue = queue_
        self.transports = {t.name: t for t in transports}
        self.factory = factory or AlertFactory(clock=clock)
        self.blobs = blobs
        self.clock = clock
        self.backoff = backoff or Backoff()
        super().__init__()
        self._statuses: dict[str, RelayState] = {}
        self._status_lock = threading.Lock()

    # --- start: what was relayed, what was missed ----------------------------------------

    def prime(self, picture: Iterable[StateValue]) -> list[AlertEvent]:
        """Learn what was relayed and the picture; return the alerts missed since relaying
        began (reports and response steps not queued yet)."""
        for incident_id, reference, level, kind in self.queue.history():
            self.factory.remember(incident_id, reference, level, kind)
        since = self.queue.since(self.clock())
        values = list(picture)
        incidents = [v for v in values if isinstance(v, IncidentState)]
        reports = sorted(
            (v for v in values if isinstance(v, ReportState)), key=lambda r: (r.sent, r.version)
        )
        responses = [v for v in values if isinstance(v, ResponseState)]
        queued = self.queue.identifiers()
        self.factory.prime(incidents)
        f = self.factory
        missed: list[AlertEvent] = []
        for rep in reports:
            try:
                known = {
                    f.report_identifier(rep),
                    f.legacy_identifiers(rep.incident_id, "R", rep.report_id),
                }
                if rep.sent >= since and not known & queued:
                    missed += f.observe(rep)
                else:
                    f.prime([rep])
            except Exception as exc:  # one report that cannot become an alert: kept aside
                self._quarantine(f"report:{rep.report_id}", rep.incident_id, "report", exc)
        for resp in responses:
            done = 0
            for n, step in enumerate(resp.history, start=1):
                known = {
                    f.response_identifier(resp.incident_id, n),
                    f.legacy_identifiers(resp.incident_id, f"P{n}"),
                }
                if step.at >= since and not known & queued:
                    break
                done = n
            f.steps_seen[resp.incident_id] = done
            missed += f.observe(resp)
        return missed

    def enqueue(self, events: Iterable[AlertEvent]) -> int:
        """Build and queue each alert for every destination; returns how many were new."""
        added = 0
        names = list(self.transports)
        for event in events:
            try:
                dist = envelope(event, self.factory.settings, self.blobs)
                document = distribution_xml(dist)
            except Exception as exc:  # one alert that cannot be written costs itself only
                self._quarantine(event.alert.identifier, event.incident_id, event.kind, exc)
                continue
            info = event.alert.infos[0] if event.alert.infos else None
            seq = self.queue.add(
                distribution_id=dist.distribution_id,
                identifier=event.alert.identifier,
                incident_id=event.incident_id,
                kind=event.kind,
                reference=event.alert.reference(),
                level=self.factory.level_sent.get(event.incident_id),
                document=document,
                destinations=names,
                now=self.clock(),
            )
            if seq is not None:
                added += 1
                log.info(
                    "relay queued",
                    extra={
                        "distribution": dist.distribution_id,
                        "kind": event.kind,
                        "event": info.event if info else "",
                    },
                )
        return added

    def changes(self, batches: Iterable[UpdateBatch]) -> list[AlertEvent]:
        """The alerts a round of published batches calls for: incidents first, so a report
        sees the incident as the same commit left it."""
        order = {t: i for i, t in enumerate(RELAYED_TOPICS)}
        events: list[AlertEvent] = []
        for batch in sorted((b for b in batches if b.topic in order), key=lambda b: order[b.topic]):
            for update in batch.updates:
                try:
                    events += self.factory.observe(update.value)
                except Exception as exc:  # an alert that cannot be made costs itself only
                    incident = str(getattr(update.value, "incident_id", update.key))
                    self._quarantine(f"{batch.topic}:{update.key}#{update.seq}", incident, "", exc)
        return events

    def _quarantine(self, identifier: str, incident_id: str, kind: str, exc: Exception) -> None:
        reason = f"the alert could not be written ({type(exc).__name__}: {exc!s:.300})"
        log.error(
            "relay quarantined an alert",
            exc_info=exc,
            extra={"identifier": identifier, "incident": incident_id},
        )
        self.queue.quarantine(
            identifier=identifier,
            incident_id=incident_id,
            kind=kind,
            reason=reason,
            destinations=list(self.transports),
            now=self.clock(),
        )

    # --- delivery ------------------------------------------------------------------------

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Send, for each destination in turn, every queued alert whose time has come, in
        order, stopping at the first failure. Returns how many were delivered.

        Outcomes are written once per group of :data:`GROUP` sends rather than once per
        send: a crash in between makes the relay send a few documents again, which the far
        end recognises by their distribution ids (the simulator and the drop folder both
        do), and order is kept either way."""
        delivered = 0
        for name, transport in self.transports.items():
            blocked = False
            while not (blocked or self._stopping):
                at = now or self.clock()
                heads = self.queue.heads(name, GROUP)
                if not heads or heads[0].next_attempt > at:
                    break
                outcomes: list[tuple[int, str, datetime, str, str]] = []
                try:
                    for head in heads:
                        if self._stopping or head.next_attempt > at:
                            blocked = True
                            break
                        try:
                            document = self.queue.document(head.alert_seq)
                            receipt = await transport.send(head.distribution_id, document)
                        except DeliveryFailed as exc:
                            if exc.retry:
                                self._failed(name, head.delivery_id, head, exc, at)
                                blocked = True
                                break
                            outcomes.append((head.delivery_id, "rejected", at, "", exc.reason))
                            log.error(
                                "relay rejected",
                                extra={
                                    "destination": name,
                                    "distribution": head.distribution_id,
                                    "error": exc.reason,
                                },
                            )
                            continue
                        outcomes.append(
                            (head.delivery_id, receipt.state, self.clock(), receipt.ack, "")
                        )
                        delivered += 1
                finally:
                    self.queue.done_many(outcomes)
        return delivered

    def _failed(
        self, name: str, delivery_id: int, head: Queued, exc: DeliveryFailed, at: datetime
    ) -> None:
        wait = self.backoff.after(head.attempts + 1)
        self.queue.retry_later(delivery_id, exc.reason, at + wait)
        log.warning(
            "relay attempt failed",
            extra={
                "destination": name,
                "distribution": head.distribution_id,
                "error": exc.reason,
                "retry_in_s": wait.total_seconds(),
            },
        )

    def next_due(self) -> datetime | None:
        """The earliest time a queued head may be tried."""
        times = [h.next_attempt for n in self.transports if (h := self.queue.head(n)) is not None]
        return min(times) if times else None

    def status(self, name: str) -> RelayState:
        """One destination's queue as published."""
        b: Backlog = self.queue.backlog(name)
        t = self.transports[name]
        return RelayState(
            destination=name,
            transport=type(t).__name__.removesuffix("Transport").lower(),
            queued=b.queued,
            delivered=b.delivered,
            rejected=b.rejected,
            updated=self.clock(),
            oldest_queued=b.oldest,
            last_delivered=b.last_done,
            last_ack=b.last_ack,
            last_error=b.last_error,
            attempts=b.attempts,
            quarantined=b.quarantined,
            quarantine_note=b.quarantine_note,
        )

    # --- the thread ----------------------------------------------------------------------

    def start(self, picture: Iterable[StateValue]) -> None:
        """Prime from the queue and the picture, queue what was missed, start the thread."""
        missed = self.prime(picture)
        if missed:
            log.warning("relay catching up", extra={"alerts": len(missed)})
        self.enqueue(missed)
        self._start_thread("relay", self._main)

    def take_statuses(self) -> list[RelayState]:
        """Statuses changed since the last call (for the hub to publish)."""
        with self._status_lock:
            out = list(self._statuses.values())
            self._statuses.clear()
        return out

    async def _main(self) -> None:
        last: dict[str, RelayState] = {}
        try:
            while not self._stopping:
                batches = self.take()
                if batches is None:
                    return
                events = self.changes(batches)
                if events:
                    self.enqueue(events)
                await self.deliver_due()
                self._note_statuses(last)
                due = self.next_due()
                wait = 5.0
                if due is not None:
                    wait = max(0.01, min(wait, (due - self.clock()).total_seconds()))
                await self.nap(wait)
        finally:
            for t in self.transports.values():
                await t.aclose()

    def _note_statuses(self, last: dict[str, RelayState]) -> None:
        for name in self.transports:
            st = self.status(name)
            before = last.get(name)
            if before is None or msgspec.structs.replace(before, updated=st.updated) != st:
                last[name] = st
                with self._status_lock:
                    self._statuses[name] = st
