"""Incident commands: declare (create only), update facts under the authority table,
transition, override, close. The rules are the domain's (``shared/domain/authority.py``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import insert, select, update

from shared.domain import (
    Casualties,
    DomainError,
    check_area,
    check_place,
    check_transition,
    grading_for,
)
from shared.domain.authority import (
    CONFIRMING_ROLES,
    FACT_NAMES,
    FACTS,
    FactChange,
    check_changes,
    confined,
    implausible_jump,
    regrade,
)
from shared.domain.checks import (
    check_division,
    check_id,
    check_received,
    check_time,
    check_title,
)
from shared.domain.grading import LEVEL_NUMERALS, REQUESTED_LEVEL_WARNING
from shared.domain.orders import FINAL as FINAL_ORDER_STATES
from shared.hub.common import (
    COMMANDERS,
    Batch,
    Refusal,
    Services,
)
from shared.protocol import (
    IncidentClose,
    IncidentDeclare,
    IncidentReopen,
    IncidentState,
    IncidentTransition,
    IncidentUpdate,
    LevelOverride,
    Message,
    OrderStatus,
    ReportState,
)
from shared.protocol.state import MonitorAlarmState, ResponseState, WarningState
from shared.store.audit import AuditRecord
from shared.store.models import (
    Incident,
    IncidentChange,
    IncidentTransitionRow,
    Order,
    OrderEvent,
)
from shared.store.states import incident_state

HELD_MARK = "待值班员或领导核实"
"""In the warning a report's held figure leaves on its incident (see ReportHandler)."""
FIELD_RECEIVED_BACK = timedelta(hours=1)
"""How far before its own message a field or liaison device may say it received a report."""
CLOSED_WITH_INCIDENT = "事件已结束，指令随之撤销"
"""The note an order gets when its incident closes while it still runs."""

TRANSITIONERS = frozenset({"county", "duty-officer", "leader"})
"""Roles that may move an incident along its lifecycle (permissions.toml's
``incident_transition``), so may declare one at a later status."""


def facts_of(incident: IncidentState) -> dict[str, Any]:
    """An incident's facts as the authority table names them (JSON-comparable values)."""
    return {
        "title": incident.title,
        "place": [incident.lat, incident.lon],
        "division": incident.division,
        "area": [list(p) for p in incident.area] if incident.area else None,
        "type_code": incident.type_code,
        "occurred": incident.occurred,
        "dead": incident.dead,
        "missing": incident.missing,
        "seriously_injured": incident.seriously_injured,
        "trapped": incident.trapped,
        "evacuated": incident.evacuated,
        "direct_loss_cny": incident.direct_loss_cny,
    }


