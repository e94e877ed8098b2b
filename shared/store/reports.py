"""A report's conversions, each in one place: the message as it is stored (its row) and the
row as the hall sees it (its published state). The hub files a report with the first and
publishes it — and rebuilds it at start — with the second, so the two cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.protocol import AttachmentRef, SituationReport
from shared.protocol.state import ReportState
from shared.store.states import area_of, from_row


def report_row(
    msg: SituationReport,
    *,
    sender: str,
    exercise: bool,
    version: int,
    area: list[tuple[float, float]] | None,
) -> dict[str, Any]:
    """The ``reports`` row of ``msg`` (its place ``version`` among the incident's reports,
    ``area`` as checked)."""
    return {
        "msg_id": msg.id,
        "incident_id": msg.incident_id,
        "stage": msg.stage,
        "title": msg.title,
        "text": msg.text,
        "lat": msg.lat,
        "lon": msg.lon,
        "dead": msg.dead,
        "missing": msg.missing,
        "injured": msg.injured,
        "sender": sender,
        "sent": msg.sent,
        "exercise": exercise,
        "source": msg.source,
        "author": msg.author,
        "version": version,
        "area": json.dumps(area) if area else "",
    }


def report_state(row: Mapping[str, Any], attachments: list[AttachmentRef]) -> ReportState:
    """The published state of a ``reports`` row (a row's ``_mapping``, or a
    :func:`report_row`)."""
    return from_row(
        ReportState,
        row,
        report_id=row["msg_id"],
        attachments=attachments,
        area=area_of(row["area"]),
    )
