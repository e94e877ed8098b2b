"""Inbound warnings on the hub: stored as received, in the picture while in force.

An ``Alert`` adds a warning; an ``Update`` adds the new one and withdraws those it
references; a ``Cancel`` withdraws them. Expired warnings leave the picture at the next tick
and are not loaded at start. A warning that touches the city carries a draft incident.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import insert, select

from shared.hub.common import Batch, Refusal
from shared.protocol import ExternalWarning, Message
from shared.protocol.state import WarningState
from shared.relay.inbound.warnings import (
    WarningSettings,
    draft_for,
    load_warning_settings,
    warning_key,
)
from shared.store.audit import AuditRecord
from shared.store.models import ExternalWarningRow, Incident

_decoder = msgspec.json.Decoder(ExternalWarning)


@cache
def _settings() -> WarningSettings:
    return load_warning_settings()


def warning_state(msg: ExternalWarning, device: str, received: datetime) -> WarningState:
    """The picture's view of a received warning (with its draft when it touches the city)."""
    touches, draft = draft_for(msg.areas, msg.event, msg.headline, msg.category, _settings())
    return WarningState(
        key=warning_key(msg.cap_sender, msg.identifier),
        identifier=msg.identifier,
        cap_sender=msg.cap_sender,
        cap_sent=msg.cap_sent,
        msg_type=msg.msg_type,
        event=msg.event,
        severity=msg.severity,
        urgency=msg.urgency,
        certainty=msg.certainty,
        headline=msg.headline,
        received=received,
        description=msg.description,
        instruction=msg.instruction,
        sender_name=msg.sender_name,
        onset=msg.onset,
        expires=msg.expires,
        areas=msg.areas,
        source=msg.source,
        device=device,
        touches_city=touches,
        draft=draft,
        exercise=msg.exercise,
    )


def _withdrawn(msg: ExternalWarning) -> list[str]:
    keys = []
    for ref in msg.references:
        parts = ref.split(",")
        if len(parts) >= 2:
            keys.append(warning_key(parts[0], parts[1]))
    return keys


class WarningHandler:
    """The ``warning`` message kind."""

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        if not isinstance(msg, ExternalWarning):  # pragma: no cover - routed by kind
            raise Refusal("invalid", f"{type(msg).__name__} is not a warning")
        key = warning_key(msg.cap_sender, msg.identifier)
        b.conn.execute(
            insert(ExternalWarningRow).values(
                msg_id=msg.id,
                key=key,
                identifier=msg.identifier,
                cap_sender=msg.cap_sender,
                cap_sent=msg.cap_sent,
                msg_type=msg.msg_type,
                expires=msg.expires,
                received=b.now,
                device=device,
                body=msgspec.json.encode(msg).decode(),
            )
        )
        for old in _withdrawn(msg):
            if b.current("warning", old) is not None:
                b.pending[("warning", old)] = None
        if msg.msg_type != "Cancel" and (msg.expires is None or msg.expires > b.now):
            b.pending[("warning", key)] = warning_state(msg, device, b.now)
        b.audits.append(
            AuditRecord(
                device, "warning", key, f"{msg.msg_type} {msg.event} from {msg.cap_sender}"[:500]
            )
        )


def load_warnings(conn: Any, now: datetime) -> dict[str, WarningState]:
    """The warnings in force, rebuilt from every one received (at hub start)."""
    live: dict[str, WarningState] = {}
    for row in conn.execute(
        select(
            ExternalWarningRow.body, ExternalWarningRow.device, ExternalWarningRow.received
        ).order_by(ExternalWarningRow.id)
    ).all():
        msg = _decoder.decode(row.body)
        for old in _withdrawn(msg):
            live.pop(old, None)
        if msg.msg_type != "Cancel":
            live[warning_key(msg.cap_sender, msg.identifier)] = warning_state(
                msg, row.device, row.received
            )
    confirmed = dict(
        conn.execute(
            select(Incident.draft_of, Incident.incident_id).where(
                Incident.draft_of.like("warning:%")
            )
        ).all()
    )
    out = {}
    for key, w in live.items():
        if w.expires is not None and w.expires <= now:
            continue
        by = confirmed.get(f"warning:{key}")
        out[key] = msgspec.structs.replace(w, confirmed_as=by) if by else w
    return out


def expired_warnings(items: dict[str, Any], now: datetime) -> list[str]:
    """Keys of the warnings in ``items`` that have expired by ``now``."""
    return [
        k
        for k, w in items.items()
        if isinstance(w, WarningState) and w.expires is not None and w.expires <= now
    ]
