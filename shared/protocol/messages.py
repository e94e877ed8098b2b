"""Every message kind on the situation-data backbone, one frozen tagged struct each.

The common envelope (:class:`Message`) carries the protocol version ``v``, a sortable unique
``id`` (a ULID), the ``sender`` device name, the ``sent`` time with its timezone, the
``exercise`` flag (演练 traffic is marked end to end) and, as the tag, the ``kind``.

Rules for evolving this file (conventions.md §4): new fields get defaults; existing field
types never change; a kind's tag never changes. Unknown fields are ignored on decode, so an
older peer can read a newer peer's messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

PROTOCOL_VERSION = 1
"""The version this build speaks."""

SUPPORTED_VERSIONS = frozenset({1})
"""Versions this build accepts."""

Lat = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
Lon = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
ShortText = Annotated[str, msgspec.Meta(max_length=512)]
LongText = Annotated[str, msgspec.Meta(max_length=65536)]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Level = Annotated[int, msgspec.Meta(ge=1, le=4)]


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    """The envelope every message kind shares."""

    v: int = PROTOCOL_VERSION
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    sender: Name
    sent: AwareDatetime
    exercise: bool = False


# --- session -----------------------------------------------------------------------------


class Hello(Message, frozen=True, tag="hello"):
    """A client's first word after connecting; answered by :class:`Welcome`."""

    client: ShortText = ""


class Welcome(Message, frozen=True, tag="welcome"):
    """The hub's answer to :class:`Hello`: who the hub thinks the client is."""

    device: Name
    role: Name
    heartbeat_s: float
    ref: str = ""


class Ping(Message, frozen=True, tag="ping"):
    """Heartbeat from a client; the hub answers with :class:`Pong`."""


class Pong(Message, frozen=True, tag="pong"):
    """Heartbeat answer from the hub."""

    ref: str


# --- reports and commands (each acknowledged after a durable commit) ----------------------


class PositionReport(Message, frozen=True, tag="position"):
    """Where a unit is. A field device may report for several units (vehicles, teams)."""

    unit_id: Name
    lat: Lat
    lon: Lon
    fix_time: AwareDatetime
    heading_deg: Annotated[float, msgspec.Meta(ge=0.0, lt=360.0)] | None = None
    speed_mps: Annotated[float, msgspec.Meta(ge=0.0, le=500.0)] | None = None
    accuracy_m: Annotated[float, msgspec.Meta(ge=0.0)] | None = None
    unit_type: ShortText = ""
    callsign: ShortText = ""


ReportStage = Literal["initial", "follow_up", "final"]
"""初报 (initial), 续报 (follow_up), 终报 (final)."""


class SituationReport(Message, frozen=True, tag="report"):
    """A report about an incident: 初报 / 续报 / 终报. Never overwritten; each is a new row."""

    incident_id: Name
    stage: ReportStage
    title: ShortText
    text: LongText = ""
    lat: Lat | None = None
    lon: Lon | None = None
    dead: Count = 0
    missing: Count = 0
    injured: Count = 0


class IncidentDeclare(Message, frozen=True, tag="incident"):
    """Create an incident or update its facts.

    With a ``type_code`` (see ``shared/data/incident_types.toml``) the hub validates the
    type and computes the level from its criteria table and the casualty and loss facts; an
    explicit ``level`` is used only for types without criteria. ``status`` sets the initial
    status of a new incident; later changes go through :class:`IncidentTransition`.
    """

    incident_id: Name
    title: ShortText
    lat: Lat
    lon: Lon
    level: Level | None = None
    division: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] | None = None
    status: Literal["reported", "verified", "responding", "stabilised"] = "reported"
    type_code: Annotated[str, msgspec.Meta(max_length=64)] = ""
    occurred: AwareDatetime | None = None
    dead: Count = 0
    missing: Count = 0
    seriously_injured: Count = 0
    trapped: Count = 0
    evacuated: Count = 0
    direct_loss_cny: Annotated[int, msgspec.Meta(ge=0, le=10**13)] = 0


