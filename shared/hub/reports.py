"""Reports and their attachments: chunks into the blob store, reports as new versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import func, insert, select, update

from shared.domain import DomainError, check_area
from shared.domain.authority import (
    CONFIRMING_ROLES,
    FACT_NAMES,
    FactChange,
    implausible_jump,
)
from shared.hub.common import HUB_NAME, STAGES_SETTLED, Batch, Refusal, Services
from shared.hub.incidents import HELD_MARK, IncidentHandler
from shared.protocol import (
    AttachmentChunk,
    AttachmentQuery,
    AttachmentStatus,
    IncidentState,
    Message,
    SituationReport,
    encode,
    new_id,
)
from shared.store.audit import AuditRecord
from shared.store.blobs import BlobError
from shared.store.models import Attachment, Incident, Report, ReportAttachment
from shared.store.reports import report_row, report_state

STAGE_NAMES = {"initial": "初报", "follow_up": "续报", "final": "终报"}


class ReportHandler:
    """The ``report`` and ``attachment`` kinds: chunks into the blob store, reports as new
    versions; the facts a report brings change its incident through the incident handler."""

    def __init__(self, services: Services, incidents: IncidentHandler) -> None:
        self.services = services
        self.incidents = incidents
        self._held_checked: set[str] = set()
        self._report_counts: dict[str, int] = {}
        """Reports stored per incident (filled on demand, moved on only by :meth:`committed`)."""

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case SituationReport():
                self._report(b, msg, device, role)
            case AttachmentChunk():
                self._attachment_chunk(b, msg, device)
            case _:  # pragma: no cover - only these kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not a report")

    @staticmethod
    def _hold(
        b: Batch, incident: IncidentState, held: list[FactChange], report_id: str, stage: str
    ) -> IncidentState:
        """Figures a report claims that need a confirming role: a warning on the incident
        (stored with it, shown in the hall) and an audit line; the figures stay as they were."""
        lines = [
            f"报告 {report_id} 称{FACT_NAMES[c.fact]} {c.after}（现为 {c.before or 0}），"
            f"增幅异常，{HELD_MARK}后更新"
            for c in held
        ]
        warnings = [*incident.warnings, *(w for w in lines if w not in incident.warnings)]
        b.conn.execute(
            update(Incident)
            .where(Incident.incident_id == incident.incident_id)
            .values(warnings="\n".join(warnings))
        )
        b.audits.append(
            AuditRecord(
                HUB_NAME,
                "figures_held",
                incident.incident_id,
                "; ".join(f"{c.fact} {c.before} -> {c.after} ({stage} {report_id})" for c in held),
            )
        )
        held_state = msgspec.structs.replace(incident, warnings=warnings)
        b.pending[("incident", incident.incident_id)] = held_state
        return held_state

    def committed(self, report_rows: list[dict[str, Any]]) -> None:
        """The batch's reports are stored: their versions count from now on."""
        for row in report_rows:
            self._report_counts[row["incident_id"]] = row["version"]

    def _attachment_chunk(self, b: Batch, msg: AttachmentChunk, device: str) -> None:
        """Write a chunk durably; on the last one, verify and record the attachment. A new
        upload must fit the device's limits (unfinished uploads, bytes in flight and held)."""
        if not self.services.blobs.exists(msg.sha256):
            why = self.services.uploads.admit(device, msg.sha256, msg.size, b.now)
            if why is None and msg.sha256 not in self._held_checked:
                why = self._held_limit(b, device, msg.size)
                if why is None:
                    self._held_checked.add(msg.sha256)
            if why is not None:
                self.services.uploads.finished(device, msg.sha256)
                raise Refusal("busy", why)
        try:
            complete = self.services.blobs.put_chunk(msg.sha256, msg.size, msg.offset, msg.data)
        except BlobError as exc:
            # still counted: its partial file stays for a resume (and a device must not be
            # able to leave partial files behind without limit by sending bad chunks)
            raise Refusal("invalid", str(exc)) from None
        if complete:
            self.services.uploads.finished(device, msg.sha256)
            self._held_checked.discard(msg.sha256)
            held = b.conn.execute(
                select(Attachment.sha256).where(Attachment.sha256 == msg.sha256)
            ).first()
            if held is None:
                b.conn.execute(
                    insert(Attachment).values(
                        sha256=msg.sha256, size=msg.size, stored_at=b.now, uploaded_by=device
                    )
                )

    def _held_limit(self, b: Batch, device: str, size: int) -> str | None:
        held = b.conn.execute(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(
                Attachment.uploaded_by == device
            )
        ).scalar_one()
        limit = self.services.uploads.limits.attachment_bytes
        if int(held) + size > limit:
            return (
                f"this device's attachments at the hub come to {held} bytes; with {size} more "
                f"they would pass the limit of {limit} bytes: ask the command hall"
            )
        return None

    def attachment_status(self, query: AttachmentQuery, now: datetime) -> bytes:
        """How many bytes of an attachment are held (to resume an upload)."""
        have, complete = self.services.blobs.have(query.sha256)
        return encode(
            AttachmentStatus(
                id=new_id(),
                sender=HUB_NAME,
                sent=now,
                ref=query.id,
                sha256=query.sha256,
                have=have,
                complete=complete,
            )
        )

    def _report(self, b: Batch, msg: SituationReport, device: str, role: str) -> None:
        """A new immutable report version on an open incident: its attachments must be
        whole; a report on a drill is a drill report; its casualty figures raise the
        incident's (never lower them) and regrade it."""
        self.incidents.confine(role, device, msg.incident_id)
        exercise = msg.exercise
        incident = b.current("incident", msg.incident_id)
        if not isinstance(incident, IncidentState):
            closed = b.conn.execute(
                select(Incident.closed_reason).where(Incident.incident_id == msg.incident_id)
            ).first()
            if closed is not None:
                raise Refusal(
                    "invalid",
                    f"incident {msg.incident_id} is closed ({closed[0] or 'no reason given'}): "
                    "a report on it is not taken; ask the duty officer to reopen it, or "
                    "declare a new incident",
                )
            raise Refusal(
                "not_found",
                f"no incident {msg.incident_id!r}: declare it first (incident declare), or "
                "check the id (incident list)",
            )
        if incident.exercise:
            exercise = True
        elif msg.exercise:
            raise Refusal(
                "invalid",
                f"incident {msg.incident_id} is real, not an exercise: a drill report "
                "cannot be filed on it; use the drill's own incident",
            )
        for ref in msg.attachments:
            have, complete = self.services.blobs.have(ref.sha256)
            if not complete:
                raise Refusal(
                    "invalid",
                    f"attachment {ref.name!r} ({ref.sha256[:12]}…) is not uploaded: "
                    f"{have} of {ref.size} bytes held; finish the upload, then resend the report",
                )
            if have != ref.size:
                raise Refusal(
                    "invalid",
                    f"attachment {ref.name!r} is {have} bytes, not the {ref.size} the report says",
                )
        area = None
        if msg.area is not None:
            try:
                area, _km2, _warnings = check_area(msg.area)
            except DomainError as exc:
                raise Refusal("invalid", f"the sketched area: {exc}") from None
        # Its place in the incident's sequence: those stored, and those of this batch.
        stored = self._report_counts.get(msg.incident_id)
        if stored is None:
            stored = b.conn.execute(
                select(func.count())
                .select_from(Report)
                .where(Report.incident_id == msg.incident_id)
            ).scalar_one()
        version = 1 + stored + b.reports_per_incident[msg.incident_id]
        row = report_row(msg, sender=device, exercise=exercise, version=version, area=area)
        b.add_report(row)
        if msg.attachments:
            b.conn.execute(
                insert(ReportAttachment),
                [
                    {
                        "report_msg_id": msg.id,
                        "sha256": a.sha256,
                        "name": a.name,
                        "media_type": a.media_type,
                        "size": a.size,
                    }
                    for a in msg.attachments
                ],
            )
        b.pending[("report", msg.id)] = report_state(row, list(msg.attachments))
        detail = f"{msg.stage} v{version} {msg.id}"
        if msg.attachments:
            detail += f" +{len(msg.attachments)} attachments"
        b.audits.append(AuditRecord(device, "report", msg.incident_id, detail))
        for stage in STAGES_SETTLED.get(msg.stage, (msg.stage,)):
            b.ops.append(("filed", msg.incident_id, stage))
        # Facts from the report: higher figures raise the incident's (and regrade it); lower
        # ones are kept in the report and left for a duty officer to weigh.
        raised = [
            FactChange(fact, getattr(incident, fact), value)
            for fact, value in (("dead", msg.dead), ("missing", msg.missing))
            if value > getattr(incident, fact)
        ]
        if role not in CONFIRMING_ROLES:
            # an implausible jump on one device's word is kept in the report and shown on the
            # incident for a duty officer to confirm, not applied (a stolen key set dead to
            # 10,000,000); the report itself is stored as filed
            held = [c for c in raised if implausible_jump(c.before, c.after)]
            raised = [c for c in raised if c not in held]
            if held:
                incident = self._hold(b, incident, held, msg.id, msg.stage)
        if raised:
            self.incidents.apply_facts(
                b,
                incident,
                raised,
                device,
                "report",
                f"{STAGE_NAMES.get(msg.stage, msg.stage)} {msg.id}",
            )
