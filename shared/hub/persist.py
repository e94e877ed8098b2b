"""Writing accepted requests in one transaction per batch: the core of the hub's store side.

Idempotency: the ``inbox`` table holds every accepted message id with its device. A resend
of an id the same device sent gets ``Ack(status="duplicate")`` and writes nothing; an id held
for *another* device is refused ``conflict`` and audited, never taken for a duplicate (a
device that pre-empted someone's id would otherwise make that message vanish). A request
refused for its content (an unknown incident, say) is not recorded, so a resend gets the
same refusal.
"""

from __future__ import annotations

import logging
from collections import ChainMap
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Engine, Table, func, insert, select
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from shared.domain import (
    DeadlineEngine,
)
from shared.domain.orders import Escalation
from shared.domain.plans import Departments, Plans
from shared.hub.common import HUB_NAME, Batch, Refusal, Services
from shared.hub.deadline_book import DeadlineBook
from shared.hub.duty import DutyHandler
from shared.hub.emergency import EmergencyHandler
from shared.hub.escalation import OrderEscalation
from shared.hub.incidents import IncidentHandler
from shared.hub.limits import DeviceLimits
from shared.hub.media import MediaHandler
from shared.hub.orders import OrderHandler
from shared.hub.reports import ReportHandler
from shared.hub.response import ResponseHandler
from shared.hub.state import StateStore
from shared.hub.warnings import WarningHandler
from shared.protocol import (
    KIND_OF,
    Ack,
    AckBatch,
    AttachmentChunk,
    AttachmentQuery,
    ChecklistTick,
    DispatchOrder,
    DutyLogEntry,
    DutyShift,
    Emergency,
    EmergencyAck,
    Error,
    ExternalWarning,
    FloorRequest,
    InboxQuery,
    InboxStatus,
    IncidentClose,
    IncidentDeclare,
    IncidentReopen,
    IncidentTransition,
    IncidentUpdate,
    LevelOverride,
    MediaSignal,
    Message,
    MonitoringReading,
    OrderUpdate,
    PositionReport,
    ResourceStatus,
    ResourceUpsert,
    ResponseCommand,
    ShiftHandover,
    ShiftSignIn,
    SituationReport,
    UnitState,
    encode,
    new_id,
)
from shared.protocol.state import StateValue
from shared.store.audit import AuditRecord, append
from shared.store.blobs import BlobStore
from shared.store.bulk import BulkInsert, ExistingIds
from shared.store.models import (
    InboxEntry,
    Position,
    Report,
)

log = logging.getLogger(__name__)
_inbox = cast(Table, InboxEntry.__table__)
_positions = cast(Table, Position.__table__)
_reports = cast(Table, Report.__table__)


AckStatus = Literal["ok", "duplicate"]
Handle = Callable[[Batch, Message, str, str], None]
"""A message family's handler: (batch, message, device, role); raises :class:`Refusal`."""
_INBOX_COLUMNS = ("msg_id", "device", "kind", "sent", "committed", "exercise")
_POSITION_COLUMNS = (
    "msg_id",
    "unit_id",
    "device",
    "lat",
    "lon",
    "fix_time",
    "heading_deg",
    "speed_mps",
    "unit_type",
    "callsign",
    "exercise",
)


def unit_state(value: tuple[PositionReport, str]) -> UnitState:
    msg, device = value
    return UnitState(
        unit_id=msg.unit_id,
        device=device,
        lat=msg.lat,
        lon=msg.lon,
        fix_time=msg.fix_time,
        heading_deg=msg.heading_deg,
        speed_mps=msg.speed_mps,
        unit_type=msg.unit_type,
        callsign=msg.callsign,
        exercise=msg.exercise,
    )


