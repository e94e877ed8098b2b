"""Peacetime duty on the hub: resources, monitoring readings and alarms, the duty roster,
log and handovers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select, update

from shared.domain import DomainError, check_resource, check_shift, reading_severity
from shared.domain.checks import check_time
from shared.hub.common import Batch, Refusal, Services
from shared.protocol import (
    DutyLogEntry,
    DutyShift,
    Message,
    MonitoringReading,
    ResourceStatus,
    ResourceUpsert,
    ShiftHandover,
)
from shared.protocol.state import (
    DutyLogState,
    HandoverState,
    IncidentDraft,
    MonitorAlarmState,
    ResourceState,
    ShiftState,
)
from shared.store.audit import AuditRecord
from shared.store.models import (
    DutyLogRow,
    DutyShiftRow,
    HandoverRow,
    Reading,
    Resource,
)

DUTY_LOG_KEPT = 200
"""Duty-log lines kept in the live picture (all of them stay in the store)."""


def monitor_alarm(
    point: ResourceState,
    value: float,
    measured: datetime,
    now: datetime,
    before: MonitorAlarmState | None,
    exercise: bool,
) -> MonitorAlarmState | None:
    """The alarm state of a monitoring point after a reading (None: below both thresholds).

    An alarm keeps the time it was first raised while it stays at the same severity; an
    ``alarm`` on a point with a draft type carries an incident draft for a person to confirm.
    """
    hit = reading_severity(value, point.warn_at, point.alarm_at)
    if hit is None:
        return None
    severity, threshold = hit
    raised = before.raised if before is not None and before.severity == severity else now
    draft = None
    if severity == "alarm" and point.draft_type:
        draft = IncidentDraft(
            type_code=point.draft_type,
            title=f"{point.name}{point.measure} {value:g}（超过报警值 {threshold:g}）",
            lat=point.lat,
            lon=point.lon,
        )
    return MonitorAlarmState(
        point_id=point.resource_id,
        name=point.name,
        measure=point.measure,
        value=value,
        threshold=threshold,
        severity=severity,
        measured=measured,
        raised=raised,
        lat=point.lat,
        lon=point.lon,
        draft=draft,
        confirmed_as=before.confirmed_as if before is not None else "",
        exercise=exercise,
    )


class DutyHandler:
    """Resources, readings, the duty log, shifts and handovers."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case ResourceUpsert():
                self._own_resource(role, device, msg.resource_id, None)
                self._resource_upsert(b, msg, device)
            case ResourceStatus():
                before = b.current("resource", msg.resource_id)
                self._own_resource(
                    role,
                    device,
                    msg.resource_id,
                    before.department if isinstance(before, ResourceState) else None,
                )
                self._resource_status(b, msg, device)
            case MonitoringReading():
                self._reading(b, msg, device)
            case DutyLogEntry():
                self._log(
                    b,
                    msg.id,
                    device,
                    msg.category,
                    msg.text,
                    msg.incident_id,
                    msg.author,
                    msg.exercise,
                )
                b.audits.append(AuditRecord(device, "duty_log", msg.category, msg.text[:200]))
            case DutyShift():
                self._shift(b, msg, device)
            case ShiftHandover():
                self._handover(b, msg, device)
            case _:  # pragma: no cover - only duty kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not a duty command")

    def _own_resource(
        self, role: str, device: str, resource_id: str, department: str | None
    ) -> None:
        """A county changes only its own resources (``DEVICE/…``); a liaison only its
        department's (departments.toml names each department's liaison device)."""
        if role == "county" and not resource_id.startswith(f"{device}/"):
            raise Refusal(
                "forbidden",
                f"a county device changes only its own resources ({device}/…); "
                f"{resource_id!r} is not one of them",
            )
        if role == "liaison" and department is not None:
            owner = next(
                (d.liaison for d in self.services.departments.departments if d.code == department),
                None,
            )
            if owner != device:
                raise Refusal(
                    "forbidden",
                    f"resource {resource_id} belongs to department {department!r}"
                    f"{f' (liaison {owner})' if owner else ''}; {device} changes only its "
                    "own department's resources",
                )

    def _resource_upsert(self, b: Batch, msg: ResourceUpsert, device: str) -> None:
        try:
            warnings = check_resource(
                msg.resource_type,
                capacity=msg.capacity,
                occupancy=msg.occupancy,
                measure=msg.measure,
                warn_at=msg.warn_at,
                alarm_at=msg.alarm_at,
                draft_type=msg.draft_type,
            )
        except DomainError as exc:
            raise Refusal("invalid", f"resource {msg.resource_id}: {exc}") from None
        if msg.stream_url and not (
            msg.resource_type == "monitoring_point" and msg.measure == "video"
        ):
            raise Refusal(
                "invalid",
                f"resource {msg.resource_id}: only a camera (a monitoring point measuring "
                "'video') has a stream_url",
            )
        before = b.current("resource", msg.resource_id)
        assert before is None or isinstance(before, ResourceState)
        if before is not None and before.resource_type != msg.resource_type:
            raise Refusal(
                "invalid",
                f"resource {msg.resource_id} is a {before.resource_type}, not a "
                f"{msg.resource_type}; register the {msg.resource_type} under a new id",
            )
        values = {
            "resource_type": msg.resource_type,
            "name": msg.name,
            "lat": msg.lat,
            "lon": msg.lon,
            "department": msg.department,
            "category": msg.category,
            "availability": msg.availability,
            "capacity": msg.capacity,
            "occupancy": msg.occupancy,
            "stock": json.dumps(msg.stock, ensure_ascii=False, sort_keys=True),
            "phone": msg.phone,
            "measure": msg.measure,
            "warn_at": msg.warn_at,
            "alarm_at": msg.alarm_at,
            "draft_type": msg.draft_type,
            "updated": b.now,
            "updated_by": device,
            "sample": msg.sample,
            "stream_url": msg.stream_url,
        }
        if before is None:
            b.conn.execute(insert(Resource).values(resource_id=msg.resource_id, **values))
        else:
            b.conn.execute(
                update(Resource).where(Resource.resource_id == msg.resource_id).values(**values)
            )
        b.pending[("resource", msg.resource_id)] = ResourceState(
            resource_id=msg.resource_id,
            resource_type=msg.resource_type,
            name=msg.name,
            lat=msg.lat,
            lon=msg.lon,
            updated=b.now,
            department=msg.department,
            category=msg.category,
            availability=msg.availability,
            capacity=msg.capacity,
            occupancy=msg.occupancy,
            stock=dict(msg.stock),
            phone=msg.phone,
            measure=msg.measure,
            warn_at=msg.warn_at,
            alarm_at=msg.alarm_at,
            draft_type=msg.draft_type,
            last_value=before.last_value if before else None,
            last_measured=before.last_measured if before else None,
            sample=msg.sample,
            stream_url=msg.stream_url,
        )
        detail = f"{'new' if before is None else 'updated'} {msg.resource_type} {msg.name}"
        if warnings:
            detail += "; " + "; ".join(warnings)
        b.audits.append(AuditRecord(device, "resource", msg.resource_id, detail))

    def _resource_status(self, b: Batch, msg: ResourceStatus, device: str) -> None:
        before = b.current("resource", msg.resource_id)
        if not isinstance(before, ResourceState):
            raise Refusal("not_found", f"no resource {msg.resource_id!r}")
        changes: dict[str, Any] = {}
        if msg.availability is not None:
            changes["availability"] = msg.availability
        if msg.occupancy is not None:
            if before.resource_type != "shelter":
                raise Refusal(
                    "invalid", f"{msg.resource_id} is a {before.resource_type}: no occupancy"
                )
            changes["occupancy"] = msg.occupancy
        if msg.stock is not None:
            if before.resource_type != "depot":
                raise Refusal("invalid", f"{msg.resource_id} is a {before.resource_type}: no stock")
            changes["stock"] = dict(msg.stock)
        if not changes:
            raise Refusal("invalid", "nothing to change: give availability, occupancy or stock")
        row = dict(changes)
        if "stock" in row:
            row["stock"] = json.dumps(row["stock"], ensure_ascii=False, sort_keys=True)
        b.conn.execute(
            update(Resource)
            .where(Resource.resource_id == msg.resource_id)
            .values(updated=b.now, updated_by=device, **row)
        )
        b.pending[("resource", msg.resource_id)] = msgspec.structs.replace(
            before, updated=b.now, **changes
        )
        what = ", ".join(f"{k}={v}" for k, v in changes.items())
        b.audits.append(
            AuditRecord(device, "resource_status", msg.resource_id, f"{what} {msg.note}".strip())
        )

    def _reading(self, b: Batch, msg: MonitoringReading, device: str) -> None:
        try:
            check_time(msg.measured, b.now, "measured")
        except DomainError as exc:
            raise Refusal("invalid", f"reading of {msg.point_id}: {exc}") from None
        point = b.current("resource", msg.point_id)
        if not isinstance(point, ResourceState) or point.resource_type != "monitoring_point":
            raise Refusal(
                "not_found",
                f"no monitoring point {msg.point_id!r}; register it first "
                "(command-center ctl resource set --type monitoring_point …)",
            )
        b.conn.execute(
            insert(Reading).values(
                msg_id=msg.id,
                point_id=msg.point_id,
                value=msg.value,
                measured=msg.measured,
                device=device,
                exercise=msg.exercise,
            )
        )
        if point.last_measured is not None and msg.measured < point.last_measured:
            return  # a late reading is kept in the record but does not move the picture
        b.conn.execute(
            update(Resource)
            .where(Resource.resource_id == msg.point_id)
            .values(last_value=msg.value, last_measured=msg.measured)
        )
        b.pending[("resource", msg.point_id)] = msgspec.structs.replace(
            point, last_value=msg.value, last_measured=msg.measured
        )
        before = b.current("monitor", msg.point_id)
        assert before is None or isinstance(before, MonitorAlarmState)
        after = monitor_alarm(point, msg.value, msg.measured, b.now, before, msg.exercise)
        if after is None:
            if before is not None:
                b.pending[("monitor", msg.point_id)] = None
                b.audits.append(
                    AuditRecord(device, "monitor_clear", msg.point_id, f"{msg.value:g}")
                )
            return
        b.pending[("monitor", msg.point_id)] = after
        if before is None or before.severity != after.severity:
            b.audits.append(
                AuditRecord(
                    device,
                    "monitor_" + after.severity,
                    msg.point_id,
                    f"{point.measure} {msg.value:g} ≥ {after.threshold:g}",
                )
            )

    def _log(
        self,
        b: Batch,
        entry_id: str,
        device: str,
        category: str,
        text: str,
        incident_id: str | None,
        author: str,
        exercise: bool,
    ) -> None:
        b.conn.execute(
            insert(DutyLogRow).values(
                msg_id=entry_id,
                at=b.now,
                by=device,
                category=category,
                text=text,
                incident_id=incident_id,
                author=author,
                exercise=exercise,
            )
        )
        b.pending[("duty", f"log:{entry_id}")] = DutyLogState(
            entry_id=entry_id,
            at=b.now,
            by=device,
            category=category,
            text=text,
            incident_id=incident_id,
            author=author,
            exercise=exercise,
        )
        held = sorted(
            {k for k in b.state.topics["duty"].items if k.startswith("log:")}
            | {k for (t, k), v in b.pending.items() if t == "duty" and k.startswith("log:") and v}
        )
        for key in held[: max(0, len(held) - DUTY_LOG_KEPT)]:
            b.pending[("duty", key)] = None

    def _shift(self, b: Batch, msg: DutyShift, device: str) -> None:
        try:
            check_shift(msg.start, msg.end)
        except DomainError as exc:
            raise Refusal("invalid", f"shift {msg.shift_id}: {exc}") from None
        values = {
            "person": msg.person,
            "post": msg.post,
            "start": msg.start,
            "end": msg.end,
            "phone": msg.phone,
            "updated_by": device,
        }
        if b.conn.execute(
            select(DutyShiftRow.shift_id).where(DutyShiftRow.shift_id == msg.shift_id)
        ).first():
            b.conn.execute(
                update(DutyShiftRow).where(DutyShiftRow.shift_id == msg.shift_id).values(**values)
            )
        else:
            b.conn.execute(insert(DutyShiftRow).values(shift_id=msg.shift_id, **values))
        b.pending[("duty", f"shift:{msg.shift_id}")] = ShiftState(
            shift_id=msg.shift_id,
            person=msg.person,
            post=msg.post,
            start=msg.start,
            end=msg.end,
            phone=msg.phone,
        )
        b.audits.append(
            AuditRecord(
                device,
                "duty_shift",
                msg.shift_id,
                f"{msg.post} {msg.person} {msg.start.isoformat()} → {msg.end.isoformat()}",
            )
        )

    def _handover(self, b: Batch, msg: ShiftHandover, device: str) -> None:
        if msg.from_person == msg.to_person:
            raise Refusal("invalid", "a handover goes from one person to another")
        open_alarms = len(b.state.topics["alarm"].items) + len(b.state.topics["monitor"].items)
        open_orders = len(b.state.topics["order"].items)
        b.conn.execute(
            insert(HandoverRow).values(
                at=b.now,
                by=device,
                from_person=msg.from_person,
                to_person=msg.to_person,
                notes=msg.notes,
                open_items=json.dumps(list(msg.open_items), ensure_ascii=False),
                open_alarms=open_alarms,
                open_orders=open_orders,
            )
        )
        b.pending[("duty", "handover")] = HandoverState(
            at=b.now,
            by=device,
            from_person=msg.from_person,
            to_person=msg.to_person,
            notes=msg.notes,
            open_items=list(msg.open_items),
            open_alarms=open_alarms,
            open_orders=open_orders,
        )
        text = (
            f"交接班：{msg.from_person} → {msg.to_person}；未结报警 {open_alarms}，"
            f"未结指令 {open_orders}；待办 {len(msg.open_items)} 项"
        )
        self._log(
            b,
            msg.id,
            device,
            "handover",
            text,
            None,
            msg.from_person,
            False,
        )
        b.audits.append(AuditRecord(device, "handover", msg.to_person, text))
