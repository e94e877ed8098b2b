"""Loading the hub's picture and deadline clocks from the store at start.

One row that cannot be read or published never stops a start: each value is checked (the
value rules that hold at any time, and that it encodes) before it enters the picture, and a
part of the store whose query fails is skipped; either way it is *quarantined* — left as it
is in the store, listed in :class:`Quarantined` for the hub to log, audit and alarm — and the
rest of the picture loads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import Engine, Table, func, select

from shared.domain import (
    DeadlineEngine,
)
from shared.domain.orders import FINAL as FINAL_ORDER_STATES
from shared.hub.common import (
    STAGES_SETTLED,
)
from shared.hub.duty import DUTY_LOG_KEPT, monitor_alarm
from shared.hub.state import StateStore
from shared.hub.warnings import load_warnings
from shared.protocol import (
    AttachmentRef,
    ReportState,
    UnitState,
    encode,
)
from shared.protocol.state import (
    ChecklistItem,
    DutyLogState,
    HandoverState,
    ResourceState,
    ResponseState,
    ResponseStep,
    ShiftState,
)
from shared.protocol.values import value_problem
from shared.store.models import (
    ChecklistRow,
    DutyLogRow,
    DutyShiftRow,
    HandoverRow,
    Incident,
    IncidentTransitionRow,
    Order,
    Position,
    Report,
    ReportAttachment,
    Resource,
    ResponseRow,
    ResponseStepRow,
)
from shared.store.reports import report_state
from shared.store.states import from_row, incident_state, lines, order_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantined:
    """A stored row (or a whole part of the store) left out of the picture at start."""

    part: str
    """The topic it would have been published on (``unit``, ``incident`` …)."""
    key: str
    """Its key in that topic; empty when the whole part could not be read."""
    reason: str


class _Guard:
    """The picture as load_state fills it: a value that breaks the value rules or does not
    encode is quarantined instead of entering it."""

    def __init__(self, state: StateStore, quarantine: list[Quarantined]) -> None:
        self.state = state
        self.quarantine = quarantine
        self.conn: Any = None
        """The load's connection: rolled back after a part fails (PostgreSQL refuses every
        later query of an aborted transaction, which would cost the other parts too)."""

    def set(self, topic: str, key: str, value: Any) -> None:
        problem: str | None = None
        try:
            found = value_problem(value, None, None)
            if found is not None:
                problem = str(found)
            else:
                encode(value)
        except Exception as exc:  # whatever a damaged row makes the encoder raise
            problem = f"cannot be published ({type(exc).__name__}: {exc!s:.200})"
        if problem is not None:
            self.quarantine.append(Quarantined(topic, key, problem))
            return
        self.state.set(topic, key, value)

    def part(self, name: str, load: Callable[[], None]) -> None:
        """Run one part of the load; a failure (a query the store cannot answer) costs
        that part only."""
        try:
            load()
        except Exception as exc:
            log.exception("store part %s could not be loaded", name)
            if self.conn is not None:
                try:
                    self.conn.rollback()
                except Exception:  # the connection itself is gone: the next part says so
                    log.exception("rolling back after part %s failed", name)
            self.quarantine.append(
                Quarantined(name, "", f"could not be read ({type(exc).__name__}: {exc!s:.200})")
            )


_positions = cast(Table, Position.__table__)
_reports = cast(Table, Report.__table__)


def reports_of(conn: Any, incident_ids: list[str]) -> list[ReportState]:
    """The stored reports of ``incident_ids``, with their attachments, as published."""
    out: list[ReportState] = []
    for i in range(0, len(incident_ids), 900):
        part = incident_ids[i : i + 900]
        reports = conn.execute(select(_reports).where(_reports.c.incident_id.in_(part))).all()
        attachments: dict[str, list[AttachmentRef]] = {}
        ids = [r.msg_id for r in reports]
        for j in range(0, len(ids), 900):
            for a in conn.execute(
                select(ReportAttachment.__table__)
                .where(ReportAttachment.report_msg_id.in_(ids[j : j + 900]))
                .order_by(ReportAttachment.id)
            ).all():
                attachments.setdefault(a.report_msg_id, []).append(
                    AttachmentRef(a.sha256, a.name, a.media_type, a.size)
                )
        out += [report_state(r._mapping, attachments.get(r.msg_id, [])) for r in reports]
    return out


def load_state(
    engine: Engine,
    state: StateStore,
    deadlines: DeadlineEngine | None = None,
    now: datetime | None = None,
    quarantine: list[Quarantined] | None = None,
) -> None:
    """Fill the in-memory picture from the store (at hub start), and restart the deadline
    clocks of open incidents with the reports they already have. What cannot be loaded is
    appended to ``quarantine`` (see the module) and left out."""
    guard = _Guard(state, quarantine if quarantine is not None else [])
    open_rows: list[Any] = []
    stages_done: dict[str, set[str]] = {}
    with engine.connect() as conn:
        guard.conn = conn

        def units() -> None:
            latest = (
                select(func.max(_positions.c.id)).group_by(_positions.c.unit_id).scalar_subquery()
            )
            for p in conn.execute(select(_positions).where(_positions.c.id.in_(latest))).all():
                guard.set("unit", p.unit_id, from_row(UnitState, p._mapping))

        def incidents() -> None:
            step_notes = {  # the note of each open incident's last lifecycle step
                t.incident_id: t.note
                for t in conn.execute(
                    select(IncidentTransitionRow.incident_id, IncidentTransitionRow.note)
                    .join(Incident, Incident.incident_id == IncidentTransitionRow.incident_id)
                    .where(Incident.status != "closed")
                    .order_by(IncidentTransitionRow.id)
                ).all()
            }
            for inc in conn.execute(
                select(Incident.__table__).where(Incident.status != "closed")
            ).all():
                note = step_notes.get(inc.incident_id, "")
                guard.set("incident", inc.incident_id, incident_state(inc._mapping, note))
                if inc.incident_id in state.topics["incident"].items:
                    open_rows.append(inc)

        def orders() -> None:
            # Open orders, and finished ones of open incidents (they stay in view, with their
            # words, until the incident closes).
            open_set = {inc.incident_id for inc in open_rows}
            for o in conn.execute(select(Order.__table__)).all():
                if o.state in FINAL_ORDER_STATES and o.incident_id not in open_set:
                    continue
                guard.set("order", o.order_id, order_state(o._mapping))

        def reports() -> None:
            for report in reports_of(conn, [inc.incident_id for inc in open_rows]):
                guard.set("report", report.report_id, report)
                if report.report_id in state.topics["report"].items:
                    stages_done.setdefault(report.incident_id, set()).update(
                        STAGES_SETTLED.get(report.stage, (report.stage,))
                    )

        def warnings() -> None:
            for key, warning in load_warnings(conn, now or datetime.now(UTC)).items():
                guard.set("warning", key, warning)

        guard.part("unit", units)
        guard.part("incident", incidents)
        guard.part("order", orders)
        guard.part("report", reports)
        _load_operations(conn, guard, open_rows)
        guard.part("warning", warnings)
    for q in guard.quarantine:
        log.error("quarantined at start: %s %s: %s", q.part, q.key or "(whole part)", q.reason)
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


def _load_operations(conn: Any, state: _Guard, open_rows: list[Any]) -> None:
    """Resources and monitoring alarms, responses of open incidents, the duty picture
    (each value through the guard; a query that fails costs the operations part)."""
    state.part("operations", lambda: _operations(conn, state, open_rows))


def _operations(conn: Any, state: _Guard, open_rows: list[Any]) -> None:
    drafts = {inc.draft_of: inc.incident_id for inc in open_rows if inc.draft_of}
    for r in conn.execute(select(Resource.__table__)).all():
        resource = ResourceState(
            resource_id=r.resource_id,
            resource_type=r.resource_type,
            name=r.name,
            lat=r.lat,
            lon=r.lon,
            updated=r.updated,
            department=r.department,
            category=r.category,
            availability=r.availability,
            capacity=r.capacity,
            occupancy=r.occupancy,
            stock=json.loads(r.stock or "{}"),
            phone=r.phone,
            measure=r.measure,
            warn_at=r.warn_at,
            alarm_at=r.alarm_at,
            draft_type=r.draft_type,
            last_value=r.last_value,
            last_measured=r.last_measured,
            sample=r.sample,
            stream_url=r.stream_url,
        )
        state.set("resource", r.resource_id, resource)
        if r.last_value is not None and r.last_measured is not None:
            alarm = monitor_alarm(
                resource, r.last_value, r.last_measured, r.last_measured, None, False
            )
            if alarm is not None:
                if r.resource_id in drafts:
                    alarm = msgspec.structs.replace(alarm, confirmed_as=drafts[r.resource_id])
                state.set("monitor", r.resource_id, alarm)
    open_ids = [inc.incident_id for inc in open_rows]
    for i in range(0, len(open_ids), 900):
        part = open_ids[i : i + 900]
        steps: dict[str, list[ResponseStep]] = {}
        for st in conn.execute(
            select(ResponseStepRow.__table__)
            .where(ResponseStepRow.incident_id.in_(part))
            .order_by(ResponseStepRow.id)
        ).all():
            steps.setdefault(st.incident_id, []).append(
                ResponseStep(action=st.action, level=st.level, by=st.by, at=st.at, reason=st.reason)
            )
        checklists: dict[str, list[ChecklistItem]] = {}
        for c in conn.execute(
            select(ChecklistRow.__table__)
            .where(ChecklistRow.incident_id.in_(part))
            .order_by(ChecklistRow.incident_id, ChecklistRow.position)
        ).all():
            checklists.setdefault(c.incident_id, []).append(
                ChecklistItem(item=c.item, text=c.text, done=c.done, by=c.by, at=c.at, note=c.note)
            )
        for rr in conn.execute(
            select(ResponseRow.__table__).where(ResponseRow.incident_id.in_(part))
        ).all():
            state.set(
                "response",
                rr.incident_id,
                ResponseState(
                    incident_id=rr.incident_id,
                    plan=rr.plan,
                    level=rr.level,
                    active=rr.active,
                    updated=rr.updated,
                    history=steps.get(rr.incident_id, []),
                    checklist=checklists.get(rr.incident_id, []),
                    orders=json.loads(rr.orders or "[]"),
                    warnings=lines(rr.warnings),
                    exercise=rr.exercise,
                ),
            )
    logs = conn.execute(
        select(DutyLogRow.__table__).order_by(DutyLogRow.id.desc()).limit(DUTY_LOG_KEPT)
    ).all()
    for e in reversed(logs):
        state.set(
            "duty",
            f"log:{e.msg_id}",
            DutyLogState(
                entry_id=e.msg_id,
                at=e.at,
                by=e.by,
                category=e.category,
                text=e.text,
                incident_id=e.incident_id,
                author=e.author,
                exercise=e.exercise,
            ),
        )
    since = datetime.now(UTC) - timedelta(days=1)
    for sh in conn.execute(select(DutyShiftRow.__table__).where(DutyShiftRow.end > since)).all():
        state.set(
            "duty",
            f"shift:{sh.shift_id}",
            ShiftState(
                shift_id=sh.shift_id,
                person=sh.person,
                post=sh.post,
                start=sh.start,
                end=sh.end,
                phone=sh.phone,
            ),
        )
    h = conn.execute(select(HandoverRow.__table__).order_by(HandoverRow.id.desc()).limit(1)).first()
    if h is not None:
        state.set(
            "duty",
            "handover",
            HandoverState(
                at=h.at,
                by=h.by,
                from_person=h.from_person,
                to_person=h.to_person,
                notes=h.notes,
                open_items=json.loads(h.open_items),
                open_alarms=h.open_alarms,
                open_orders=h.open_orders,
            ),
        )
