"""CAP 1.2 (OASIS Common Alerting Protocol; China's GB/T 35965.1 follows it): the alert as
typed structs, written to XML and read back from XML.

Field names follow CAP's own (``identifier``, ``sent``, ``msg_type`` for ``msgType`` …). Times
are written with an offset, never ``Z`` (CAP forbids it), to the second. Polygons are WGS-84
``lat,lon`` pairs with the first point repeated last; circles ``lat,lon radius_km``.

Reading is lenient where CAP 1.1 and real services differ from the letter of 1.2 (several
services send CAP 1.1; some omit ``info``), strict where a missing value would mislead
(no identifier, no sender, no sent time, an unknown status).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from lxml import etree

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_NAMESPACES = (
    CAP_NS,
    "urn:oasis:names:tc:emergency:cap:1.1",
    "http://www.incident.com/cap/1.0",
)
CHINA_TIME = timezone(timedelta(hours=8), "CST")
"""UTC+8, the offset every Chinese CAP time carries (China keeps no summer time)."""

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
_RESTRICTED = re.compile(r"[\s,<&]")


class CapError(ValueError):
    """An alert that cannot be written or read; the message names the field."""


class Circle(msgspec.Struct, frozen=True):
    """A circle: centre (WGS-84) and radius in kilometres."""

    lat: float
    lon: float
    radius_km: float


class Area(msgspec.Struct, frozen=True, kw_only=True):
    """CAP ``area``: a description and any number of polygons, circles and geocodes."""

    area_desc: str
    polygons: list[list[tuple[float, float]]] = msgspec.field(default_factory=list)
    """Each polygon a ring of (lat, lon), closed (first point repeated last)."""
    circles: list[Circle] = msgspec.field(default_factory=list)
    geocodes: list[tuple[str, str]] = msgspec.field(default_factory=list)
    """(valueName, value) pairs, e.g. ("GB/T 2260", "131102")."""


class Resource(msgspec.Struct, frozen=True, kw_only=True):
    """CAP ``resource``: a file that goes with the alert (a photo, a report)."""

    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    digest: str | None = None
    """SHA-1 of the file, hex, as CAP 1.2 specifies."""


class Info(msgspec.Struct, frozen=True, kw_only=True):
    """CAP ``info``: what happened, how urgent, severe and certain, and where."""

    language: str = "zh-CN"
    category: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_type: list[str] = msgspec.field(default_factory=list)
    event_codes: list[tuple[str, str]] = msgspec.field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = msgspec.field(default_factory=list)
    resources: list[Resource] = msgspec.field(default_factory=list)
    areas: list[Area] = msgspec.field(default_factory=list)


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """CAP ``alert``."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = msgspec.field(default_factory=list)
    note: str = ""
    references: list[str] = msgspec.field(default_factory=list)
    """Earlier alerts this one follows, each ``sender,identifier,sent``."""
    incidents: list[str] = msgspec.field(default_factory=list)
    infos: list[Info] = msgspec.field(default_factory=list)

    def reference(self) -> str:
        """This alert as another alert's ``references`` entry."""
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"


def cap_time(when: datetime, tz: timezone = CHINA_TIME) -> str:
    """``when`` as CAP writes times: to the second, with an offset (``+08:00``), never ``Z``.

    Raises:
        CapError: a naive datetime (its offset would be a guess).
    """
    if when.tzinfo is None:
        raise CapError("CAP times need a time zone; got a naive datetime")
    return when.astimezone(tz).replace(microsecond=0).isoformat()


def parse_cap_time(text: str) -> datetime:
    """A CAP time (``2026-07-12T21:31:38+08:00``; ``Z`` and fractions tolerated on input).

    Raises:
        CapError: not a date-time with an offset.
    """
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CapError(f"not a CAP date-time: {value[:40]!r}") from None
    if when.tzinfo is None:
        raise CapError(f"CAP date-time without an offset: {value[:40]!r}")
    return when


def _fmt_point(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}".replace(".000000", ".0")


def _check_token(name: str, value: str) -> None:
    if not value or _RESTRICTED.search(value):
        raise CapError(f"{name} {value!r} must be non-empty without spaces, commas, < or &")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise CapError(f"{name} {value!r} is not one of {', '.join(allowed)}")