class IncidentHandler:
    """The incident kinds: declare, update, transition, override, close, reopen. The rules
    are the domain's; reports and responses change incidents through :meth:`apply_facts`,
    :meth:`confine` and :meth:`transition`."""

    transitioners = TRANSITIONERS

    def __init__(self, services: Services) -> None:
        self.services = services

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        if isinstance(msg, IncidentTransition | LevelOverride | IncidentClose | IncidentReopen):
            self.confine(role, device, msg.incident_id)
        match msg:
            case IncidentDeclare():
                self._declare(b, msg, device, role)
                state = b.pending[("incident", msg.incident_id)]
                assert isinstance(state, IncidentState)
                b.audits.append(
                    AuditRecord(
                        device,
                        "incident",
                        msg.incident_id,
                        f"{msg.title} · {state.type_code or '（无类型）'} · 级别 "
                        f"{LEVEL_NUMERALS.get(state.level or 0, '（无）')} · "
                        f"死亡 {msg.dead} 失踪 {msg.missing} 重伤 {msg.seriously_injured}",
                    )
                )
            case IncidentUpdate():
                self._update(b, msg, device, role)
            case IncidentTransition():
                before = self.transition(
                    b,
                    msg.incident_id,
                    msg.to,
                    msg.note,
                    device,
                )
                b.conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(status=msg.to, updated=b.now, updated_by=device)
                )
                b.pending[("incident", msg.incident_id)] = msgspec.structs.replace(
                    before, status=msg.to, updated=b.now, status_note=msg.note
                )
                b.audits.append(
                    AuditRecord(
                        device,
                        "incident_transition",
                        msg.incident_id,
                        f"{before.status} -> {msg.to} {msg.note}".strip(),
                    )
                )
            case LevelOverride():
                incident = b.current("incident", msg.incident_id)
                if not isinstance(incident, IncidentState):
                    raise Refusal("not_found", f"no open incident {msg.incident_id!r}")
                b.conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(
                        level=msg.level,
                        override_level=msg.level,
                        override_reason=msg.reason,
                        override_by=device,
                        updated=b.now,
                        updated_by=device,
                    )
                )
                b.pending[("incident", msg.incident_id)] = msgspec.structs.replace(
                    incident, level=msg.level, override_reason=msg.reason, updated=b.now
                )
                person = self._record_changes(
                    b,
                    msg.incident_id,
                    [FactChange("level", incident.level, msg.level)],
                    device,
                    "override",
                    msg.reason,
                )
                b.audits.append(
                    AuditRecord(
                        device,
                        "level_override",
                        msg.incident_id,
                        f"level {incident.level} → {msg.level}: {msg.reason}"
                        + (f" [{person}]" if person else ""),
                    )
                )
                b.ops.append(("level", msg.incident_id, msg.level))
            case IncidentClose():
                closed = self.transition(
                    b,
                    msg.incident_id,
                    "closed",
                    msg.reason,
                    device,
                )
                b.conn.execute(
                    update(Incident)
                    .where(Incident.incident_id == msg.incident_id)
                    .values(
                        status="closed", closed_reason=msg.reason, updated=b.now, updated_by=device
                    )
                )
                # Ending is its own event: the closed incident is published, then removed,
                # so the relay and the county link see how it ended.
                b.ended.append(
                    (
                        "incident",
                        msg.incident_id,
                        msgspec.structs.replace(
                            closed, status="closed", closed_reason=msg.reason, updated=b.now
                        ),
                    )
                )
                b.pending[("incident", msg.incident_id)] = None
                b.ops.append(("untrack", msg.incident_id))
                for key, value in b.state.topics["order"].items.items():
                    if not isinstance(value, OrderStatus) or value.incident_id != msg.incident_id:
                        continue
                    if value.state not in FINAL_ORDER_STATES:
                        self._cancel_with_incident(b, value, msg.reason, device)
                    b.pending[("order", key)] = None
                for key, value in b.state.topics["report"].items.items():
                    if isinstance(value, ReportState) and value.incident_id == msg.incident_id:
                        b.pending[("report", key)] = None
                b.audits.append(AuditRecord(device, "incident_close", msg.incident_id, msg.reason))
            case IncidentReopen():
                self._reopen(b, msg, device)
                b.audits.append(AuditRecord(device, "incident_reopen", msg.incident_id, msg.reason))
            case _:  # pragma: no cover - only incident kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not an incident command")

    def _cancel_with_incident(self, b: Batch, order: OrderStatus, reason: str, device: str) -> None:
        """An order still running when its incident closes ends with it: cancelled, the
        reason recorded on the order, its alarm and resends stopped, and the cancellation
        published before the order leaves the picture, so its recipient (a team, a
        department's liaison, a county) is told."""
        note = f"{CLOSED_WITH_INCIDENT}：{reason}"[:512]
        b.conn.execute(
            update(Order)
            .where(Order.order_id == order.order_id)
            .values(state="cancelled", updated=b.now, note=note)
        )
        b.conn.execute(
            insert(OrderEvent).values(
                order_id=order.order_id,
                from_state=order.state,
                to_state="cancelled",
                by=device,
                at=b.now,
                note=note,
                person=b.person(device),
            )
        )
        b.ended.append(
            (
                "order",
                order.order_id,
                msgspec.structs.replace(order, state="cancelled", updated=b.now, note=note),
            )
        )
        if b.state.get("alarm", f"order:{order.order_id}") is not None:
            b.pending[("alarm", f"order:{order.order_id}")] = None
        b.audits.append(
            AuditRecord(
                device, "order_update", order.order_id, f"{order.state} -> cancelled: {note}"
            )
        )

    def _reopen(self, b: Batch, msg: IncidentReopen, device: str) -> None:
        """A closed incident back as ``verified``, with its facts and reports; the step and
        its reason recorded like any other."""
        from shared.hub.load import reports_of

        if not msg.reason.strip():
            raise Refusal("invalid", "say why the incident is reopened (reason)")
        if isinstance(b.current("incident", msg.incident_id), IncidentState):
            raise Refusal("conflict", f"incident {msg.incident_id!r} is open; nothing to reopen")
        row = b.conn.execute(
            select(Incident.__table__).where(Incident.incident_id == msg.incident_id)
        ).first()
        if row is None:
            raise Refusal("not_found", f"no incident {msg.incident_id!r} in the record")
        b.conn.execute(
            insert(IncidentTransitionRow).values(
                incident_id=msg.incident_id,
                from_status="closed",
                to_status="verified",
                by=device,
                at=b.now,
                note=msg.reason,
            )
        )
        b.conn.execute(
            update(Incident)
            .where(Incident.incident_id == msg.incident_id)
            .values(status="verified", closed_reason="", updated=b.now, updated_by=device)
        )
        reopened = incident_state(row._mapping)
        note = msg.reason
        cancelled = (
            b.conn.execute(
                select(Order.order_id).where(
                    Order.incident_id == msg.incident_id,
                    Order.state == "cancelled",
                    Order.note.like(f"{CLOSED_WITH_INCIDENT}%"),
                )
            )
            .scalars()
            .all()
        )
        if cancelled:  # what the closing stopped, to be issued again if still needed
            shown = "、".join(sorted(cancelled)[:10]) + ("等" if len(cancelled) > 10 else "")
            note = f"{msg.reason}；结束时撤销的指令 {len(cancelled)} 条（{shown}），需要时重新下达"
        b.pending[("incident", msg.incident_id)] = msgspec.structs.replace(
            reopened, status="verified", closed_reason="", updated=b.now, status_note=note[:512]
        )
        for report in reports_of(b.conn, [msg.incident_id]):
            b.pending[("report", report.report_id)] = report

    def _declare(self, b: Batch, msg: IncidentDeclare, device: str, role: str) -> None:
        """Create an incident (validated and graded by the domain); an existing id is refused
        ``conflict``: its facts change through :class:`IncidentUpdate`."""
        self.confine(role, device, msg.incident_id)
        current = b.current("incident", msg.incident_id)
        if current is not None:
            raise Refusal(
                "conflict",
                f"incident {msg.incident_id!r} exists; change its facts with "
                "`incident update` (a new incident needs a new id)",
            )
        if msg.from_draft and role not in COMMANDERS:
            raise Refusal(
                "forbidden",
                f"a {role} device cannot confirm a draft (it stays on the duty officer's list); "
                "declare the incident without from_draft, or ask the duty officer",
            )
        if role not in CONFIRMING_ROLES:
            big = [
                f"{FACT_NAMES[f]} {getattr(msg, f)}"
                for f in ("dead", "missing", "seriously_injured", "trapped", "evacuated")
                if implausible_jump(0, getattr(msg, f))
            ]
            if big:
                shown = "、".join(big)
                raise Refusal(
                    "forbidden",
                    f"a {role} device declares with figures it can confirm ({shown} is past "
                    "what one device's word sets): declare, then file the figures in the 初报 "
                    "and a duty officer or leader confirms them",
                )
            if msg.received is not None and msg.received < msg.sent - FIELD_RECEIVED_BACK:
                raise Refusal(
                    "invalid",
                    f"received {msg.received.isoformat(timespec='seconds')} is more than "
                    f"{FIELD_RECEIVED_BACK.total_seconds() / 3600:g} h before this message was "
                    f"made: a {role} device reports what it learns now (a backdated time would "
                    "make the reporting clocks overdue at once)",
                )
        if msg.status != "reported" and role not in self.transitioners:
            raise Refusal(
                "forbidden",
                f"a {role} device declares incidents as reported; status {msg.status!r} is a "
                "duty officer's step (incident_transition)",
            )
        casualties = Casualties(
            msg.dead, msg.missing, msg.seriously_injured, msg.trapped, msg.evacuated
        )
        area = None
        type_code = msg.type_code
        try:
            check_id(msg.incident_id)
            check_title(msg.title)
            check_time(msg.occurred, b.now)
            known_at = check_received(msg.received, msg.occurred, b.now)
            warnings = check_place(msg.lat, msg.lon) + check_division(msg.division)
            if msg.area is not None:
                area, _km2, area_warnings = check_area(msg.area)
                warnings += [w for w in area_warnings if w not in warnings]
            draft_type = self._draft(b, msg) if msg.from_draft else ""
            type_code = type_code or draft_type
            graded = grading_for(type_code, casualties, msg.direct_loss_cny) if type_code else None
        except DomainError as exc:
            raise Refusal("invalid", str(exc)) from None
        computed = graded.level if graded else None
        level = computed or (None if graded else msg.level)
        if role not in CONFIRMING_ROLES and graded is None and msg.level is not None:
            # the first level of a field or liaison device is the grading's: without a
            # type there is none until a duty officer or leader sets it
            level = None
            warnings.append(
                f"requested level {LEVEL_NUMERALS[msg.level]} from a {role} device: a duty "
                "officer or leader sets the level of an incident without a type"
            )
        if msg.level is not None and graded is not None and msg.level != computed:
            warnings.append(
                REQUESTED_LEVEL_WARNING.format(
                    requested=LEVEL_NUMERALS[msg.level],
                    computed=LEVEL_NUMERALS.get(computed or 0, "（无）"),
                )
            )
        criteria = list(graded.triggered) if graded else []
        row = b.conn.execute(
            select(Incident.status).where(Incident.incident_id == msg.incident_id)
        ).first()
        if row is not None:
            raise Refusal(
                "conflict",
                f"incident {msg.incident_id!r} is closed; a new incident needs a new id "
                "(a closed incident is reopened by a duty officer)",
            )
        values = {
            "title": msg.title,
            "lat": msg.lat,
            "lon": msg.lon,
            "level": level,
            "division": msg.division,
            "status": msg.status,
            "updated": b.now,
            "updated_by": device,
            "exercise": msg.exercise,
            "type_code": type_code,
            "occurred": msg.occurred,
            "dead": msg.dead,
            "missing": msg.missing,
            "seriously_injured": msg.seriously_injured,
            "trapped": msg.trapped,
            "evacuated": msg.evacuated,
            "direct_loss_cny": msg.direct_loss_cny,
            "computed_level": computed,
            "level_criteria": "\n".join(criteria),
            "area": json.dumps(area) if area else "",
            "draft_of": msg.from_draft,
            "warnings": "\n".join(warnings),
        }
        b.conn.execute(
            insert(Incident).values(incident_id=msg.incident_id, known_at=known_at, **values)
        )
        occurred = msg.occurred or known_at
        b.ops.append(("track", msg.incident_id, known_at, occurred, type_code, level, msg.exercise))
        b.pending[("incident", msg.incident_id)] = incident_state(
            {"incident_id": msg.incident_id, **values}
        )

    def _draft(self, b: Batch, msg: IncidentDeclare) -> str:
        """Mark the draft a declaration confirms; returns the type the draft proposes."""
        # a monitoring alarm's draft (its point id) or an inbound warning's (warning:KEY)
        topic, key = (
            ("warning", msg.from_draft.removeprefix("warning:"))
            if msg.from_draft.startswith("warning:")
            else ("monitor", msg.from_draft)
        )
        draft = b.current(topic, key)
        if not isinstance(draft, MonitorAlarmState | WarningState) or draft.draft is None:
            raise Refusal(
                "not_found",
                f"no incident draft {msg.from_draft!r} is waiting (its alarm may have "
                "cleared, its warning expired, or it was confirmed already); "
                "`incident drafts` lists the waiting ones",
            )
        if draft.confirmed_as:
            raise Refusal(
                "conflict",
                f"draft {msg.from_draft!r} was already confirmed as {draft.confirmed_as}",
            )
        b.pending[(topic, key)] = msgspec.structs.replace(draft, confirmed_as=msg.incident_id)
        return str(getattr(draft.draft, "type_code", "") or "")

    def confine(self, role: str, device: str, incident_id: str) -> None:
        """A county (or forward post) hub touches only incidents under its own prefix."""
        if not confined(role, device, incident_id):
            raise Refusal(
                "forbidden",
                f"a county device touches only its own incidents ({device}/…); "
                f"{incident_id!r} is not one of them",
            )

    def _update(self, b: Batch, msg: IncidentUpdate, device: str, role: str) -> None:
        """Change facts of an open incident under the authority table."""
        self.confine(role, device, msg.incident_id)
        current = self._open(b, msg.incident_id)
        # every fact the message names (place and area are checked below: they are not
        # fields of the message as such)
        wanted: dict[str, Any] = {
            f: getattr(msg, f)
            for f in FACTS
            if f not in ("place", "area") and getattr(msg, f) is not None
        }
        if (msg.lat is None) != (msg.lon is None):
            raise Refusal("invalid", "a place needs both latitude and longitude")
        if msg.lat is not None and msg.lon is not None:
            wanted["place"] = [msg.lat, msg.lon]
        try:
            if "title" in wanted:
                check_title(wanted["title"])
            check_time(msg.occurred, b.now)
            if msg.area is not None:
                wanted["area"] = [list(p) for p in check_area(msg.area)[0]]
            changes = check_changes(role, facts_of(current), wanted, msg.reason)
        except DomainError as exc:
            raise Refusal(
                "forbidden" if "may not" in str(exc) or "may raise" in str(exc) else "invalid",
                f"incident {msg.incident_id}: {exc}",
            ) from None
        self.apply_facts(
            b,
            current,
            changes,
            device,
            "update",
            msg.reason,
            confirming=role in CONFIRMING_ROLES,
        )

    def _open(self, b: Batch, incident_id: str) -> IncidentState:
        current = b.current("incident", incident_id)
        if isinstance(current, IncidentState):
            return current
        row = b.conn.execute(
            select(Incident.status).where(Incident.incident_id == incident_id)
        ).first()
        if row is not None:
            raise Refusal(
                "invalid",
                f"incident {incident_id!r} is closed: a closed incident changes only by reopening",
            )
        raise Refusal("not_found", f"no incident {incident_id!r}; `incident list` shows them")

    def _record_changes(
        self,
        b: Batch,
        incident_id: str,
        changes: list[FactChange],
        device: str,
        source: str,
        reason: str,
    ) -> str:
        """One history row per changed fact, with the device and the person signed in at it
        (returned, for the audit line). A level that moves with other facts is the
        grading's doing; an override names itself."""
        person = b.person(device)
        b.conn.execute(
            insert(IncidentChange),
            [
                {
                    "incident_id": incident_id,
                    "fact": c.fact,
                    "before": json.dumps(c.before, default=str, ensure_ascii=False),
                    "after": json.dumps(c.after, default=str, ensure_ascii=False),
                    "by": device,
                    "at": b.now,
                    "source": "grading" if c.fact == "level" and source != "override" else source,
                    "reason": reason,
                    "person": person,
                }
                for c in changes
            ],
        )
        return person

    def apply_facts(
        self,
        b: Batch,
        current: IncidentState,
        changes: list[FactChange],
        device: str,
        source: str,
        reason: str,
        *,
        confirming: bool = False,
    ) -> IncidentState:
        """Write checked fact changes: re-validate, re-grade (upward only), record each change
        (history and audit), move the deadline clocks, say what a type change means."""
        if not changes:
            return current
        new = {c.fact: c.after for c in changes}
        lat, lon = new.get("place", (current.lat, current.lon))
        state = msgspec.structs.replace(
            current,
            title=new.get("title", current.title),
            lat=lat,
            lon=lon,
            division=new.get("division", current.division),
            type_code=new.get("type_code", current.type_code),
            occurred=new.get("occurred", current.occurred),
            area=[tuple(p) for p in new["area"]] if "area" in new else current.area,
            dead=new.get("dead", current.dead),
            missing=new.get("missing", current.missing),
            seriously_injured=new.get("seriously_injured", current.seriously_injured),
            trapped=new.get("trapped", current.trapped),
            evacuated=new.get("evacuated", current.evacuated),
            direct_loss_cny=new.get("direct_loss_cny", current.direct_loss_cny),
            updated=b.now,
        )
        try:
            warnings = check_place(state.lat, state.lon) + check_division(state.division)
            graded = (
                grading_for(
                    state.type_code,
                    Casualties(
                        state.dead,
                        state.missing,
                        state.seriously_injured,
                        state.trapped,
                        state.evacuated,
                    ),
                    state.direct_loss_cny,
                )
                if state.type_code
                else None
            )
        except DomainError as exc:
            raise Refusal("invalid", f"incident {current.incident_id}: {exc}") from None
        computed = graded.level if graded else None
        level = regrade(
            current.level, current.computed_level, computed, bool(current.override_reason)
        )
        if computed is not None and level is not None and computed > level:
            warnings.append(
                f"the criteria now give level {LEVEL_NUMERALS[computed]}; the level stays "
                f"{LEVEL_NUMERALS[level]} until a duty officer lowers it with a reason"
            )
        changes = list(changes)
        if level != current.level:
            changes.append(FactChange("level", current.level, level))
        # figures held for confirmation stay shown until a confirming role sets that figure
        set_now = {FACT_NAMES.get(c.fact, c.fact) for c in changes} if confirming else set()
        warnings += [
            w
            for w in current.warnings
            if HELD_MARK in w and not any(name in w for name in set_now) and w not in warnings
        ]
        state = msgspec.structs.replace(
            state,
            level=level,
            computed_level=computed,
            level_criteria=list(graded.triggered) if graded else [],
            warnings=warnings,
        )
        b.conn.execute(
            update(Incident)
            .where(Incident.incident_id == current.incident_id)
            .values(
                title=state.title,
                lat=state.lat,
                lon=state.lon,
                division=state.division,
                type_code=state.type_code,
                occurred=state.occurred,
                area=json.dumps(state.area) if state.area else "",
                dead=state.dead,
                missing=state.missing,
                seriously_injured=state.seriously_injured,
                trapped=state.trapped,
                evacuated=state.evacuated,
                direct_loss_cny=state.direct_loss_cny,
                level=level,
                computed_level=computed,
                level_criteria="\n".join(state.level_criteria),
                warnings="\n".join(state.warnings),
                updated=b.now,
                updated_by=device,
            )
        )
        person = self._record_changes(
            b,
            current.incident_id,
            changes,
            device,
            source,
            reason,
        )
        detail = "; ".join(c.describe() for c in changes)
        if reason:
            detail += f" ({reason})"
        if person:
            detail += f" [{person}]"
        b.audits.append(
            AuditRecord(device, f"incident_{source}", current.incident_id, detail[:1000])
        )
        if level != current.level:
            b.ops.append(("level", current.incident_id, level))
        counts = ("dead", "missing", "seriously_injured", "trapped")
        if any(c.fact in counts for c in changes):
            b.ops.append(("casualties", current.incident_id, b.now))
        if state.type_code != current.type_code:
            self._retyped(b, current, state, device)
        b.pending[("incident", current.incident_id)] = state
        return state

    def _retyped(self, b: Batch, before: IncidentState, after: IncidentState, device: str) -> None:
        """A type change re-evaluates the running plan and says so on the response."""
        response = b.current("response", after.incident_id)
        if not isinstance(response, ResponseState) or not response.active:
            return
        try:
            fitting = self.services.plans.for_type(after.type_code).code
        except DomainError:
            fitting = ""
        if fitting == response.plan:
            return
        note = (
            f"事件类型已由 {before.type_code or '（无）'} 改为 {after.type_code}：正在执行的预案 "
            f"{response.plan} 不是新类型的预案{f' {fitting}' if fitting else ''}；"
            "请领导终止并按新类型重新启动响应"
        )
        b.pending[("response", after.incident_id)] = msgspec.structs.replace(
            response, warnings=[*response.warnings, note], updated=b.now
        )
        b.audits.append(AuditRecord(device, "plan_mismatch", after.incident_id, note))

    def transition(
        self, b: Batch, incident_id: str, to: str, note: str, device: str
    ) -> IncidentState:
        """Move an open incident along its lifecycle (domain rules), recording the step."""
        current = b.current("incident", incident_id)
        if not isinstance(current, IncidentState):
            raise Refusal("not_found", f"no open incident {incident_id!r}")
        try:
            check_transition(current.status, to, note)
        except DomainError as exc:
            raise Refusal("invalid", f"incident {incident_id}: {exc}") from None
        b.conn.execute(
            insert(IncidentTransitionRow).values(
                incident_id=incident_id,
                from_status=current.status,
                to_status=to,
                by=device,
                at=b.now,
                note=note,
            )
        )
        return current
