"""Actions every front end offers the same way (window, command line, field client)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.client.attachments import upload
from shared.client.client import HubClient
from shared.protocol import (
    DispatchOrder,
    DutyLogEntry,
    Error,
    IncidentDeclare,
    IncidentDraft,
    IncidentRecord,
    Message,
    RecordQuery,
    ResponseCommand,
    SituationReport,
    new_id,
)


async def act(
    client: HubClient, kind: type[Message], timeout: float = 10.0, **fields: Any
) -> str | None:
    """Send one message of ``kind`` made from ``fields`` (a transition, an override, a
    close …) and wait: None when the hub stored it, else the hub's reason for refusing.

    Raises:
        TimeoutError: no answer in time (the message stays queued in the durable outbox).
    """
    error = await client.submit_and_wait(client.make(kind, **fields), timeout)
    return None if error is None else error.detail


def new_incident_id(now: datetime) -> str:
    """An incident id a duty officer can read out on the phone: HS-20261129-0K3F9A
    (the local date and six characters of a fresh unique id)."""
    return f"HS-{now.astimezone():%Y%m%d}-{new_id()[-6:]}"


async def take_call(
    client: HubClient,
    declare: IncidentDeclare,
    *,
    source: str = "",
    caller: str = "",
    phone: str = "",
    text: str = "",
    timeout: float = 10.0,
) -> tuple[bool, str | None]:
    """接报登记: declare the incident a call (or a walk-in, a department …) tells of, then
    file what the caller said as its first report (初报) from ``source`` (without a
    source: only the declaration). Returns (whether the incident is declared, None when
    all is stored else the hub's reason) — a declared incident whose 初报 was refused must
    not be declared again.

    Raises:
        TimeoutError: no answer in time (what was sent stays queued in the outbox).
    """
    error = await client.submit_and_wait(declare, timeout)
    if error is not None:
        return False, error.detail
    if not source:
        return True, None
    words = [text.strip()]
    if caller or phone:
        words.append("报告人：" + "，".join(w for w in (caller.strip(), phone.strip()) if w))
    report = client.make(
        SituationReport,
        incident_id=declare.incident_id,
        stage="initial",
        title=declare.title,
        text="\n".join(w for w in words if w),
        source=source,
        author=caller.strip(),
        dead=declare.dead,
        missing=declare.missing,
        injured=declare.seriously_injured,
    )
    error = await client.submit_and_wait(report, timeout)
    return True, (None if error is None else error.detail)


async def read_record(
    client: HubClient, incident_id: str, timeout: float = 10.0
) -> IncidentRecord | str:
    """An incident's whole record from the store, open or closed, or why not (the hub's
    refusal, or that there is no such incident).

    Raises:
        TimeoutError: no answer in time.
    """
    reply = await client.request(client.make(RecordQuery, incident_id=incident_id), timeout)
    if isinstance(reply, Error):
        return reply.detail
    assert isinstance(reply, IncidentRecord)
    if not reply.found:
        return f"no incident {incident_id!r} in the record, open or closed"
    return reply


async def issue_order(
    client: HubClient,
    recipient: str,
    text: str,
    incident_id: str | None = None,
    *,
    fallback: str | None = None,
    timeout: float = 10.0,
) -> tuple[str, str | None]:
    """Issue a dispatch order with a fresh id; returns (order id, None when the hub stored
    it, or the hub's reason for refusing it).

    Raises:
        TimeoutError: no answer in time (the order stays queued in the durable outbox).
    """
    order_id = f"O-{new_id()}"
    msg = client.make(
        DispatchOrder,
        order_id=order_id,
        recipient=recipient,
        text=text,
        incident_id=incident_id,
        fallback=fallback,
    )
    error = await client.submit_and_wait(msg, timeout)
    return order_id, (None if error is None else error.detail)


async def respond(
    client: HubClient,
    incident_id: str,
    action: str,
    level: int | None = None,
    *,
    plan: str = "",
    reason: str = "",
    timeout: float = 10.0,
) -> str | None:
    """Activate, raise, lower or end an incident's response (leaders); None when the hub
    stored it, else its reason for refusing.

    Raises:
        TimeoutError: no answer in time (the command stays queued in the durable outbox).
    """
    msg = client.make(
        ResponseCommand,
        incident_id=incident_id,
        action=action,
        level=level,
        plan=plan,
        reason=reason,
    )
    error = await client.submit_and_wait(msg, timeout)
    return None if error is None else error.detail


async def write_duty_log(
    client: HubClient,
    text: str,
    category: str = "note",
    *,
    incident_id: str | None = None,
    author: str = "",
    timeout: float = 10.0,
) -> str | None:
    """Add a line to the duty log; None when the hub stored it, else its reason.

    Raises:
        TimeoutError: no answer in time (the line stays queued in the durable outbox).
    """
    msg = client.make(
        DutyLogEntry, text=text, category=category, incident_id=incident_id, author=author
    )
    error = await client.submit_and_wait(msg, timeout)
    return None if error is None else error.detail


async def confirm_draft(
    client: HubClient,
    draft_of: str,
    draft: IncidentDraft,
    *,
    incident_id: str | None = None,
    timeout: float = 10.0,
) -> tuple[str, str | None]:
    """Declare the incident a monitoring alarm or an inbound warning drafted (``draft_of``:
    the monitoring point's id, or ``warning:KEY``); returns (incident id, None when stored
    or the hub's reason for refusing, e.g. already confirmed).

    Raises:
        TimeoutError: no answer in time (the declaration stays queued in the outbox).
    """
    incident_id = incident_id or f"INC-{new_id()}"
    msg = client.make(
        IncidentDeclare,
        incident_id=incident_id,
        title=draft.title,
        lat=draft.lat,
        lon=draft.lon,
        type_code=draft.type_code,
        division=draft.division,
        from_draft=draft_of,
    )
    error = await client.submit_and_wait(msg, timeout)
    return incident_id, (None if error is None else error.detail)


async def file_written_report(
    client: HubClient,
    incident_id: str,
    document: bytes,
    *,
    name: str,
    stage: str = "follow_up",
    title: str = "书面报告",
    media_type: str = "application/pdf",
    timeout: float = 60.0,
) -> tuple[str, str | None]:
    """File a written report (the official PDF, say) on an incident: the document is
    uploaded and carried by a report of ``stage`` (the relay sends it up with it). Returns
    (report id, None when stored, else the hub's reason).

    Raises:
        UploadError: the hub refused the document (too large, say).
        TimeoutError: no answer in time (what was sent stays queued in the outbox).
    """
    ref = await upload(client, document, name=name, media_type=media_type, timeout=timeout)
    msg = client.make(
        SituationReport,
        incident_id=incident_id,
        stage=stage,
        title=title,
        source="written",
        attachments=[ref],
    )
    error = await client.submit_and_wait(msg, timeout)
    return msg.id, (None if error is None else error.detail)
