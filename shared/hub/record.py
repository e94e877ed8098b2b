"""An incident's whole record, read from the store (open or closed): the answer to
:class:`~shared.protocol.RecordQuery`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from shared.hub.common import HUB_NAME
from shared.protocol import IncidentRecord, RecordQuery, encode, new_id
from shared.store.models import (
    Incident,
    IncidentChange,
    IncidentTransitionRow,
    Order,
    OrderEvent,
    Report,
)

_CAP = 2000  # rows per part: a record is for reading, not for bulk export


def _row(row: Any, skip: tuple[str, ...] = ()) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in row._mapping.items():
        if key in skip:
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def stored_report_text(engine: Engine, report_id: str) -> str:
    """A report's full text from the store (the picture holds only its title)."""
    with engine.connect() as conn:
        text = conn.execute(select(Report.text).where(Report.msg_id == report_id).limit(1)).scalar()
    return str(text or "")


def _rows(
    conn: Any, model: Any, incident_id: str, order: Any, skip: tuple[str, ...]
) -> list[dict[str, object]]:
    """One part of the record: ``model``'s rows of the incident, oldest first."""
    return [
        _row(r, skip)
        for r in conn.execute(
            select(model.__table__)
            .where(model.incident_id == incident_id)
            .order_by(order)
            .limit(_CAP)
        )
    ]


def _json(text: str) -> object:
    return json.loads(text) if text else None


def read_record(engine: Engine, query: RecordQuery, now: datetime) -> bytes:
    """The encoded :class:`IncidentRecord` for ``query``."""
    incident_id = query.incident_id
    with engine.connect() as conn:
        inc = conn.execute(
            select(Incident.__table__).where(Incident.incident_id == incident_id)
        ).first()
        if inc is None:
            record = IncidentRecord(
                id=new_id(), sender=HUB_NAME, sent=now, ref=query.id, found=False
            )
            return encode(record)
        incident = _row(inc)
        if incident.get("area"):
            incident["area"] = json.loads(str(incident["area"]))
        changes = [
            row | {"before": _json(str(row["before"])), "after": _json(str(row["after"]))}
            for row in _rows(conn, IncidentChange, incident_id, IncidentChange.id, ())
        ]
        transitions = _rows(
            conn, IncidentTransitionRow, incident_id, IncidentTransitionRow.id, ("id",)
        )
        reports = _rows(conn, Report, incident_id, Report.version, ("id",))
        orders = []
        for o in conn.execute(
            select(Order.__table__).where(Order.incident_id == incident_id).limit(_CAP)
        ):
            events = [
                _row(e, ("id", "order_id"))
                for e in conn.execute(
                    select(OrderEvent.__table__)
                    .where(OrderEvent.order_id == o.order_id)
                    .order_by(OrderEvent.id)
                )
            ]
            orders.append(_row(o, ("msg_id",)) | {"events": events})
    record = IncidentRecord(
        id=new_id(),
        sender=HUB_NAME,
        sent=now,
        ref=query.id,
        found=True,
        incident=incident,
        changes=changes,
        transitions=transitions,
        reports=reports,
        orders=orders,
    )
    return encode(record)
