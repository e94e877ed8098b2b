"""Interconnection: CAP 1.2 alerts in EDXL-DE 1.0 envelopes relayed to the provincial
platform, safe parsing of what arrives from outside, and the transports between them."""

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
