"""Bringing a verified exchange bundle into a hub, through the hub's own request path (so
roles, validation, the audit log and the picture all apply as for any other report).

The incident is declared (or its facts updated), attachments uploaded, each report version
submitted in order as a written report whose author names the bundle's origin, the source's
orders written into the duty log with every answer, and a closed incident closed. Message ids
derive from the bundle and the item, so importing the same bundle twice changes nothing the
second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.client import HubClient, upload
from shared.protocol import DutyLogEntry, IncidentClose, IncidentDeclare, SituationReport, utcnow
from shared.relay.exchange.bundle import VerifiedBundle, import_ids

_STATUSES = ("reported", "verified", "responding", "stabilised")
_TRANSITIONERS = ("county", "duty-officer", "leader")


async def import_bundle(
    client: HubClient,
    verified: VerifiedBundle,
    *,
    progress: Callable[[str], None] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Submit the bundle's incident, attachments and reports; a JSON-able summary.

    Raises:
        ValueError: the hub refused something (the message names it and says why).
        TimeoutError: the hub did not answer in time (what was submitted stays queued).
    """
    b = verified.bundle
    inc = b.incident
    say = progress or (lambda _text: None)

    async def send(msg: Any) -> str:
        error = await client.submit_and_wait(msg, timeout)
        if error is None:
            return "stored"
        if "already" in error.detail:
            return "already"
        if error.code == "conflict" and isinstance(msg, IncidentDeclare):
            return "exists"  # held here already: its facts stay, the reports add to them
        if error.code == "forbidden" and isinstance(msg, DutyLogEntry):
            return "forbidden"  # a role that keeps no duty log: the orders are left out
        raise ValueError(f"{type(msg).__name__} {msg.id}: the hub refused it: {error.detail}")

    def make(cls: Any, item: str, **fields: Any) -> Any:
        fields.setdefault("exercise", inc.exercise)
        return cls(
            id=import_ids(b.bundle_id, item, client.bundle.keys.secret),
            sender=client.bundle.device,
            sent=utcnow(),
            **fields,
        )

    say(f"incident {inc.incident_id}")
    await send(
        make(
            IncidentDeclare,
            "incident",
            incident_id=inc.incident_id,
            title=inc.title,
            lat=inc.lat,
            lon=inc.lon,
            level=inc.level if not inc.type_code else None,
            division=inc.division,
            # the importer's role decides, as for anything it sends: a field device's
            # incident starts as reported, whatever the other network had made of it
            status=(inc.status if inc.status in _STATUSES else "stabilised")
            if client.bundle.role in _TRANSITIONERS
            else "reported",
            type_code=inc.type_code,
            occurred=inc.occurred,
            dead=inc.dead,
            missing=inc.missing,
            seriously_injured=inc.seriously_injured,
            trapped=inc.trapped,
            evacuated=inc.evacuated,
            direct_loss_cny=inc.direct_loss_cny,
            area=inc.area,
        )
    )
    uploaded = 0
    for i, (digest, data) in enumerate(sorted(verified.attachments.items()), start=1):
        say(f"attachment {i}/{len(verified.attachments)} ({len(data)} bytes)")
        name = next(
            (a.name for r in b.reports for a in r.attachments if a.sha256 == digest), digest
        )
        media = next(
            (a.media_type for r in b.reports for a in r.attachments if a.sha256 == digest), ""
        )
        await upload(client, data, name=name, media_type=media, timeout=timeout * 5)
        uploaded += 1
    results = []
    for rep in b.reports:
        say(f"report {rep.version} ({rep.stage})")
        author = f"{rep.author or rep.sender}（经交换包 {b.bundle_id} 自 {b.origin}）"[:512]
        results.append(
            await send(
                make(
                    SituationReport,
                    f"report:{rep.report_id}",
                    incident_id=inc.incident_id,
                    stage=rep.stage,
                    title=rep.title,
                    text=rep.text,
                    lat=rep.lat,
                    lon=rep.lon,
                    dead=rep.dead,
                    missing=rep.missing,
                    injured=rep.injured,
                    source="written",
                    author=author,
                    attachments=rep.attachments,
                    area=rep.area,
                    exercise=rep.exercise,
                )
            )
        )
    # The source's orders are not orders here: their every word goes into the duty log,
    # one line per order, against the incident (a role that keeps no duty log skips them).
    logged = 0
    for order in b.orders:
        answers = "；".join(
            f"{s.at.astimezone():%m-%d %H:%M} {s.to_state}"
            + (f"（{s.person}）" if s.person else "")
            + (f"：{s.note}" if s.note else "")
            for s in order.steps
        )
        text = (
            f"交换包 {b.bundle_id} 自 {b.origin}：指令 {order.order_id} 由 {order.issued_by} "
            f"下达给 {order.recipient}「{order.text}」，现为 {order.state}"
            + (f"（{order.note}）" if order.note else "")
            + (f"。过程：{answers}" if answers else "")
        )[:4096]
        line = make(
            DutyLogEntry,
            f"order:{order.order_id}",
            text=text,
            category="report",
            incident_id=inc.incident_id,
            author=f"经交换包 自 {b.origin}"[:64],
        )
        if await send(line) == "forbidden":
            break
        logged += 1
    if inc.status == "closed":
        reason = f"源网络已结束：{inc.closed_reason}"[:512]
        await send(make(IncidentClose, "close", incident_id=inc.incident_id, reason=reason))
    return {
        "bundle_id": b.bundle_id,
        "incident": inc.incident_id,
        "reports": len(results),
        "orders": len(b.orders),
        "orders_logged": logged,
        "attachments": uploaded,
        "origin": b.origin,
        "signer": verified.signer,
    }
