"""EDXL-DE 1.0 (OASIS Emergency Data Exchange Language, Distribution Element): the envelope
that routes a CAP alert and the files that go with it (photos, documents) in one document.

Field names follow the standard's (``distribution_id`` for ``distributionID`` …). Non-XML
content carries ``mimeType``, ``size``, ``digest`` (SHA-1, as EDXL-DE 1.0 specifies) and the
bytes themselves (``contentData``, base64) or a ``uri``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Any

import msgspec
from lxml import etree

from shared.relay.formats.cap import CapError, cap_time, parse_cap_time
from shared.relay.formats.safexml import local_name, namespace

EDXL_NS = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
DISTRIBUTION_STATUSES = ("Actual", "Exercise", "System", "Test")
DISTRIBUTION_TYPES = (
    "Report",
    "Update",
    "Cancel",
    "Request",
    "Response",
    "Dispatch",
    "Ack",
    "Error",
    "SensorConfiguration",
    "SensorControl",
    "SensorStatus",
    "SensorDetection",
)


class EdxlError(ValueError):
    """An envelope that cannot be written or read; the message names the field."""


class ValueList(msgspec.Struct, frozen=True):
    """An EDXL value list: the list's URN and its values."""

    urn: str
    values: list[str]


class NonXmlContent(msgspec.Struct, frozen=True, kw_only=True):
    """A file carried in (``data``) or pointed at (``uri``) by the envelope."""

    mime_type: str
    size: int | None = None
    digest: str | None = None
    """SHA-1 of the bytes, hex."""
    uri: str | None = None
    data: bytes | None = None

    @classmethod
    def of_bytes(cls, data: bytes, mime_type: str) -> NonXmlContent:
        """Content carrying ``data`` with its size and SHA-1 digest."""
        return cls(
            mime_type=mime_type,
            size=len(data),
            digest=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            data=data,
        )


class ContentObject(msgspec.Struct, frozen=True, kw_only=True):
    """One ``contentObject``: an XML document (``xml``, e.g. a CAP alert) or a file."""

    description: str = ""
    incident_id: str = ""
    incident_description: str = ""
    confidentiality: str = ""
    xml: bytes | None = None
    """One XML document (UTF-8) embedded as ``embeddedXMLContent``."""
    non_xml: NonXmlContent | None = None


class TargetArea(msgspec.Struct, frozen=True, kw_only=True):
    """Where the distribution is about: CAP-style circles and polygons, ISO codes."""

    circles: list[str] = msgspec.field(default_factory=list)
    polygons: list[str] = msgspec.field(default_factory=list)
    countries: list[str] = msgspec.field(default_factory=list)
    subdivisions: list[str] = msgspec.field(default_factory=list)


class Distribution(msgspec.Struct, frozen=True, kw_only=True):
    """An ``EDXLDistribution``."""

    distribution_id: str
    sender_id: str
    sent: datetime
    status: str
    type: str
    confidentiality: str = "UNCLASSIFIED AND NOT SENSITIVE"
    language: str = ""
    sender_roles: list[ValueList] = msgspec.field(default_factory=list)
    recipient_roles: list[ValueList] = msgspec.field(default_factory=list)
    keywords: list[ValueList] = msgspec.field(default_factory=list)
    references: list[str] = msgspec.field(default_factory=list)
    """Earlier distributions this one answers or follows: ``distributionID,senderID,sent``."""
    explicit_addresses: list[tuple[str, list[str]]] = msgspec.field(default_factory=list)
    target_areas: list[TargetArea] = msgspec.field(default_factory=list)
    contents: list[ContentObject] = msgspec.field(default_factory=list)

    def reference(self) -> str:
        """This distribution as another's ``distributionReference``."""
        return f"{self.distribution_id},{self.sender_id},{cap_time(self.sent)}"


def distribution_element(dist: Distribution) -> Any:
    """The envelope as an lxml element, in the schema's order.

    Raises:
        EdxlError: an unknown status or type, or an embedded document that is not XML.
    """
    if dist.status not in DISTRIBUTION_STATUSES:
        raise EdxlError(f"distributionStatus {dist.status!r} is not one of the standard's")
    if dist.type not in DISTRIBUTION_TYPES:
        raise EdxlError(f"distributionType {dist.type!r} is not one of the standard's")
    if not dist.distribution_id or not dist.sender_id:
        raise EdxlError("distributionID and senderID must not be empty")
    root = etree.Element(f"{{{EDXL_NS}}}EDXLDistribution", nsmap={None: EDXL_NS})

    def sub(parent: Any, name: str, text: str | None = None) -> Any:
        el = etree.SubElement(parent, f"{{{EDXL_NS}}}{name}")
        if text is not None:
            el.text = text
        return el

    def value_list(parent: Any, name: str, vl: ValueList) -> None:
        el = sub(parent, name)
        sub(el, "valueListUrn", vl.urn)
        for v in vl.values:
            sub(el, "value", v)

    sub(root, "distributionID", dist.distribution_id)
    sub(root, "senderID", dist.sender_id)
    try:
        sub(root, "dateTimeSent", cap_time(dist.sent))
    except CapError as exc:
        raise EdxlError(f"dateTimeSent: {exc}") from None
    sub(root, "distributionStatus", dist.status)
    sub(root, "distributionType", dist.type)
    sub(root, "combinedConfidentiality", dist.confidentiality)
    if dist.language:
        sub(root, "language", dist.language)
    for vl in dist.sender_roles:
        value_list(root, "senderRole", vl)
    for vl in dist.recipient_roles:
        value_list(root, "recipientRole", vl)
    for vl in dist.keywords:
        value_list(root, "keyword", vl)
    for ref in dist.references:
        sub(root, "distributionReference", ref)
    for scheme, values in dist.explicit_addresses:
        addr = sub(root, "explicitAddress")
        sub(addr, "explicitAddressScheme", scheme)
        for v in values:
            sub(addr, "explicitAddressValue", v)
    for area in dist.target_areas:
        ta = sub(root, "targetArea")
        for name, values in (
            ("circle", area.circles),
            ("polygon", area.polygons),
            ("country", area.countries),
            ("subdivision", area.subdivisions),
        ):
            for v in values:
                sub(ta, name, v)
    for content in dist.contents:
        _content_element(content, root, sub)
    return root


