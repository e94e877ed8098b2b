"""Writing accepted requests in one transaction per batch, and loading the picture at start.

Idempotency: the ``inbox`` table holds every accepted message id. A resend of a held id gets
``Ack(status="duplicate")`` and writes nothing. A request refused for its content (an
unknown incident, say) is not recorded, so a resend gets the same refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, cast

import msgspec
from sqlalchemy import Engine, Table, func, insert, select, update

from shared.domain import (
    Casualties,
    DeadlineEngine,
    DomainError,
    check_place,
    check_transition,
    grading_for,
)
from shared.domain.deadlines import SUPPLEMENT_STAGE
from shared.domain.orders import FINAL as FINAL_ORDER_STATES
from shared.domain.orders import Escalation, advance
from shared.domain.orders import Order as DomainOrder
from shared.hub.state import StateStore
from shared.protocol import (
    KIND_OF,
    Ack,
    AckBatch,
    AlarmState,
    DispatchOrder,
    Error,
    InboxQuery,
    InboxStatus,
    IncidentClose,
    IncidentDeclare,
    IncidentState,
    IncidentTransition,
    LevelOverride,
    Message,
    OrderStatus,
    OrderUpdate,
    PositionReport,
    ReportState,
    SituationReport,
    UnitState,
    encode,
    new_id,
)
from shared.protocol.messages import ErrorCode
from shared.protocol.state import StateValue
from shared.store.audit import AuditRecord, append
from shared.store.bulk import BulkInsert, ExistingIds
from shared.store.models import (
    InboxEntry,
    Incident,
    IncidentTransitionRow,
    Order,
    Position,
    Report,
)

HUB_NAME = "hub"
_COMMANDERS = ("leader", "duty-officer")

_inbox = cast(Table, InboxEntry.__table__)
_positions = cast(Table, Position.__table__)
_reports = cast(Table, Report.__table__)


AckStatus = Literal["ok", "duplicate"]
# Report stages (初报/续报/终报) → the deadline stages they settle. A written 初报 settles the
# phone-report deadline as well: a phone call logged nowhere cannot settle anything.
_STAGES_SETTLED = {"initial": ("initial", "initial_written"), "follow_up": ("follow_up",)}
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


class _Refusal(Exception):
    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def domain_order(status: OrderStatus) -> DomainOrder:
    """The domain's view of a published order (for its state machine and escalation)."""
    return DomainOrder(
        order_id=status.order_id,
        recipient=status.recipient,
        text=status.text,
        issued_by=status.issued_by,
        issued_at=status.issued_at or status.updated,
        state=status.state,  # type: ignore[arg-type]
        incident_id=status.incident_id,
        fallback=status.fallback,
        resends=status.resends,
        exercise=status.exercise,
    )


def _unit_state(value: tuple[PositionReport, str]) -> UnitState:
    msg, device = value
    return UnitState(
        msg.unit_id,
        device,
        msg.lat,
        msg.lon,
        msg.fix_time,
        msg.heading_deg,
        msg.speed_mps,
        msg.unit_type,
        msg.callsign,
        msg.exercise,
    )


