"""Inbound warnings: CAP documents from the meteorological and earthquake services read
safely into :class:`~shared.protocol.ExternalWarning` messages, and what the hub makes of them.

A document may be a CAP alert (1.0, 1.1 or 1.2), an EDXL-DE envelope carrying CAP alerts, or
an Atom feed whose entries carry CAP inline (entries that only link to CAP are listed for the
poller to fetch). Every CAP alert (1.2, 1.1, 1.0) is validated against its OASIS schema.
Refused, with the reason: anything :func:`~shared.relay.formats.safexml.parse_untrusted` refuses,
schema problems, msgType Ack/Error, status System/Test/Draft (not warnings for a map), and
alerts already expired.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from datetime import datetime
from typing import Any

import msgspec
from shapely.geometry import Point, Polygon, box

from shared.data import load_toml
from shared.protocol.messages import WarningArea
from shared.protocol.state import IncidentDraft
from shared.relay.formats.cap import Alert, CapError, Info
from shared.relay.formats.cap_read import is_cap, read_alert
from shared.relay.formats.edxl import EDXL_NS
from shared.relay.formats.safexml import XmlRejected, local_name, namespace, parse_untrusted
from shared.relay.formats.schemas import Schemas

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_WARNING_BYTES = 2 * 1024 * 1024
MAX_WARNING_DEPTH = 32


class WarningRule(msgspec.Struct, frozen=True):
    """Words that name an incident type."""

    words: list[str]
    type: str


class WarningSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``shared/data/warnings.toml``."""

    city_bbox: tuple[float, float, float, float]
    rules: list[WarningRule]
    category: dict[str, str] = msgspec.field(default_factory=dict)


def load_warning_settings(text: str | None = None) -> WarningSettings:
    """The packaged ``warnings.toml`` (or ``text``)."""
    return load_toml("warnings.toml", WarningSettings, text)


class Ingested(msgspec.Struct, frozen=True, kw_only=True):
    """One alert found in a document: accepted with the message fields, or refused."""

    accepted: bool
    reason: str = ""
    identifier: str = ""
    sender: str = ""
    event: str = ""
    msg_type: str = ""
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    """Keyword arguments for ``client.make(ExternalWarning, **fields)``."""
    link: str = ""
    """An Atom entry's link to a CAP document (for the poller to fetch)."""


def warning_key(cap_sender: str, identifier: str) -> str:
    """The key of a warning in the picture: a digest of its CAP sender and identifier."""
    return "w-" + hashlib.sha256(f"{cap_sender},{identifier}".encode()).hexdigest()[:20]


def read_document(
    data: bytes, *, schemas: Schemas | None, now: datetime, source: str = ""
) -> list[Ingested]:
    """Every alert in one document, each accepted or refused with its reason.

    A document that cannot be read at all gives one refused entry saying why; nothing in
    ``data`` makes this raise.
    """
    try:
        return _read_document(data, schemas=schemas, now=now, source=source)
    except Exception as exc:  # the last line: whatever the reading raised, this document only
        log.warning("warning document unreadable", exc_info=True)
        return [Ingested(accepted=False, reason=f"unreadable ({type(exc).__name__}: {exc!s:.160})")]


def _read_document(
    data: bytes, *, schemas: Schemas | None, now: datetime, source: str
) -> list[Ingested]:
    try:
        root = parse_untrusted(data, max_bytes=MAX_WARNING_BYTES, max_depth=MAX_WARNING_DEPTH)
    except XmlRejected as exc:
        return [Ingested(accepted=False, reason=exc.reason)]
    if is_cap(root):
        return [_one(root, schemas, now, source)]
    name, ns = local_name(root), namespace(root)
    if name == "EDXLDistribution" and ns == EDXL_NS:
        if schemas is not None and (problems := schemas.problems(root)):
            return [Ingested(accepted=False, reason="; ".join(problems[:5]))]
        alerts = [doc for emb in root.iter(f"{{{EDXL_NS}}}embeddedXMLContent") for doc in emb]
        found = [_one(a, schemas, now, source) for a in alerts if is_cap(a)]
        return found or [Ingested(accepted=False, reason="EDXL-DE envelope without a CAP alert")]
    if name == "feed" and ns == ATOM_NS:
        return _feed(root, schemas, now, source)
    return [Ingested(accepted=False, reason=f"not CAP, EDXL-DE or Atom: root {name!r} ({ns!r})")]


def _feed(root: Any, schemas: Schemas | None, now: datetime, source: str) -> list[Ingested]:
    out: list[Ingested] = []
    for entry in root.iterchildren(f"{{{ATOM_NS}}}entry"):
        inline = [a for a in entry.iter() if is_cap(a)]
        if inline:
            out += [_one(a, schemas, now, source) for a in inline]
            continue
        links = [
            ln.get("href", "")
            for ln in entry.iterchildren(f"{{{ATOM_NS}}}link")
            if ln.get("href") and "cap" in (ln.get("type") or "") + (ln.get("href") or "").lower()
        ]
        links = links or [
            ln.get("href", "") for ln in entry.iterchildren(f"{{{ATOM_NS}}}link") if ln.get("href")
        ]
        title = entry.findtext(f"{{{ATOM_NS}}}title") or ""
        out.append(
            Ingested(
                accepted=False,
                reason="entry links to its CAP document (the poller fetches it)",
                event=title.strip()[:200],
                link=links[0] if links else "",
            )
        )
    return out or [Ingested(accepted=False, reason="Atom feed without entries")]


