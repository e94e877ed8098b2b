"""Interconnection: CAP 1.2 alerts in EDXL-DE 1.0 envelopes relayed to the provincial
platform, safe parsing of what arrives from outside, and the transports between them.

Names load on first use (lxml, aiohttp and shapely only when something here is used), so the
hub imports this package's warning rules without the HTTP stack.
"""

from __future__ import annotations

import importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from shared.relay.formats.answers import Answer, ack_for, error_for, read_answer
    from shared.relay.formats.cap import (
        Alert,
        Area,
        CapError,
        Circle,
        Info,
        Resource,
        alert_xml,
        cap_time,
    )
    from shared.relay.formats.cap_read import is_cap, read_alert
    from shared.relay.formats.edxl import (
        ContentObject,
        Distribution,
        EdxlError,
        NonXmlContent,
        distribution_xml,
        read_distribution,
    )
    from shared.relay.formats.safexml import XmlRejected, parse_untrusted
    from shared.relay.formats.schemas import Schemas, SchemaUnavailable, load_schemas, standards_dir
    from shared.relay.outbound.alerts import (
        AlertEvent,
        AlertFactory,
        CapSettings,
        load_cap_settings,
    )
    from shared.relay.outbound.queue import Backlog, RelayQueue
    from shared.relay.outbound.relayer import Backoff, Relayer, envelope
    from shared.relay.outbound.transports import (
        DeliveryFailed,
        DropTransport,
        HttpsTransport,
        MemoryTransport,
        Receipt,
        Transport,
        client_tls,
    )

_WHERE = {
    "Alert": "shared.relay.formats.cap",
    "AlertEvent": "shared.relay.outbound.alerts",
    "AlertFactory": "shared.relay.outbound.alerts",
    "Answer": "shared.relay.formats.answers",
    "Area": "shared.relay.formats.cap",
    "Backlog": "shared.relay.outbound.queue",
    "Backoff": "shared.relay.outbound.relayer",
    "CapError": "shared.relay.formats.cap",
    "CapSettings": "shared.relay.outbound.alerts",
    "Circle": "shared.relay.formats.cap",
    "ContentObject": "shared.relay.formats.edxl",
    "DeliveryFailed": "shared.relay.outbound.transports",
    "Distribution": "shared.relay.formats.edxl",
    "DropTransport": "shared.relay.outbound.transports",
    "EdxlError": "shared.relay.formats.edxl",
    "HttpsTransport": "shared.relay.outbound.transports",
    "Info": "shared.relay.formats.cap",
    "MemoryTransport": "shared.relay.outbound.transports",
    "NonXmlContent": "shared.relay.formats.edxl",
    "Receipt": "shared.relay.outbound.transports",
    "RelayQueue": "shared.relay.outbound.queue",
    "Relayer": "shared.relay.outbound.relayer",
    "Resource": "shared.relay.formats.cap",
    "SchemaUnavailable": "shared.relay.formats.schemas",
    "Schemas": "shared.relay.formats.schemas",
    "Transport": "shared.relay.outbound.transports",
    "XmlRejected": "shared.relay.formats.safexml",
    "ack_for": "shared.relay.formats.answers",
    "alert_xml": "shared.relay.formats.cap",
    "cap_time": "shared.relay.formats.cap",
    "client_tls": "shared.relay.outbound.transports",
    "distribution_xml": "shared.relay.formats.edxl",
    "envelope": "shared.relay.outbound.relayer",
    "error_for": "shared.relay.formats.answers",
    "is_cap": "shared.relay.formats.cap_read",
    "load_cap_settings": "shared.relay.outbound.alerts",
    "load_schemas": "shared.relay.formats.schemas",
    "parse_untrusted": "shared.relay.formats.safexml",
    "read_alert": "shared.relay.formats.cap_read",
    "read_answer": "shared.relay.formats.answers",
    "read_distribution": "shared.relay.formats.edxl",
    "standards_dir": "shared.relay.formats.schemas",
}


def __getattr__(name: str) -> _typing.Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shared.relay' has no attribute {name!r}")


__all__ = [
    "Alert",
    "AlertEvent",
    "AlertFactory",
    "Answer",
    "Area",
    "Backlog",
    "Backoff",
    "CapError",
    "CapSettings",
    "Circle",
    "ContentObject",
    "DeliveryFailed",
    "Distribution",
    "DropTransport",
    "EdxlError",
    "HttpsTransport",
    "Info",
    "MemoryTransport",
    "NonXmlContent",
    "Receipt",
    "RelayQueue",
    "Relayer",
    "Resource",
    "SchemaUnavailable",
    "Schemas",
    "Transport",
    "XmlRejected",
    "ack_for",
    "alert_xml",
    "cap_time",
    "client_tls",
    "distribution_xml",
    "envelope",
    "error_for",
    "is_cap",
    "load_cap_settings",
    "load_schemas",
    "parse_untrusted",
    "read_alert",
    "read_answer",
    "read_distribution",
    "standards_dir",
]
