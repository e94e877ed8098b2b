"""Reading CAP alerts (1.0, 1.1, 1.2) from elements already parsed safely.

Strict about what a reader needs to trust an alert (identifier, sender, sent with an
offset, a known status and msgType); tolerant of what real services do differently (CAP
1.1's namespace, ``Z`` times, missing optional parts, polygons with extra spaces). Values
outside their ranges (a latitude of 200) are refused with the field named.
"""

from __future__ import annotations

from typing import Any

from shared.relay.formats.cap import (
    CAP_NAMESPACES,
    CERTAINTIES,
    MSG_TYPES,
    SCOPES,
    SEVERITIES,
    STATUSES,
    URGENCIES,
    Alert,
    Area,
    CapError,
    Circle,
    Info,
    Resource,
    parse_cap_time,
)
from shared.relay.formats.safexml import local_name, namespace

MAX_POLYGON_POINTS = 20_000


def is_cap(element: Any) -> bool:
    """Whether ``element`` is a CAP ``alert`` of a known version."""
    return local_name(element) == "alert" and namespace(element) in CAP_NAMESPACES


def read_alert(element: Any) -> Alert:
    """The alert held by ``element``.

    Raises:
        CapError: not a CAP alert, or a required field missing or out of range (named).
    """
    if not is_cap(element):
        raise CapError(
            f"not a CAP alert: root element {local_name(element)!r} "
            f"in namespace {namespace(element)!r}"
        )
    ns = namespace(element)
    r = _Reader(ns)
    status = r.required(element, "status")
    msg_type = r.required(element, "msgType")
    scope = r.text(element, "scope") or "Public"
    if status not in STATUSES:
        raise CapError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if msg_type not in MSG_TYPES:
        raise CapError(f"msgType {msg_type!r} is not one of {', '.join(MSG_TYPES)}")
    if scope not in SCOPES:
        raise CapError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    return Alert(
        identifier=r.required(element, "identifier"),
        sender=r.required(element, "sender"),
        sent=parse_cap_time(r.required(element, "sent")),
        status=status,
        msg_type=msg_type,
        scope=scope,
        source=r.text(element, "source"),
        restriction=r.text(element, "restriction"),
        addresses=r.text(element, "addresses"),
        codes=r.texts(element, "code"),
        note=r.text(element, "note"),
        references=r.text(element, "references").split(),
        incidents=r.text(element, "incidents").split(),
        infos=[_info(r, el) for el in r.children(element, "info")],
    )


class _Reader:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def children(self, parent: Any, name: str) -> list[Any]:
        return list(parent.iterchildren(f"{{{self.ns}}}{name}"))

    def text(self, parent: Any, name: str) -> str:
        el = parent.find(f"{{{self.ns}}}{name}")
        return (el.text or "").strip() if el is not None else ""

    def texts(self, parent: Any, name: str) -> list[str]:
        return [(el.text or "").strip() for el in self.children(parent, name)]

    def required(self, parent: Any, name: str) -> str:
        value = self.text(parent, name)
        if not value:
            raise CapError(f"required element {name!r} is missing or empty")
        return value

    def pairs(self, parent: Any, name: str) -> list[tuple[str, str]]:
        return [
            (self.text(el, "valueName"), self.text(el, "value"))
            for el in self.children(parent, name)
        ]


def _enum(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise CapError(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def _info(r: _Reader, el: Any) -> Info:
    def when(name: str) -> Any:
        text = r.text(el, name)
        return parse_cap_time(text) if text else None

    return Info(
        language=r.text(el, "language") or "en-US",
        category=r.texts(el, "category") or ["Other"],
        event=r.text(el, "event"),
        urgency=_enum(r.text(el, "urgency") or "Unknown", URGENCIES, "urgency"),
        severity=_enum(r.text(el, "severity") or "Unknown", SEVERITIES, "severity"),
        certainty=_enum(_certainty(r.text(el, "certainty")), CERTAINTIES, "certainty"),
        response_type=r.texts(el, "responseType"),
        event_codes=r.pairs(el, "eventCode"),
        effective=when("effective"),
        onset=when("onset"),
        expires=when("expires"),
        sender_name=r.text(el, "senderName"),
        headline=r.text(el, "headline"),
        description=r.text(el, "description"),
        instruction=r.text(el, "instruction"),
        web=r.text(el, "web"),
        contact=r.text(el, "contact"),
        parameters=r.pairs(el, "parameter"),
        resources=[_resource(r, res) for res in r.children(el, "resource")],
        areas=[_area(r, a) for a in r.children(el, "area")],
    )


def _certainty(value: str) -> str:
    # CAP 1.0 had "Very Likely"; 1.1 deprecated it in favour of "Likely".
    return "Likely" if value == "Very Likely" else (value or "Unknown")


def _resource(r: _Reader, el: Any) -> Resource:
    size = r.text(el, "size")
    try:
        size_value = int(size) if size else None
    except ValueError:
        raise CapError(f"resource size {size[:20]!r} is not a whole number") from None
    return Resource(
        resource_desc=r.text(el, "resourceDesc"),
        mime_type=r.text(el, "mimeType"),
        size=size_value,
        uri=r.text(el, "uri") or None,
        digest=r.text(el, "digest") or None,
    )


def _area(r: _Reader, el: Any) -> Area:
    return Area(
        area_desc=r.text(el, "areaDesc"),
        polygons=[parse_polygon(text) for text in r.texts(el, "polygon") if text],
        circles=[parse_circle(text) for text in r.texts(el, "circle") if text],
        geocodes=r.pairs(el, "geocode"),
    )


def _point(pair: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = pair.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise CapError(f"not a 'lat,lon' pair: {pair[:40]!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapError(f"point {pair[:40]!r} is outside WGS-84 ranges")
    return lat, lon


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """A CAP polygon (``lat,lon lat,lon …``, first point repeated last).

    Raises:
        CapError: fewer than 4 points, not closed, too many points, or a bad pair.
    """
    pairs = text.split()
    if len(pairs) > MAX_POLYGON_POINTS:
        raise CapError(f"polygon of {len(pairs)} points is over {MAX_POLYGON_POINTS}")
    ring = [_point(p) for p in pairs]
    if len(ring) < 4:
        raise CapError(f"polygon has {len(ring)} points; CAP needs at least 4")
    if ring[0] != ring[-1]:
        raise CapError("polygon is not closed (its first point must be repeated last)")
    return ring


def parse_circle(text: str) -> Circle:
    """A CAP circle (``lat,lon radius_km``).

    Raises:
        CapError: a bad centre or a negative or non-numeric radius.
    """
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f"not a 'lat,lon radius' circle: {text[:40]!r}")
    lat, lon = _point(parts[0])
    try:
        radius = float(parts[1])
    except ValueError:
        raise CapError(f"circle radius {parts[1][:20]!r} is not a number") from None
    if not 0 <= radius <= 20_000:
        raise CapError(f"circle radius {radius} km is out of range")
    return Circle(lat, lon, radius)