class Persister:
    """Turns a batch of authorised requests into rows, state changes and replies."""

    def __init__(
        self,
        engine: Engine,
        state: StateStore,
        deadlines: DeadlineEngine | None = None,
        is_recipient: Callable[[str], bool] = lambda name: True,
    ) -> None:
        self.engine = engine
        self.state = state
        self._inbox_insert = BulkInsert(engine.dialect, _inbox, _INBOX_COLUMNS)
        self._positions_insert = BulkInsert(engine.dialect, _positions, _POSITION_COLUMNS)
        self._ts = self._inbox_insert.time
        self._existing = ExistingIds(engine.dialect, (_inbox, _positions))
        self.deadlines = deadlines
        self.is_recipient = is_recipient
        self._rule_stage = (
            {r.code: r.stage for r in deadlines.config.rules} if deadlines is not None else {}
        )
        self._ops: list[tuple[Any, ...]] = []  # deadline events of the batch being written

    def commit(
        self,
        accepted: Sequence[tuple[bytes, Message, str, str]],
        audits: list[AuditRecord],
        now: datetime,
    ) -> list[tuple[bytes, bytes]]:
        """Write one batch durably; returns the replies to send (after the commit)."""
        # rid, message id, ack status (None when refused), refusal
        results: list[tuple[bytes, str, AckStatus | None, _Refusal | None]] = []
        committed = self._ts(now)
        self._ops = []
        with self.engine.begin() as conn:
            ids = [m.id for _, m, _, _ in accepted]
            held = self._existing(conn, ids)
            inbox_rows: list[tuple[Any, ...]] = []
            pos_rows: list[tuple[Any, ...]] = []
            report_rows: list[dict[str, Any]] = []
            pending: dict[tuple[str, str], StateValue | None] = {}
            units: dict[str, tuple[PositionReport, str]] = {}
            ts = self._ts
            for rid, msg, device, role in accepted:
                if msg.id in held:
                    results.append((rid, msg.id, "duplicate", None))
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
                    held.add(msg.id)
                    results.append((rid, msg.id, "ok", None))
                    continue
                try:
                    self._apply(conn, msg, device, role, now, report_rows, pending, audits)
                except _Refusal as exc:
                    results.append((rid, msg.id, None, exc))
                    continue
                held.add(msg.id)
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
        self._apply_deadline_ops(self._ops, now)
        for (topic, key), value in pending.items():
            self.state.set(topic, key, value)
        if units:
            self.state.set_many("unit", ((k, _unit_state(v)) for k, v in units.items()))
        audits.clear()
        return self._replies(results, now)

    def _replies(
        self, results: list[tuple[bytes, str, AckStatus | None, _Refusal | None]], now: datetime
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

    def _apply_deadline_ops(self, ops: list[tuple[Any, ...]], now: datetime) -> None:
        """Move the deadline clocks for what this batch committed, and take back published
        alarms that a report settled or that no longer apply."""
        engine = self.deadlines
        if engine is None:
            return
        for op in ops:
            kind, incident_id = op[0], op[1]
            if kind == "track":
                _, _, known_at, occurred, type_code, level, exercise = op
                engine.track(
                    incident_id,
                    known_at=known_at,
                    occurred=occurred,
                    type_code=type_code,
                    level=level,
                    exercise=exercise,
                )
            elif kind == "level":
                level = op[2]
                engine.level_changed(incident_id, level)
                stale = {
                    r.code
                    for r in engine.config.rules
                    if r.applies_to_levels and level not in r.applies_to_levels
                }
                self._clear_alarms(incident_id, stale)
            elif kind == "casualties":
                engine.casualties_changed(incident_id, now)
            elif kind == "filed":
                stage = op[2]
                engine.report_filed(incident_id, stage)
                settled = {code for code, st in self._rule_stage.items() if st == stage}
                self._clear_alarms(incident_id, settled, supplements=stage == SUPPLEMENT_STAGE)
            elif kind == "untrack":
                engine.untrack(incident_id)
                self._clear_alarms(incident_id, None)

    def _clear_alarms(
        self, incident_id: str, rules: set[str] | None, *, supplements: bool = False
    ) -> None:
        """Take back published alarms of ``rules`` (None: all) and, if asked, supplements."""
        prefix = f"{incident_id}:"
        for key in [k for k in self.state.topics["alarm"].items if k.startswith(prefix)]:
            rule = key[len(prefix) :]
            if rules is None or rule in rules or (supplements and rule.startswith("supplement@")):
                self.state.set("alarm", key, None)

    def escalate(self, steps: list[Escalation], now: datetime) -> list[AuditRecord]:
        """Apply escalation steps to unacknowledged orders in one transaction: a resend
        republishes the order, an alarm is raised once, a fallback hands the order over with
        a fresh clock. Returns the audit records written."""
        audits: list[AuditRecord] = []
        changes: list[tuple[str, str, StateValue | None]] = []
        with self.engine.begin() as conn:
            for step in steps:
                order = self.state.get("order", step.order_id)
                if not isinstance(order, OrderStatus):
                    continue
                where = Order.order_id == step.order_id
                if step.action == "resend":
                    conn.execute(update(Order).where(where).values(resends=order.resends + 1))
                    changes.append(
                        (
                            "order",
                            step.order_id,
                            msgspec.structs.replace(order, resends=order.resends + 1, updated=now),
                        )
                    )
                    audits.append(
                        AuditRecord(
                            "hub",
                            "order_resend",
                            step.order_id,
                            f"to {order.recipient}, #{order.resends + 1}",
                        )
                    )
                elif step.action == "alarm":
                    key = f"order:{step.order_id}"
                    if self.state.get("alarm", key) is None:
                        changes.append(
                            (
                                "alarm",
                                key,
                                AlarmState(
                                    order.incident_id or "",
                                    "order_unacknowledged",
                                    "指令未签收",
                                    (order.issued_at or order.updated) + step.overdue_by,
                                    "overdue",
                                    now,
                                    order.exercise,
                                ),
                            )
                        )
                        audits.append(
                            AuditRecord(
                                "hub",
                                "order_alarm",
                                step.order_id,
                                f"{order.recipient} has not acknowledged",
                            )
                        )
                elif step.action == "fallback":
                    conn.execute(
                        update(Order)
                        .where(where)
                        .values(
                            recipient=step.recipient,
                            fallback=None,
                            resends=0,
                            issued_at=now,
                            state="issued",
                            updated=now,
                        )
                    )
                    changes.append(
                        (
                            "order",
                            step.order_id,
                            msgspec.structs.replace(
                                order,
                                recipient=step.recipient,
                                fallback=None,
                                resends=0,
                                issued_at=now,
                                state="issued",
                                updated=now,
                            ),
                        )
                    )
                    audits.append(
                        AuditRecord(
                            "hub",
                            "order_fallback",
                            step.order_id,
                            f"{order.recipient} -> {step.recipient}",
                        )
                    )
            if audits:
                append(conn, audits)
        for topic, key, value in changes:
            self.state.set(topic, key, value)
        return audits

    def _current(
        self, pending: dict[tuple[str, str], StateValue | None], topic: str, key: str
    ) -> StateValue | None:
        if (topic, key) in pending:
            return pending[(topic, key)]
        value: StateValue | None = self.state.get(topic, key)
        return value

    def _apply(
        self,
        conn: Any,
        msg: Message,
        device: str,
        role: str,
        now: datetime,
        report_rows: list[dict[str, Any]],
        pending: dict[tuple[str, str], StateValue | None],
        audits: list[AuditRecord],
    ) -> None:
        match msg:
            case SituationReport():
                report_rows.append(
                    {
                        "msg_id": msg.id,
                        "incident_id": msg.incident_id,
                        "stage": msg.stage,
                        "title": msg.title,
                        "text": msg.text,
                        "lat": msg.lat,
                        "lon": msg.lon,
                        "dead": msg.dead,
                        "missing": msg.missing,
                        "injured": msg.injured,
                        "sender": device,
                        "sent": msg.sent,
                        "exercise": msg.exercise,
                    }
                )
                pending[("report", msg.id)] = ReportState(
                    msg.id,
                    msg.incident_id,
                    msg.stage,
                    msg.title,
                    device,
                    msg.sent,
                    msg.dead,
                    msg.missing,
                    msg.injured,
                    msg.exercise,
                )
                audits.append(
                    AuditRecord(device, "report", msg.incident_id, f"{msg.stage} {msg.id}")
                )
                for stage in _STAGES_SETTLED.get(msg.stage, (msg.stage,)):
                    self._ops.append(("filed", msg.incident_id, stage))
            case IncidentDeclare():
                self._declare(conn, msg, device, now, pending)
                audits.append(AuditRecord(device, "incident", msg.incident_id, msg.title))
            case IncidentTransition():
                before = self._transition(
                    conn, msg.incident_id, msg.to, msg.note, device, now, pending
                )
                conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(status=msg.to, updated=now, updated_by=device)
                )
                pending[("incident", msg.incident_id)] = msgspec.structs.replace(
                    before, status=msg.to, updated=now
                )
                audits.append(
                    AuditRecord(
                        device,
                        "incident_transition",
                        msg.incident_id,
                        f"{before.status} -> {msg.to} {msg.note}".strip(),
                    )
                )
            case LevelOverride():
                incident = self._current(pending, "incident", msg.incident_id)
                if not isinstance(incident, IncidentState):
                    raise _Refusal("not_found", f"no open incident {msg.incident_id!r}")
                conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(
                        level=msg.level,
                        override_level=msg.level,
                        override_reason=msg.reason,
                        override_by=device,
                        updated=now,
                        updated_by=device,
                    )
                )
                pending[("incident", msg.incident_id)] = msgspec.structs.replace(
                    incident, level=msg.level, override_reason=msg.reason, updated=now
                )
                audits.append(
                    AuditRecord(
                        device,
                        "level_override",
                        msg.incident_id,
                        f"level {msg.level}: {msg.reason}",
                    )
                )
                self._ops.append(("level", msg.incident_id, msg.level))
            case IncidentClose():
                self._transition(conn, msg.incident_id, "closed", msg.reason, device, now, pending)
                conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(
                        status="closed", closed_reason=msg.reason, updated=now, updated_by=device
                    )
                )
                pending[("incident", msg.incident_id)] = None
                self._ops.append(("untrack", msg.incident_id))
                for key, value in self.state.topics["report"].items.items():
                    if isinstance(value, ReportState) and value.incident_id == msg.incident_id:
                        pending[("report", key)] = None
                audits.append(AuditRecord(device, "incident_close", msg.incident_id, msg.reason))
            case DispatchOrder():
                exists = (
                    self._current(pending, "order", msg.order_id) is not None
                    or conn.execute(
                        select(Order.order_id).where(Order.order_id == msg.order_id)
                    ).first()
                )
                if exists:
                    raise _Refusal("invalid", f"order id {msg.order_id!r} is already used")
                for who in (msg.recipient, msg.fallback):
                    if who is not None and not self.is_recipient(who):
                        raise _Refusal(
                            "invalid",
                            f"no enrolled device named {who!r} can receive orders; check the "
                            "recipient's name (command-center devices lists them)",
                        )
                conn.execute(
                    insert(Order).values(
                        order_id=msg.order_id,
                        msg_id=msg.id,
                        recipient=msg.recipient,
                        incident_id=msg.incident_id,
                        text=msg.text,
                        state="issued",
                        issued_by=device,
                        updated=now,
                        exercise=msg.exercise,
                        issued_at=now,
                        fallback=msg.fallback,
                        resends=0,
                    )
                )
                pending[("order", msg.order_id)] = OrderStatus(
                    msg.order_id,
                    msg.recipient,
                    msg.text,
                    "issued",
                    device,
                    now,
                    msg.incident_id,
                    msg.exercise,
                    now,
                    msg.fallback,
                    0,
                )
                audits.append(AuditRecord(device, "order", msg.order_id, f"to {msg.recipient}"))
            case OrderUpdate():
                current = self._current(pending, "order", msg.order_id)
                if not isinstance(current, OrderStatus):
                    raise _Refusal("not_found", f"no open order {msg.order_id!r}")
                if current.recipient != device and role not in _COMMANDERS:
                    raise _Refusal(
                        "forbidden", f"order {msg.order_id} is addressed to {current.recipient}"
                    )
                if msg.state == "cancelled" and role not in _COMMANDERS:
                    raise _Refusal("forbidden", "only a leader or duty officer cancels an order")
                if msg.state == current.state == "delivered":
                    return  # a second delivery receipt changes nothing
                try:
                    advance(domain_order(current), msg.state, by=device, at=now, reason=msg.note)
                except DomainError as exc:
                    raise _Refusal("invalid", str(exc)) from None
                conn.execute(
                    update(Order)
                    .where(Order.order_id == msg.order_id)
                    .values(state=msg.state, updated=now)
                )
                alarm_key = f"order:{msg.order_id}"
                if msg.state != "delivered" and self.state.get("alarm", alarm_key) is not None:
                    pending[("alarm", alarm_key)] = None  # answered: the alarm did its job
                closed = msg.state in FINAL_ORDER_STATES
                pending[("order", msg.order_id)] = (
                    None
                    if closed
                    else msgspec.structs.replace(current, state=msg.state, updated=now)
                )
                audits.append(AuditRecord(device, "order_update", msg.order_id, msg.state))
            case _:  # pragma: no cover - the hub only passes the kinds above
                raise _Refusal("invalid", f"{type(msg).__name__} is not stored")

    def _declare(
        self,
        conn: Any,
        msg: IncidentDeclare,
        device: str,
        now: datetime,
        pending: dict[tuple[str, str], StateValue | None],
    ) -> None:
        """Create or update an incident; with a type, validate and grade it (domain rules)."""
        current = self._current(pending, "incident", msg.incident_id)
        assert current is None or isinstance(current, IncidentState)
        casualties = Casualties(
            msg.dead, msg.missing, msg.seriously_injured, msg.trapped, msg.evacuated
        )
        try:
            warnings = check_place(msg.lat, msg.lon)
            graded = (
                grading_for(msg.type_code, casualties, msg.direct_loss_cny)
                if msg.type_code
                else None
            )
        except DomainError as exc:
            raise _Refusal("invalid", str(exc)) from None
        computed = graded.level if graded else None
        override = current.level if current and current.override_reason else None
        level = override or computed or (None if graded else msg.level)
        status = current.status if current else msg.status
        criteria = list(graded.triggered) if graded else []
        values = {
            "title": msg.title,
            "lat": msg.lat,
            "lon": msg.lon,
            "level": level,
            "division": msg.division,
            "status": status,
            "updated": now,
            "updated_by": device,
            "exercise": msg.exercise,
            "type_code": msg.type_code,
            "occurred": msg.occurred,
            "dead": msg.dead,
            "missing": msg.missing,
            "seriously_injured": msg.seriously_injured,
            "trapped": msg.trapped,
            "evacuated": msg.evacuated,
            "direct_loss_cny": msg.direct_loss_cny,
            "computed_level": computed,
            "level_criteria": "\n".join(criteria),
        }
        if current is not None:
            conn.execute(
                update(Incident).where(Incident.incident_id == msg.incident_id).values(**values)
            )
        else:
            row = conn.execute(
                select(Incident.status).where(Incident.incident_id == msg.incident_id)
            ).first()
            if row is not None:
                raise _Refusal("invalid", f"incident {msg.incident_id!r} is closed")
            conn.execute(
                insert(Incident).values(incident_id=msg.incident_id, known_at=now, **values)
            )
        counts = (msg.dead, msg.missing, msg.seriously_injured, msg.trapped)
        if current is None:
            occurred = msg.occurred or now
            self._ops.append(
                ("track", msg.incident_id, now, occurred, msg.type_code, level, msg.exercise)
            )
        else:
            if level != current.level:
                self._ops.append(("level", msg.incident_id, level))
            before = (current.dead, current.missing, current.seriously_injured, current.trapped)
            if counts != before:
                self._ops.append(("casualties", msg.incident_id, now))
        pending[("incident", msg.incident_id)] = IncidentState(
            msg.incident_id,
            msg.title,
            msg.lat,
            msg.lon,
            status,
            now,
            level,
            msg.division,
            msg.exercise,
            "",
            msg.type_code,
            computed,
            criteria,
            current.override_reason if current else "",
            msg.dead,
            msg.missing,
            msg.seriously_injured,
            msg.trapped,
            msg.evacuated,
            msg.direct_loss_cny,
            warnings,
        )

    def _transition(
        self,
        conn: Any,
        incident_id: str,
        to: str,
        note: str,
        device: str,
        now: datetime,
        pending: dict[tuple[str, str], StateValue | None],
    ) -> IncidentState:
        """Move an open incident along its lifecycle (domain rules), recording the step."""
        current = self._current(pending, "incident", incident_id)
        if not isinstance(current, IncidentState):
            raise _Refusal("not_found", f"no open incident {incident_id!r}")
        try:
            check_transition(current.status, to, note)
        except DomainError as exc:
            raise _Refusal("invalid", f"incident {incident_id}: {exc}") from None
        conn.execute(
            insert(IncidentTransitionRow).values(
                incident_id=incident_id,
                from_status=current.status,
                to_status=to,
                by=device,
                at=now,
                note=note,
            )
        )
        return current

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