def _one(element: Any, schemas: Schemas | None, now: datetime, source: str) -> Ingested:
    """One alert of a document; whatever goes wrong refuses this alert, not its neighbours."""
    try:
        return _alert(element, schemas, now, source)
    except Exception as exc:
        log.warning("alert unreadable", exc_info=True)
        return Ingested(
            accepted=False, reason=f"unreadable alert ({type(exc).__name__}: {exc!s:.160})"
        )


def _alert(element: Any, schemas: Schemas | None, now: datetime, source: str) -> Ingested:
    if schemas is not None:
        # A copy is a document of its own (validating in place would check the envelope):
        # copying the tree, unlike writing it out and parsing it again, cannot fail.
        standalone = copy.deepcopy(element)
        if problems := schemas.problems(standalone):
            return Ingested(accepted=False, reason="; ".join(problems[:5]))
    try:
        alert = read_alert(element)
    except CapError as exc:
        return Ingested(accepted=False, reason=str(exc))

    def verdict(
        accepted: bool, reason: str, event: str = "", fields: dict[str, Any] | None = None
    ) -> Ingested:
        return Ingested(
            accepted=accepted,
            reason=reason,
            identifier=alert.identifier,
            sender=alert.sender,
            event=event,
            msg_type=alert.msg_type,
            fields=fields or {},
        )

    if alert.msg_type not in ("Alert", "Update", "Cancel"):
        return verdict(False, f"msgType {alert.msg_type} is not a warning")
    if alert.status not in ("Actual", "Exercise"):
        return verdict(False, f"status {alert.status}: not a warning for the map")
    info = _pick_info(alert)
    event = info.event if info else ""
    if info is not None and info.expires is not None and info.expires <= now:
        return verdict(False, f"expired at {info.expires.isoformat()}", event)
    fields = _fields(alert, info, source)
    reason = (
        ""
        if any(a.polygons or a.circles for a in fields["areas"])
        else "no geometry: listed, not drawn"
    )
    return verdict(True, reason, event, fields)


def _pick_info(alert: Alert) -> Info | None:
    for info in alert.infos:
        if info.language.lower().startswith("zh"):
            return info
    return alert.infos[0] if alert.infos else None


def _fields(alert: Alert, info: Info | None, source: str) -> dict[str, Any]:
    areas = []
    for info_ in [info] if info else []:
        for a in info_.areas[:32]:
            areas.append(
                WarningArea(
                    desc=a.area_desc[:512],
                    polygons=[p for p in a.polygons if len(p) <= 20_000][:64],
                    circles=[(c.lat, c.lon, c.radius_km) for c in a.circles][:64],
                    geocodes=[(n[:512], v[:512]) for n, v in a.geocodes][:256],
                )
            )
    return {
        "identifier": alert.identifier[:255],
        "cap_sender": alert.sender[:255],
        "cap_sent": alert.sent,
        "msg_type": alert.msg_type,
        "exercise": alert.status == "Exercise",
        "event": (info.event if info else "")[:512],
        "category": [c[:512] for c in (info.category if info else [])][:12],
        "severity": info.severity if info else "Unknown",
        "urgency": info.urgency if info else "Unknown",
        "certainty": info.certainty if info else "Unknown",
        "headline": (info.headline if info else "")[:512],
        "description": (info.description if info else "")[:65536],
        "instruction": (info.instruction if info else "")[:65536],
        "sender_name": (info.sender_name if info else "")[:512],
        "onset": info.onset if info else None,
        "expires": info.expires if info else None,
        "areas": areas,
        "references": [r[:512] for r in alert.references][:64],
        "source": source[:512],
    }


def draft_for(
    areas: list[WarningArea],
    event: str,
    headline: str,
    category: list[str],
    settings: WarningSettings,
) -> tuple[bool, IncidentDraft | None]:
    """Whether the warning touches the city, and the incident a duty officer may confirm."""
    south, west, north, east = settings.city_bbox
    city = box(west, south, east, north)
    shapes = []
    for a in areas:
        for ring in a.polygons:
            poly = Polygon([(lon, lat) for lat, lon in ring])
            shapes.append(poly if poly.is_valid else poly.buffer(0))
        for lat, lon, radius_km in a.circles:
            shapes.append(Point(lon, lat).buffer(max(radius_km, 0.1) / 111.0))
    touching = [s for s in shapes if not s.is_empty and s.intersects(city)]
    if not touching:
        return False, None
    where = touching[0].intersection(city).representative_point()
    text = f"{event} {headline}".lower()
    type_code = ""
    for rule in settings.rules:
        if any(w.lower() in text for w in rule.words):
            type_code = rule.type
            break
    if not type_code:
        type_code = next((settings.category[c] for c in category if c in settings.category), "")
    title = (headline or event or "外部预警")[:200]
    return True, IncidentDraft(
        type_code=type_code, title=title, lat=round(where.y, 6), lon=round(where.x, 6)
    )