class IncidentTransition(Message, frozen=True, tag="incident_transition"):
    """Move an incident along its lifecycle (closing goes through :class:`IncidentClose`)."""

    incident_id: Name
    to: Literal["verified", "responding", "stabilised"]
    note: ShortText = ""


class LevelOverride(Message, frozen=True, tag="level_override"):
    """A duty officer or leader sets the level, with the reason recorded."""

    incident_id: Name
    level: Level
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class IncidentClose(Message, frozen=True, tag="incident_close"):
    """Close an incident (leaders and duty officers only)."""

    incident_id: Name
    reason: ShortText


class DispatchOrder(Message, frozen=True, tag="order"):
    """An order to a unit, team or department liaison (leaders and duty officers only)."""

    order_id: Name
    recipient: Name
    text: LongText
    incident_id: Name | None = None
    fallback: Name | None = None
    """Who gets the order if the recipient does not acknowledge it after the resends."""


# The states an update may move an order to: every state but "issued", which only the hub
# sets. The full state machine is shared.domain.orders.
OrderUpdateState = Literal[
    "delivered",
    "acknowledged",
    "accepted",
    "declined",
    "en_route",
    "on_scene",
    "completed",
    "cancelled",
]


class OrderUpdate(Message, frozen=True, tag="order_update"):
    """A recipient's progress on an order."""

    order_id: Name
    state: OrderUpdateState
    note: ShortText = ""


class InboxQuery(Message, frozen=True, tag="inbox_query"):
    """Ask which of this device's messages the hub holds, and how many times each."""

    ids: Annotated[list[str], msgspec.Meta(max_length=10_000)]


# --- hub answers -------------------------------------------------------------------------


class Ack(Message, frozen=True, tag="ack"):
    """Sent only after the referenced message is durably committed.

    ``status`` is ``"ok"`` the first time and ``"duplicate"`` for a resend of an id the hub
    already holds: the same acknowledgement, no second row.
    """

    ref: str
    status: Literal["ok", "duplicate"]
    committed: AwareDatetime


class AckBatch(Message, frozen=True, tag="acks"):
    """Acknowledgements for several messages of one client committed in the same
    transaction: one frame instead of one per message. Same meaning as :class:`Ack`."""

    ok: list[str]
    duplicate: list[str]
    committed: AwareDatetime


class InboxStatus(Message, frozen=True, tag="inbox_status"):
    """Answer to :class:`InboxQuery`: for each held id, the number of stored rows."""

    ref: str
    held: dict[str, int]


ErrorCode = Literal[
    "undecodable",
    "unknown_kind",
    "invalid",
    "unsupported_version",
    "oversized",
    "multipart",
    "forbidden",
    "unknown_device",
    "revoked",
    "sender_mismatch",
    "store_unavailable",
    "not_found",
]


class Error(Message, frozen=True, tag="error"):
    """The hub's refusal of a message, naming the problem and what to do about it."""

    ref: str | None
    code: ErrorCode
    detail: LongText


# --- state replication (Clone pattern) ---------------------------------------------------


class SnapshotRequest(Message, frozen=True, tag="snapshot_request"):
    """Ask the snapshot service for the current state of some topics."""

    topics: Annotated[list[str], msgspec.Meta(max_length=32)]


Request = (
    Hello
    | Ping
    | PositionReport
    | SituationReport
    | IncidentDeclare
    | IncidentTransition
    | LevelOverride
    | IncidentClose
    | DispatchOrder
    | OrderUpdate
    | InboxQuery
)
"""Everything a client may send on the request socket."""

Reply = Welcome | Pong | Ack | AckBatch | InboxStatus | Error
"""Everything the hub sends back on the request socket."""

KIND_OF: dict[type, str] = {t: str(t.__struct_config__.tag) for t in Request.__args__}
"""Request struct type → its ``kind`` tag (a dict lookup beats reading the struct config)."""

REQUEST_KINDS: frozenset[str] = frozenset(KIND_OF.values())
