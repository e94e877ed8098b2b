"""Incident commands: declare (validated and graded), transition, override, close."""

from __future__ import annotations

import json
from datetime import datetime
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
from shared.hub.common import (
    HandlerBase,
    Pending,
    Refusal,
)
from shared.protocol import (
    IncidentClose,
    IncidentDeclare,
    IncidentState,
    IncidentTransition,
    LevelOverride,
    Message,
    ReportState,
)
from shared.protocol.state import MonitorAlarmState, WarningState
from shared.store.audit import AuditRecord
from shared.store.models import (
    Incident,
    IncidentTransitionRow,
)


class IncidentCommands(HandlerBase):
    """Incident handling of the persister (a mixin); the rules are the domain's."""

    def _incident_command(
        self,
        conn: Any,
        msg: Message,
        device: str,
        now: datetime,
        pending: Pending,
        audits: list[AuditRecord],
    ) -> None:
        match msg:
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
                    raise Refusal("not_found", f"no open incident {msg.incident_id!r}")
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
            case _:  # pragma: no cover - only incident kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not an incident command")

    def _declare(
        self,
        conn: Any,
        msg: IncidentDeclare,
        device: str,
        now: datetime,
        pending: Pending,
    ) -> None:
        """Create or update an incident; with a type, validate and grade it (domain rules)."""
        current = self._current(pending, "incident", msg.incident_id)
        assert current is None or isinstance(current, IncidentState)
        casualties = Casualties(
            msg.dead, msg.missing, msg.seriously_injured, msg.trapped, msg.evacuated
        )
        area = current.area if current else None
        try:
            warnings = check_place(msg.lat, msg.lon)
            if msg.area is not None:
                area, _km2, area_warnings = check_area(msg.area)
                warnings += [w for w in area_warnings if w not in warnings]
            graded = (
                grading_for(msg.type_code, casualties, msg.direct_loss_cny)
                if msg.type_code
                else None
            )
        except DomainError as exc:
            raise Refusal("invalid", str(exc)) from None
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
            "area": json.dumps(area) if area else "",
        }
        if msg.from_draft:
            # a monitoring alarm's draft (its point id) or an inbound warning's (warning:KEY)
            topic, key = (
                ("warning", msg.from_draft.removeprefix("warning:"))
                if msg.from_draft.startswith("warning:")
                else ("monitor", msg.from_draft)
            )
            draft = self._current(pending, topic, key)
            if not isinstance(draft, MonitorAlarmState | WarningState) or draft.draft is None:
                raise Refusal(
                    "not_found",
                    f"no incident draft {msg.from_draft!r} is waiting (its alarm may have "
                    "cleared, its warning expired, or it was confirmed already)",
                )
            if draft.confirmed_as:
                raise Refusal(
                    "invalid",
                    f"draft {msg.from_draft!r} was already confirmed as {draft.confirmed_as}",
                )
            values["draft_of"] = msg.from_draft
            pending[(topic, key)] = msgspec.structs.replace(draft, confirmed_as=msg.incident_id)
        if current is not None:
            conn.execute(
                update(Incident).where(Incident.incident_id == msg.incident_id).values(**values)
            )
        else:
            row = conn.execute(
                select(Incident.status).where(Incident.incident_id == msg.incident_id)
            ).first()
            if row is not None:
                raise Refusal("invalid", f"incident {msg.incident_id!r} is closed")
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
            area,
            msg.occurred or (current.occurred if current else None),
        )

    def _transition(
        self,
        conn: Any,
        incident_id: str,
        to: str,
        note: str,
        device: str,
        now: datetime,
        pending: Pending,
    ) -> IncidentState:
        """Move an open incident along its lifecycle (domain rules), recording the step."""
        current = self._current(pending, "incident", incident_id)
        if not isinstance(current, IncidentState):
            raise Refusal("not_found", f"no open incident {incident_id!r}")
        try:
            check_transition(current.status, to, note)
        except DomainError as exc:
            raise Refusal("invalid", f"incident {incident_id}: {exc}") from None
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
