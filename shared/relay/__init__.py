"""Interconnection: CAP 1.2 alerts in EDXL-DE 1.0 envelopes relayed to the provincial
platform, safe parsing of what arrives from outside, and the transports between them.

Names load on first use (lxml, aiohttp and shapely only when something here is used), so the
hub imports this package's warning rules without the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.relay.alerts import AlertEvent, AlertFactory, CapSettings, load_cap_settings
    from shared.relay.answers import Answer, ack_for, error_for, read_answer
    from shared.relay.cap import Alert, Area, CapError, Circle, Info, Resource, alert_xml, cap_time
    from shared.relay.cap_read import is_cap, read_alert
    from shared.relay.edxl import (
        ContentObject,
        Distribution,
        EdxlError,
        NonXmlContent,
        distribution_xml,
        read_distribution,
    )
    from shared.relay.queue import Backlog, RelayQueue
    from shared.relay.relayer import Backoff, Relayer, envelope
    from shared.relay.safexml import XmlRejected, parse_untrusted
    from shared.relay.schemas import Schemas, SchemaUnavailable, load_schemas, standards_dir
    from shared.relay.transports import (
        DeliveryFailed,
        DropTransport,
        HttpsTransport,
        MemoryTransport,
        Receipt,
        Transport,
        client_tls,
    )

_WHERE = {
    "Alert": "shared.relay.cap",
    "AlertEvent": "shared.relay.alerts",
    "AlertFactory": "shared.relay.alerts",
    "Answer": "shared.relay.answers",
    "Area": "shared.relay.cap",
    "Backlog": "shared.relay.queue",
    "Backoff": "shared.relay.relayer",
    "CapError": "shared.relay.cap",
    "CapSettings": "shared.relay.alerts",
    "Circle": "shared.relay.cap",
    "ContentObject": "shared.relay.edxl",
    "DeliveryFailed": "shared.relay.transports",
    "Distribution": "shared.relay.edxl",
    "DropTransport": "shared.relay.transports",
    "EdxlError": "shared.relay.edxl",
    "HttpsTransport": "shared.relay.transports",
    "Info": "shared.relay.cap",
    "MemoryTransport": "shared.relay.transports",
    "NonXmlContent": "shared.relay.edxl",
    "Receipt": "shared.relay.transports",
    "RelayQueue": "shared.relay.queue",
    "Relayer": "shared.relay.relayer",
    "Resource": "shared.relay.cap",
    "SchemaUnavailable": "shared.relay.schemas",
    "Schemas": "shared.relay.schemas",
    "Transport": "shared.relay.transports",
    "XmlRejected": "shared.relay.safexml",
    "ack_for": "shared.relay.answers",
    "alert_xml": "shared.relay.cap",
    "cap_time": "shared.relay.cap",
    "client_tls": "shared.relay.transports",
    "distribution_xml": "shared.relay.edxl",
    "envelope": "shared.relay.relayer",
    "error_for": "shared.relay.answers",
    "is_cap": "shared.relay.cap_read",
    "load_cap_settings": "shared.relay.alerts",
    "load_schemas": "shared.relay.schemas",
    "parse_untrusted": "shared.relay.safexml",
    "read_alert": "shared.relay.cap_read",
    "read_answer": "shared.relay.answers",
    "read_distribution": "shared.relay.edxl",
    "standards_dir": "shared.relay.schemas",
}


def __getattr__(name: str) -> Any:
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