def load_state(engine: Engine, state: StateStore, deadlines: DeadlineEngine | None = None) -> None:
    """Fill the in-memory picture from the store (at hub start), and restart the deadline
    clocks of open incidents with the reports they already have."""
    with engine.connect() as conn:
        latest = select(func.max(_positions.c.id)).group_by(_positions.c.unit_id).scalar_subquery()
        for p in conn.execute(select(_positions).where(_positions.c.id.in_(latest))).all():
            state.set(
                "unit",
                p.unit_id,
                UnitState(
                    p.unit_id,
                    p.device,
                    p.lat,
                    p.lon,
                    p.fix_time,
                    p.heading_deg,
                    p.speed_mps,
                    p.unit_type,
                    p.callsign,
                    p.exercise,
                ),
            )
        open_ids = []
        stages_done: dict[str, set[str]] = {}
        open_rows = []
        for inc in conn.execute(
            select(Incident.__table__).where(Incident.status != "closed")
        ).all():
            open_ids.append(inc.incident_id)
            open_rows.append(inc)
            state.set(
                "incident",
                inc.incident_id,
                IncidentState(
                    inc.incident_id,
                    inc.title,
                    inc.lat,
                    inc.lon,
                    inc.status,
                    inc.updated,
                    inc.level,
                    inc.division,
                    inc.exercise,
                    inc.closed_reason,
                    inc.type_code,
                    inc.computed_level,
                    [c for c in inc.level_criteria.split("\n") if c],
                    inc.override_reason,
                    inc.dead,
                    inc.missing,
                    inc.seriously_injured,
                    inc.trapped,
                    inc.evacuated,
                    inc.direct_loss_cny,
                ),
            )
        for o in conn.execute(
            select(Order.__table__).where(Order.state.not_in(FINAL_ORDER_STATES))
        ).all():
            state.set(
                "order",
                o.order_id,
                OrderStatus(
                    o.order_id,
                    o.recipient,
                    o.text,
                    o.state,
                    o.issued_by,
                    o.updated,
                    o.incident_id,
                    o.exercise,
                    o.issued_at,
                    o.fallback,
                    o.resends,
                ),
            )
        for i in range(0, len(open_ids), 900):
            part = open_ids[i : i + 900]
            for r in conn.execute(select(_reports).where(_reports.c.incident_id.in_(part))).all():
                stages_done.setdefault(r.incident_id, set()).update(
                    _STAGES_SETTLED.get(r.stage, (r.stage,))
                )
                state.set(
                    "report",
                    r.msg_id,
                    ReportState(
                        r.msg_id,
                        r.incident_id,
                        r.stage,
                        r.title,
                        r.sender,
                        r.sent,
                        r.dead,
                        r.missing,
                        r.injured,
                        r.exercise,
                    ),
                )
    if deadlines is not None:
        for inc in open_rows:
            known = inc.known_at or inc.updated
            deadlines.track(
                inc.incident_id,
                known_at=known,
                occurred=inc.occurred or known,
                type_code=inc.type_code,
                level=inc.level,
                done=stages_done.get(inc.incident_id, set()),
                exercise=inc.exercise,
            )