def _content_element(content: ContentObject, root: Any, sub: Any) -> None:
    co = sub(root, "contentObject")
    if content.description:
        sub(co, "contentDescription", content.description)
    if content.incident_id:
        sub(co, "incidentID", content.incident_id)
    if content.incident_description:
        sub(co, "incidentDescription", content.incident_description)
    if content.confidentiality:
        sub(co, "confidentiality", content.confidentiality)
    if (content.xml is None) == (content.non_xml is None):
        raise EdxlError("a contentObject holds either an XML document or a file, not both")
    if content.xml is not None:
        xc = sub(co, "xmlContent")
        embedded = sub(xc, "embeddedXMLContent")
        try:  # our own documents (built by this package), not outside input
            embedded.append(etree.fromstring(content.xml))
        except etree.XMLSyntaxError as exc:
            raise EdxlError(f"embedded content is not XML: {exc.msg}") from None
        return
    nx = content.non_xml
    assert nx is not None
    el = sub(co, "nonXMLContent")
    sub(el, "mimeType", nx.mime_type)
    if nx.size is not None:
        sub(el, "size", str(nx.size))
    if nx.digest:
        sub(el, "digest", nx.digest)
    if nx.uri:
        sub(el, "uri", nx.uri)
    if nx.data is not None:
        sub(el, "contentData", base64.b64encode(nx.data).decode("ascii"))


def distribution_xml(dist: Distribution) -> bytes:
    """The envelope as a UTF-8 XML document."""
    return bytes(etree.tostring(distribution_element(dist), xml_declaration=True, encoding="UTF-8"))


def read_distribution(element: Any) -> Distribution:
    """The envelope held by ``element`` (parsed safely beforehand). File bytes are decoded
    and checked against the stated size and digest.

    Raises:
        EdxlError: not an EDXL-DE 1.0 envelope, a required field missing, or a file whose
            bytes do not match its size or digest.
    """
    if local_name(element) != "EDXLDistribution" or namespace(element) != EDXL_NS:
        raise EdxlError(f"not an EDXL-DE 1.0 envelope: root {local_name(element)!r}")
    q = f"{{{EDXL_NS}}}"

    def text(parent: Any, name: str) -> str:
        el = parent.find(q + name)
        return (el.text or "").strip() if el is not None else ""

    def required(name: str) -> str:
        value = text(element, name)
        if not value:
            raise EdxlError(f"required element {name!r} is missing or empty")
        return value

    def value_lists(name: str) -> list[ValueList]:
        return [
            ValueList(
                text(el, "valueListUrn"), [(v.text or "") for v in el.iterchildren(q + "value")]
            )
            for el in element.iterchildren(q + name)
        ]

    try:
        sent = parse_cap_time(required("dateTimeSent"))
    except CapError as exc:
        raise EdxlError(f"dateTimeSent: {exc}") from None
    contents = [_read_content(co, q, text) for co in element.iterchildren(q + "contentObject")]
    return Distribution(
        distribution_id=required("distributionID"),
        sender_id=required("senderID"),
        sent=sent,
        status=required("distributionStatus"),
        type=required("distributionType"),
        confidentiality=text(element, "combinedConfidentiality"),
        language=text(element, "language"),
        sender_roles=value_lists("senderRole"),
        recipient_roles=value_lists("recipientRole"),
        keywords=value_lists("keyword"),
        references=[
            (el.text or "").strip() for el in element.iterchildren(q + "distributionReference")
        ],
        contents=contents,
    )


def _read_content(co: Any, q: str, text: Any) -> ContentObject:
    common = {
        "description": text(co, "contentDescription"),
        "incident_id": text(co, "incidentID"),
        "incident_description": text(co, "incidentDescription"),
        "confidentiality": text(co, "confidentiality"),
    }
    xc = co.find(q + "xmlContent")
    if xc is not None:
        docs = [child for emb in xc.iterchildren(q + "embeddedXMLContent") for child in emb]
        xml = bytes(etree.tostring(docs[0])) if docs else None
        return ContentObject(**common, xml=xml)
    nx = co.find(q + "nonXMLContent")
    if nx is None:
        raise EdxlError("a contentObject holds neither xmlContent nor nonXMLContent")
    data = None
    raw = text(nx, "contentData")
    if raw:
        try:
            data = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            raise EdxlError("contentData is not base64") from None
    size_text = text(nx, "size")
    try:
        size = int(size_text) if size_text else None
    except ValueError:
        raise EdxlError(f"size {size_text[:20]!r} is not a whole number") from None
    digest = text(nx, "digest") or None
    if data is not None:
        if size is not None and size != len(data):
            raise EdxlError(f"contentData holds {len(data)} bytes, size says {size}")
        if digest and hashlib.sha1(data, usedforsecurity=False).hexdigest() != digest.lower():
            raise EdxlError("contentData does not match its digest")
    return ContentObject(
        **common,
        non_xml=NonXmlContent(
            mime_type=text(nx, "mimeType"),
            size=size,
            digest=digest,
            uri=text(nx, "uri") or None,
            data=data,
        ),
    )