def alert_element(alert: Alert) -> Any:
    """The alert as an lxml element in the CAP 1.2 namespace, in the schema's order.

    Raises:
        CapError: a value CAP does not allow (a restricted character in the identifier, an
            unknown status, an open polygon, a naive time …).
    """
    _check_token("identifier", alert.identifier)
    _check_token("sender", alert.sender)
    _one_of("status", alert.status, STATUSES)
    _one_of("msgType", alert.msg_type, MSG_TYPES)
    _one_of("scope", alert.scope, SCOPES)
    if alert.scope == "Restricted" and not alert.restriction:
        raise CapError("scope Restricted needs a restriction text")
    if alert.scope == "Private" and not alert.addresses:
        raise CapError("scope Private needs addresses")
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})

    def sub(parent: Any, name: str, text: str | None) -> Any:
        el = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
        if text is not None:
            el.text = text
        return el

    sub(root, "identifier", alert.identifier)
    sub(root, "sender", alert.sender)
    sub(root, "sent", cap_time(alert.sent))
    sub(root, "status", alert.status)
    sub(root, "msgType", alert.msg_type)
    if alert.source:
        sub(root, "source", alert.source)
    sub(root, "scope", alert.scope)
    if alert.restriction:
        sub(root, "restriction", alert.restriction)
    if alert.addresses:
        sub(root, "addresses", alert.addresses)
    for code in alert.codes:
        sub(root, "code", code)
    if alert.note:
        sub(root, "note", alert.note)
    if alert.references:
        sub(root, "references", " ".join(alert.references))
    if alert.incidents:
        sub(root, "incidents", " ".join(alert.incidents))
    for info in alert.infos:
        _info_element(info, root, sub)
    return root


def _info_element(info: Info, root: Any, sub: Any) -> None:
    if not info.category:
        raise CapError("info needs at least one category")
    _one_of("urgency", info.urgency, URGENCIES)
    _one_of("severity", info.severity, SEVERITIES)
    _one_of("certainty", info.certainty, CERTAINTIES)
    el = sub(root, "info", None)
    sub(el, "language", info.language)
    for category in info.category:
        sub(el, "category", category)
    sub(el, "event", info.event)
    for response in info.response_type:
        sub(el, "responseType", response)
    sub(el, "urgency", info.urgency)
    sub(el, "severity", info.severity)
    sub(el, "certainty", info.certainty)
    for name, value in info.event_codes:
        code = sub(el, "eventCode", None)
        sub(code, "valueName", name)
        sub(code, "value", value)
    for name in ("effective", "onset", "expires"):
        when = getattr(info, name)
        if when is not None:
            sub(el, name, cap_time(when))
    for name, tag in (
        ("sender_name", "senderName"),
        ("headline", "headline"),
        ("description", "description"),
        ("instruction", "instruction"),
        ("web", "web"),
        ("contact", "contact"),
    ):
        text = getattr(info, name)
        if text:
            sub(el, tag, text)
    for name, value in info.parameters:
        param = sub(el, "parameter", None)
        sub(param, "valueName", name)
        sub(param, "value", value)
    for res in info.resources:
        r = sub(el, "resource", None)
        sub(r, "resourceDesc", res.resource_desc)
        sub(r, "mimeType", res.mime_type)
        if res.size is not None:
            sub(r, "size", str(res.size))
        if res.uri:
            sub(r, "uri", res.uri)
        if res.digest:
            sub(r, "digest", res.digest)
    for area in info.areas:
        a = sub(el, "area", None)
        sub(a, "areaDesc", area.area_desc)
        for ring in area.polygons:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise CapError(
                    f"polygon of area {area.area_desc!r} must be closed with at least 4 points"
                )
            sub(a, "polygon", " ".join(_fmt_point(lat, lon) for lat, lon in ring))
        for c in area.circles:
            sub(a, "circle", f"{_fmt_point(c.lat, c.lon)} {c.radius_km:g}")
        for name, value in area.geocodes:
            code = sub(a, "geocode", None)
            sub(code, "valueName", name)
            sub(code, "value", value)


def alert_xml(alert: Alert) -> bytes:
    """The alert as a UTF-8 XML document."""
    return bytes(etree.tostring(alert_element(alert), xml_declaration=True, encoding="UTF-8"))
