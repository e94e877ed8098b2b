"""Emergency response commands: activate / raise / lower / end a plan, tick its checklist."""

from __future__ import annotations

import json

import msgspec
from sqlalchemy import delete, insert, select, update

from shared.domain import (
    DomainError,
    check_transition,
    response_change,
)
from shared.domain.grading import LEVEL_NAMES, LEVEL_NUMERALS
from shared.domain.plans import UNENROLLED_LIAISON, UNENROLLED_TEAM
from shared.hub.common import Batch, Refusal, Services
from shared.hub.incidents import IncidentHandler
from shared.hub.orders import OrderHandler
from shared.protocol import (
    ChecklistTick,
    IncidentState,
    Message,
    ResponseCommand,
)
from shared.protocol.state import ChecklistItem, ResponseState, ResponseStep
from shared.store.audit import AuditRecord
from shared.store.models import ChecklistRow, Incident, ResponseRow, ResponseStepRow

ACTION_NAMES = {"activate": "启动", "raise": "提升", "lower": "降低", "end": "终止"}


class ResponseHandler:
    """The ``response`` and ``checklist`` kinds: a plan activated, raised, lowered or ended
    gives its orders through the order handler and moves its incident through the incident
    handler."""

    def __init__(self, services: Services, incidents: IncidentHandler, orders: OrderHandler):
        self.services = services
        self.incidents = incidents
        self.orders = orders

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case ResponseCommand():
                self._response(b, msg, device)
            case ChecklistTick():
                self._checklist_tick(b, msg, device)
            case _:  # pragma: no cover - only these kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not a response command")

    def _response(self, b: Batch, msg: ResponseCommand, device: str) -> None:
        incident = b.current("incident", msg.incident_id)
        if not isinstance(incident, IncidentState):
            raise Refusal("not_found", f"no open incident {msg.incident_id!r}")
        current = b.current("response", msg.incident_id)
        assert current is None or isinstance(current, ResponseState)
        try:
            if current is not None and current.active:
                if msg.plan and msg.plan != current.plan:
                    raise DomainError(
                        f"the response runs plan {current.plan!r}; end it before switching "
                        f"to {msg.plan!r}"
                    )
                plan = self.services.plans.for_type(incident.type_code, current.plan)
            else:
                plan = self.services.plans.for_type(incident.type_code, msg.plan)
            change = response_change(
                plan,
                current.active if current else False,
                current.level if current else None,
                msg.action,
                msg.level,
            )
        except DomainError as exc:
            raise Refusal("invalid", f"incident {msg.incident_id}: {exc}") from None
        warnings = list(current.warnings) if current else []
        orders = list(current.orders) if current else []
        level = change.level
        numeral = LEVEL_NUMERALS.get(level or 0, "")
        drill = "【演练】" if incident.exercise else ""
        action = ACTION_NAMES[msg.action]
        heading = f"{drill}{action}{numeral}级应急响应（{plan.name}）：{incident.title}。"
        # (order id suffix, recipient device, text, what to say when it is not enrolled)
        targets: list[tuple[str, str, str, str]] = []
        for code in change.new_departments:
            dept = self.services.departments.get(code)
            targets.append(
                (
                    code,
                    dept.liaison,
                    f"{heading}请{dept.name}按预案职责行动，并回复确认。",
                    UNENROLLED_LIAISON.format(department=dept.name, code=code, device=dept.liaison),
                )
            )
        for i, team in enumerate(change.new_teams):
            targets.append(
                (
                    f"t{i}",
                    team,
                    f"{heading}请立即出动，到达后报告。",
                    UNENROLLED_TEAM.format(device=team),
                )
            )
        for suffix, recipient, text, not_enrolled in targets:
            if not self.services.is_recipient(recipient):
                warnings.append(not_enrolled)
                continue
            order_id = f"R{msg.id}-{suffix}"
            self.orders.issue_order(
                b,
                order_id,
                msg.id,
                recipient,
                msg.incident_id,
                text,
                device,
                incident.exercise,
                None,
            )
            orders.append(order_id)
        checklist = list(current.checklist) if current else []
        if msg.action == "activate" and current is not None:
            checklist = []  # a new activation opens a fresh checklist
            b.conn.execute(delete(ChecklistRow).where(ChecklistRow.incident_id == msg.incident_id))
        known = {c.item for c in checklist}
        for entry in change.new_checklist:
            if entry.item in known:
                continue
            checklist.append(ChecklistItem(item=entry.item, text=entry.text))
            b.conn.execute(
                insert(ChecklistRow).values(
                    incident_id=msg.incident_id,
                    item=entry.item,
                    text=entry.text,
                    position=len(checklist),
                    done=False,
                )
            )
        step = ResponseStep(action=msg.action, level=level, by=device, at=b.now, reason=msg.reason)
        history = [*(current.history if current else []), step]
        b.conn.execute(
            insert(ResponseStepRow).values(
                incident_id=msg.incident_id,
                action=msg.action,
                level=level,
                by=device,
                at=b.now,
                reason=msg.reason,
            )
        )
        values = {
            "plan": plan.code,
            "level": level,
            "active": change.active,
            "updated": b.now,
            "exercise": incident.exercise,
            "warnings": "\n".join(warnings),
            "orders": json.dumps(orders),
        }
        if b.conn.execute(
            select(ResponseRow.incident_id).where(ResponseRow.incident_id == msg.incident_id)
        ).first():
            b.conn.execute(
                update(ResponseRow)
                .where(ResponseRow.incident_id == msg.incident_id)
                .values(**values)
            )
        else:
            b.conn.execute(insert(ResponseRow).values(incident_id=msg.incident_id, **values))
        b.pending[("response", msg.incident_id)] = ResponseState(
            incident_id=msg.incident_id,
            plan=plan.code,
            level=level,
            active=change.active,
            updated=b.now,
            history=history,
            checklist=checklist,
            orders=orders,
            warnings=warnings,
            exercise=incident.exercise,
        )
        # Activating moves a verified (or stabilised) incident to responding.
        if change.active and incident.status in ("verified", "stabilised"):
            try:
                check_transition(incident.status, "responding", "")
            except DomainError:
                pass
            else:
                note = f"{ACTION_NAMES[msg.action]}{numeral}级响应"
                self.incidents.transition(b, msg.incident_id, "responding", note, device)
                b.conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(status="responding", updated=b.now, updated_by=device)
                )
                b.pending[("incident", msg.incident_id)] = msgspec.structs.replace(
                    incident, status="responding", updated=b.now, status_note=note
                )
        level_name = f"{numeral}级 {LEVEL_NAMES.get(level or 0, '')}".strip()
        b.audits.append(
            AuditRecord(
                device,
                "response",
                msg.incident_id,
                f"{msg.action} {level_name} plan {plan.code}; orders {len(orders)}; "
                f"{msg.reason}".strip(),
            )
        )

    def _checklist_tick(self, b: Batch, msg: ChecklistTick, device: str) -> None:
        current = b.current("response", msg.incident_id)
        if not isinstance(current, ResponseState):
            raise Refusal("not_found", f"incident {msg.incident_id!r} has no response")
        items = list(current.checklist)
        for i, c in enumerate(items):
            if c.item == msg.item:
                items[i] = ChecklistItem(
                    item=c.item,
                    text=c.text,
                    done=msg.done,
                    by=device if msg.done else "",
                    at=b.now,
                    note=msg.note,
                )
                break
        else:
            known = ", ".join(c.item for c in items) or "none"
            raise Refusal(
                "not_found",
                f"the response of {msg.incident_id} has no checklist item {msg.item!r}; "
                f"items: {known}",
            )
        b.conn.execute(
            update(ChecklistRow)
            .where(ChecklistRow.incident_id == msg.incident_id, ChecklistRow.item == msg.item)
            .values(done=msg.done, by=device if msg.done else "", at=b.now, note=msg.note)
        )
        b.pending[("response", msg.incident_id)] = msgspec.structs.replace(
            current, checklist=items, updated=b.now
        )
        b.audits.append(
            AuditRecord(
                device,
                "checklist",
                msg.incident_id,
                f"{msg.item} {'done' if msg.done else 'reopened'} {msg.note}".strip(),
            )
        )