class Persister:
    """Turns a batch of authorised requests into rows, state changes and replies.

    One handler per message family does the work; each gets the :class:`Batch` being written
    (its connection, time, state overlay, audit lines, report rows and deadline events) and
    the hub's :class:`Services`. :meth:`commit` follows a message from the batch to its
    handler (``routes``), its savepoint and its reply."""

    def __init__(
        self,
        engine: Engine,
        state: StateStore,
        deadlines: DeadlineEngine | None = None,
        is_recipient: Callable[[str], bool] = lambda name: True,
        *,
        blobs: BlobStore,
        limits: DeviceLimits | None = None,
    ) -> None:
        self.services = Services(
            engine=engine,
            state=state,
            deadlines=deadlines,
            blobs=blobs,
            device_limits=limits or DeviceLimits(),
            is_recipient=is_recipient,
        )
        self.engine = engine
        self.state = state
        self.blobs = blobs
        self.incidents = IncidentHandler(self.services)
        self.orders = OrderHandler(self.services)
        self.reports = ReportHandler(self.services, self.incidents)
        self.responses = ResponseHandler(self.services, self.incidents, self.orders)
        self.duty = DutyHandler(self.services)
        self.warnings = WarningHandler()
        self.emergencies = EmergencyHandler()
        self.media = MediaHandler(self.services)
        self.deadline_book = DeadlineBook(self.services)
        self.escalation = OrderEscalation(self.services)
        self.routes: dict[type[Message], Handle] = {}
        """Message type → the handler of its family."""
        for handler, kinds in (
            (self.reports.handle, (SituationReport, AttachmentChunk)),
            (self.responses.handle, (ResponseCommand, ChecklistTick)),
            (
                self.duty.handle,
                (
                    ResourceUpsert,
                    ResourceStatus,
                    MonitoringReading,
                    DutyLogEntry,
                    DutyShift,
                    ShiftHandover,
                ),
            ),
            (self.warnings.handle, (ExternalWarning,)),
            (self.emergencies.handle, (Emergency, EmergencyAck, ShiftSignIn)),
            (self.media.handle, (MediaSignal, FloorRequest)),
            (
                self.incidents.handle,
                (
                    IncidentDeclare,
                    IncidentUpdate,
                    IncidentTransition,
                    LevelOverride,
                    IncidentClose,
                    IncidentReopen,
                ),
            ),
            (self.orders.handle, (DispatchOrder, OrderUpdate)),
        ):
            for kind in kinds:
                self.routes[kind] = handler
        self._inbox_insert = BulkInsert(engine.dialect, _inbox, _INBOX_COLUMNS)
        self._positions_insert = BulkInsert(engine.dialect, _positions, _POSITION_COLUMNS)
        self._ts = self._inbox_insert.time
        self._existing = ExistingIds(engine.dialect, (_inbox, _positions))
        self.failures = 0
        """Messages whose handling raised something other than a refusal."""
        self.forbidden: list[str] = []
        """Devices refused ``forbidden`` in the last batch (offences against their conduct)."""

    @property
    def plans(self) -> Plans:
        """The site's emergency plans (the packaged ones unless the site has its own)."""
        return self.services.plans

    @plans.setter
    def plans(self, plans: Plans) -> None:
        self.services.plans = plans

    @property
    def departments(self) -> Departments:
        """The site's departments and their liaisons."""
        return self.services.departments

    @departments.setter
    def departments(self, departments: Departments) -> None:
        self.services.departments = departments

    def escalate(self, steps: list[Escalation], now: datetime) -> list[AuditRecord]:
        """Apply order escalation steps (see :class:`OrderEscalation`)."""
        return self.escalation.escalate(steps, now)

    def attachment_status(self, query: AttachmentQuery, now: datetime) -> bytes:
        """How much of an attachment the hub holds (see :class:`ReportHandler`)."""
        return self.reports.attachment_status(query, now)

    def commit(
        self,
        accepted: Sequence[tuple[bytes, Message, str, str]],
        audits: list[AuditRecord],
        now: datetime,
    ) -> list[tuple[bytes, bytes]]:
        """Write one batch durably; returns the replies to send (after the commit)."""
        # rid, message id, ack status (None when refused), refusal
        results: list[tuple[bytes, str, AckStatus | None, Refusal | None]] = []
        committed = self._ts(now)
        self.forbidden = []
        routes = self.routes
        with self.engine.begin() as conn:
            ids = [m.id for _, m, _, _ in accepted]
            held = self._existing(conn, ids)
            inbox_rows: list[tuple[Any, ...]] = []
            pos_rows: list[tuple[Any, ...]] = []
            pending: dict[tuple[str, str], StateValue | None] = {}
            batch = Batch(connection=conn, now=now, state=self.state, audits=audits)
            report_rows, ops, ended = batch.report_rows, batch.ops, batch.ended
            units: dict[str, tuple[PositionReport, str]] = {}
            ts = self._ts
            for rid, msg, device, role in accepted:
                owner = held.get(msg.id)
                if owner is not None:
                    if owner == device:
                        results.append((rid, msg.id, "duplicate", None))
                    else:
                        results.append((rid, msg.id, None, self._taken(msg, device, owner)))
                        audits.append(
                            AuditRecord(device, "id_conflict", msg.id, f"held for {owner}")
                        )
                    continue
                if type(msg) is PositionReport:
                    # The hot path, inline: positions are their own ledger (unique msg_id),
                    # and the unit state is built once per unit per batch, after commit.
                    pos_rows.append(
                        (
                            msg.id,
                            msg.unit_id,
                            device,
                            msg.lat,
                            msg.lon,
                            ts(msg.fix_time),
                            msg.heading_deg,
                            msg.speed_mps,
                            msg.unit_type,
                            msg.callsign,
                            msg.exercise,
                        )
                    )
                    units[msg.unit_id] = (msg, device)
                    held[msg.id] = device
                    results.append((rid, msg.id, "ok", None))
                    continue
                # Each request applies in full or not at all: its rows in a savepoint (opened
                # when its handler first uses the connection), its state changes in an overlay,
                # its audit lines and deadline events counted.
                mine: dict[tuple[str, str], StateValue | None] = {}
                mark = batch.begin(ChainMap(mine, pending))
                try:
                    handle = routes.get(type(msg))
                    if handle is None:  # pragma: no cover - the hub only passes routed kinds
                        raise Refusal("invalid", f"{type(msg).__name__} is not stored")
                    handle(batch, msg, device, role)
                except Refusal as exc:
                    batch.rollback(mark)
                    results.append((rid, msg.id, None, exc))
                    if exc.code == "forbidden":
                        self.forbidden.append(device)
                    continue
                except (OperationalError, InterfaceError):
                    raise  # the store itself is failing: the whole batch is retried
                except Exception as exc:
                    # One message's unexpected failure (a handler bug, a value the database
                    # refuses such as NUL in PostgreSQL text) costs that message only.
                    batch.rollback(mark)
                    refusal = self.unexpected(msg, device, exc)
                    audits.append(
                        AuditRecord(device, "refused", KIND_OF[type(msg)], refusal.detail[:200])
                    )
                    self.failures += 1
                    results.append((rid, msg.id, None, refusal))
                    continue
                batch.keep()
                pending.update(mine)
                held[msg.id] = device
                results.append((rid, msg.id, "ok", None))
                inbox_rows.append(
                    (
                        msg.id,
                        device,
                        KIND_OF[type(msg)],
                        self._ts(msg.sent),
                        committed,
                        msg.exercise,
                    )
                )
            self._inbox_insert.execute(conn, inbox_rows)
            self._positions_insert.execute(conn, pos_rows)
            if report_rows:
                conn.execute(insert(_reports), report_rows)
            if audits:
                append(conn, audits)
        # Committed: now the picture may change, the deadline clocks move, the acks go out.
        self.reports.committed(report_rows)
        self.deadline_book.apply(ops, now)
        for topic, key, ending in ended:
            self.state.set(topic, key, ending)
        for (topic, key), value in pending.items():
            self.state.set(topic, key, value)
        if units:
            self.state.set_many("unit", ((k, unit_state(v)) for k, v in units.items()))
        audits.clear()
        return self._replies(results, now)

    @staticmethod
    def _taken(msg: Message, device: str, owner: str) -> Refusal:
        """The refusal for an id the hub holds for another device (ids are random: only a
        device that copied or computed someone else's id meets this)."""
        log.warning(
            "message id held for another device",
            extra={"msg_id": msg.id, "device": device, "owner": owner},
        )
        return Refusal(
            "conflict",
            f"message id {msg.id!r} is held for another device: give this message a new id "
            "(HubClient.make does) and send it again",
        )

    @staticmethod
    def unexpected(msg: Message, device: str, exc: Exception) -> Refusal:
        """The refusal for a message whose handling failed unexpectedly, logged with its id
        and sender (database refusals of a value are the sender's; the rest are ours)."""
        kind = KIND_OF[type(msg)]
        if isinstance(exc, (DataError, IntegrityError)):
            log.warning(
                "store refused a value",
                extra={"msg_id": msg.id, "device": device, "kind": kind, "error": str(exc)[:300]},
            )
            return Refusal(
                "invalid",
                f"the store cannot hold a value of this {kind} message "
                f"({str(exc.orig).strip()[:160]}); remove control characters such as NUL "
                "and resend",
            )
        log.error(
            "handling a message failed",
            exc_info=exc,
            extra={"msg_id": msg.id, "device": device, "kind": kind},
        )
        return Refusal(
            "internal",
            f"the hub failed to handle this {kind} message ({type(exc).__name__}); it is "
            "logged under this message id: tell the system administrator",
        )

    def _replies(
        self, results: list[tuple[bytes, str, AckStatus | None, Refusal | None]], now: datetime
    ) -> list[tuple[bytes, bytes]]:
        """One acknowledgement frame per client (an :class:`AckBatch` when it has several),
        and one error frame per refused message."""
        replies: list[tuple[bytes, bytes]] = []
        by_client: dict[bytes, tuple[list[str], list[str]]] = {}
        for rid, ref, status, refusal in results:
            if status is None:
                assert refusal is not None
                error = Error(
                    id=new_id(),
                    sender=HUB_NAME,
                    sent=now,
                    ref=ref,
                    code=refusal.code,
                    detail=refusal.detail,
                )
                replies.append((rid, encode(error)))
                continue
            ok, dup = by_client.setdefault(rid, ([], []))
            (ok if status == "ok" else dup).append(ref)
        for rid, (ok, dup) in by_client.items():
            if len(ok) + len(dup) == 1:
                ref, status = (ok[0], "ok") if ok else (dup[0], "duplicate")
                reply: Message = Ack(
                    id=new_id(),
                    sender=HUB_NAME,
                    sent=now,
                    ref=ref,
                    status=status,
                    committed=now,
                )
            else:
                reply = AckBatch(
                    id=new_id(), sender=HUB_NAME, sent=now, ok=ok, duplicate=dup, committed=now
                )
            replies.append((rid, encode(reply)))
        return replies

    def inbox_status(self, query: InboxQuery, now: datetime) -> bytes:
        """How many stored rows each of the sender's queried ids has (absent: not held)."""
        held: dict[str, int] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(query.ids), 900):
                part = query.ids[i : i + 900]
                for table in (_positions, _reports):
                    counts = conn.execute(
                        select(table.c.msg_id, func.count())
                        .where(table.c.msg_id.in_(part))
                        .group_by(table.c.msg_id)
                    ).all()
                    for msg_id, n in counts:
                        held[msg_id] = held.get(msg_id, 0) + n
                kinds = conn.execute(
                    select(_inbox.c.msg_id, _inbox.c.kind).where(
                        _inbox.c.msg_id.in_(part), _inbox.c.device == query.sender
                    )
                ).all()
                for msg_id, kind in kinds:
                    if kind not in ("position", "report"):
                        held[msg_id] = held.get(msg_id, 0) + 1
        return encode(InboxStatus(id=new_id(), sender=HUB_NAME, sent=now, ref=query.id, held=held))
