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

ReportSource = Literal["field", "phone", "written", "department", "county", "monitoring", "public"]
"""Where a report came from: a field team, a phone call to the duty room, a written report,
a department, a county platform, a monitoring system, the public (a 12345/110 call)."""

Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
MediaType = Annotated[str, msgspec.Meta(pattern=r"^[a-z]+/[a-z0-9.+-]{1,100}$")]
CHUNK_MAX_BYTES = 1024 * 1024
"""The largest attachment chunk one message may carry."""


class AttachmentRef(msgspec.Struct, frozen=True):
    """An attachment a report refers to: a photo or document held by the hub by digest."""

    sha256: Sha256
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    media_type: MediaType
    size: Annotated[int, msgspec.Meta(ge=1)]


class AttachmentChunk(Message, frozen=True, tag="attachment_chunk"):
    """Bytes ``offset`` … ``offset + len(data)`` of an attachment of ``size`` bytes.

    Chunks go in order; the hub verifies the digest when the last byte is in. An upload cut
    short resumes from the byte count an :class:`AttachmentQuery` returns.
    """

    sha256: Sha256
    size: Annotated[int, msgspec.Meta(ge=1)]
    offset: Annotated[int, msgspec.Meta(ge=0)]
    data: Annotated[bytes, msgspec.Meta(min_length=1, max_length=CHUNK_MAX_BYTES)]


class AttachmentQuery(Message, frozen=True, tag="attachment_query"):
    """Ask how many bytes of an attachment the hub holds (to resume an upload)."""

    sha256: Sha256


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
    source: ReportSource = "field"
    author: ShortText = ""
    """The person who made the report (the sender is the device)."""
    attachments: Annotated[list[AttachmentRef], msgspec.Meta(max_length=64)] = msgspec.field(
        default_factory=list
    )
    """Attachments already uploaded with :class:`AttachmentChunk`."""
    area: Annotated[list[tuple[Lat, Lon]], msgspec.Meta(max_length=2000)] | None = None
    """The area seen on the scene, sketched by the sender as a (lat, lon) ring (WGS-84)."""


class IncidentDeclare(Message, frozen=True, tag="incident"):
    """Create an incident. An id that exists is refused ``conflict``: facts of an existing
    incident change through :class:`IncidentUpdate`, under the authority table.

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
    area: Annotated[list[tuple[Lat, Lon]], msgspec.Meta(max_length=2000)] | None = None
    """The affected area as a (lat, lon) ring (WGS-84); must not cross itself."""
    from_draft: Annotated[str, msgspec.Meta(max_length=160)] = ""
    """The key of the draft (from a monitoring alarm) this declaration confirms."""
    received: AwareDatetime | None = None
    """When the city learned of it (the duty officer took the call): the reporting clocks
    run from here. Default: when the hub stores the declaration. Not before ``occurred``,
    not in the future, at most a day ago."""


class IncidentUpdate(Message, frozen=True, tag="incident_update"):
    """Change facts of an existing incident; a field left out (None) is unchanged.

    Who may change which fact is ``shared/data/authority.toml``: field devices may only raise
    counts, a county only its own incidents, and lowering a count needs a ``reason``. The
    level follows the facts upward only; lowering it is a :class:`LevelOverride`. A type
    change re-grades the incident and says whether the running plan still fits.
    """

    incident_id: Name
    reason: ShortText = ""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=512)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    division: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] | None = None
    type_code: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    occurred: AwareDatetime | None = None
    dead: Count | None = None
    missing: Count | None = None
    seriously_injured: Count | None = None
    trapped: Count | None = None
    evacuated: Count | None = None
    direct_loss_cny: Annotated[int, msgspec.Meta(ge=0, le=10**13)] | None = None
    area: Annotated[list[tuple[Lat, Lon]], msgspec.Meta(max_length=2000)] | None = None


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


class IncidentReopen(Message, frozen=True, tag="incident_reopen"):
    """Reopen a closed incident (leaders and duty officers, a county its own): it comes
    back as ``verified`` with its facts and reports; the reason is kept with the step."""

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


ResponseAction = Literal["activate", "raise", "lower", "end"]


class ResponseCommand(Message, frozen=True, tag="response"):
    """Activate, raise, lower or end the emergency response of an incident (leaders).

    Activating (and raising or lowering) at ``level`` applies the incident type's plan
    (预案) for that level: its departments get dispatch orders and its checklist is opened.
    """

    incident_id: Name
    action: ResponseAction
    level: Level | None = None
    plan: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """The plan to apply (default: the plan of the incident's type)."""
    reason: ShortText = ""


class ChecklistTick(Message, frozen=True, tag="checklist"):
    """Mark a checklist item of an incident's response done (or not done again)."""

    incident_id: Name
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    done: bool = True
    note: ShortText = ""


ResourceKind = Literal[
    "team", "vehicle", "depot", "shelter", "expert", "monitoring_point", "facility"
]
Availability = Literal["available", "assigned", "unavailable"]
Stock = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=64)], Count], msgspec.Meta(max_length=200)
]


StreamUrl = Annotated[
    str, msgspec.Meta(max_length=512, pattern=r"^(|(rtsps?|https?)://[^\s/?#]+[^\s]*)$")
]


class ResourceUpsert(Message, frozen=True, tag="resource"):
    """Register or update a resource: a rescue team, vehicle, supply depot (with stock),
    shelter (capacity, occupancy), expert, monitoring point (what it measures and its
    thresholds) or a facility that matters in an assessment (school, hospital, chemical
    plant). ``category`` refines the kind (a fire team, a school, a water-level gauge)."""

    resource_id: Name
    resource_type: ResourceKind
    name: ShortText
    lat: Lat
    lon: Lon
    department: ShortText = ""
    category: Annotated[str, msgspec.Meta(max_length=64)] = ""
    availability: Availability = "available"
    capacity: Count = 0
    occupancy: Count = 0
    stock: Stock = msgspec.field(default_factory=dict)
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""
    measure: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """For a monitoring point: what it measures (water_level_m, gas_ppm, video …)."""
    warn_at: float | None = None
    alarm_at: float | None = None
    """For a monitoring point: readings at or above these raise a warning or an alarm."""
    draft_type: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """For a monitoring point: the incident type drafted when it alarms (empty: none)."""
    sample: bool = False
    """Fictional sample data (``command-center seed-demo``), never real."""
    stream_url: StreamUrl = ""
    """For a camera (a monitoring point measuring ``video``: a city surveillance point, a
    drone's ground station): where the command side pulls its feed (RTSP or HTTP)."""


class ResourceStatus(Message, frozen=True, tag="resource_status"):
    """Change a resource's availability, occupancy or stock (omitted fields unchanged)."""

    resource_id: Name
    availability: Availability | None = None
    occupancy: Count | None = None
    stock: Stock | None = None
    note: ShortText = ""


class MonitoringReading(Message, frozen=True, tag="reading"):
    """A reading of a monitoring point, checked against its thresholds."""

    point_id: Name
    value: Annotated[float, msgspec.Meta(ge=-1e9, le=1e9)]
    measured: AwareDatetime


CapSeverity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CapUrgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
CapCertainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
Ring = Annotated[list[tuple[Lat, Lon]], msgspec.Meta(min_length=4, max_length=20_000)]


class WarningArea(msgspec.Struct, frozen=True):
    """Where an inbound warning applies: polygons (closed (lat, lon) rings), circles
    ((lat, lon, radius_km)) and geocodes ((name, value)), as CAP gives them."""

    desc: ShortText = ""
    polygons: Annotated[list[Ring], msgspec.Meta(max_length=64)] = msgspec.field(
        default_factory=list
    )
    circles: Annotated[
        list[tuple[Lat, Lon, Annotated[float, msgspec.Meta(ge=0, le=20_000)]]],
        msgspec.Meta(max_length=64),
    ] = msgspec.field(default_factory=list)
    geocodes: Annotated[list[tuple[ShortText, ShortText]], msgspec.Meta(max_length=256)] = (
        msgspec.field(default_factory=list)
    )


class ExternalWarning(Message, frozen=True, tag="warning"):
    """A warning from outside (meteorological, earthquake services) read from CAP by a
    gateway: shown on the map, and a draft incident for the duty officer when it touches
    the city. ``msg_type`` Update and Cancel replace or withdraw the ``references``."""

    identifier: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    cap_sender: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    cap_sent: AwareDatetime
    msg_type: Literal["Alert", "Update", "Cancel"]
    event: ShortText = ""
    category: Annotated[list[ShortText], msgspec.Meta(max_length=12)] = msgspec.field(
        default_factory=list
    )
    severity: CapSeverity = "Unknown"
    urgency: CapUrgency = "Unknown"
    certainty: CapCertainty = "Unknown"
    headline: ShortText = ""
    description: LongText = ""
    instruction: LongText = ""
    sender_name: ShortText = ""
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    areas: Annotated[list[WarningArea], msgspec.Meta(max_length=32)] = msgspec.field(
        default_factory=list
    )
    references: Annotated[list[ShortText], msgspec.Meta(max_length=64)] = msgspec.field(
        default_factory=list
    )
    source: ShortText = ""
    """Where the gateway got it (a feed URL, a drop folder)."""


EmergencyKind = Literal["sos", "man_down"]


class Emergency(Message, frozen=True, tag="emergency"):
    """An emergency alert from a person in the field: the SOS button, or man-down (no
    movement while on scene). Sent again every few seconds with the same ``alert_id`` until
    the command hall acknowledges it; ``active=False`` is the sender cancelling it."""

    alert_id: Name
    trigger: EmergencyKind = "sos"
    active: bool = True
    lat: Lat | None = None
    lon: Lon | None = None
    callsign: ShortText = ""
    note: ShortText = ""


class EmergencyAck(Message, frozen=True, tag="emergency_ack"):
    """The command hall has seen an emergency alert and is acting on it."""

    alert_id: Name
    note: ShortText = ""


class ShiftSignIn(Message, frozen=True, tag="sign_in"):
    """A person signs in to (or out of, ``on=False``) duty at this device: a liaison's
    desk, a team's laptop. The hub shows who is on duty where."""

    person: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    post: ShortText = ""
    on: bool = True


MediaPurpose = Literal["watch", "call", "talkgroup", "forward"]
"""watch: see and hear a unit's camera; call: a full-duplex voice call; talkgroup: a member's
voice link to the incident's push-to-talk group; forward: a feed passed on to another unit or
toward the province."""

MediaAction = Literal["offer", "answer", "end"]
Sdp = Annotated[str, msgspec.Meta(max_length=65536)]


class MediaSignal(Message, frozen=True, tag="media"):
    """WebRTC signalling over the backbone: an SDP offer to ``to_device``, its answer, or the
    end of the session (either side, with a reason). The hub checks who may say what and
    keeps the session in the ``media`` topic; the media itself flows between the peers."""

    session_id: Name
    action: MediaAction
    to_device: Name | None = None
    purpose: MediaPurpose = "watch"
    incident_id: Name | None = None
    sdp: Sdp = ""
    label: ShortText = ""
    reason: ShortText = ""


FloorAction = Literal["join", "leave", "request", "release"]


class FloorRequest(Message, frozen=True, tag="floor"):
    """Push-to-talk: join or leave a talk group (one per incident, or a named standing
    group), ask for the floor (key pressed) or give it back (key released). The hub decides
    by the rules of :mod:`shared.domain.floor`, with the sender's role as its priority."""

    group_id: Name
    action: FloorAction
    incident_id: Name | None = None
    label: ShortText = ""


DutyCategory = Literal["call", "report", "instruction", "note", "handover", "system"]


class DutyLogEntry(Message, frozen=True, tag="duty_log"):
    """A line of the duty log (值班日志): a call taken, an instruction passed on, a note."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    category: DutyCategory = "note"
    incident_id: Name | None = None
    author: ShortText = ""


class DutyShift(Message, frozen=True, tag="duty_shift"):
    """A roster entry: who holds a duty post from ``start`` to ``end``."""

    shift_id: Name
    person: Name
    post: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    """带班领导 (leader on duty), 值班员 (duty officer), …"""
    start: AwareDatetime
    end: AwareDatetime
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""


class ShiftHandover(Message, frozen=True, tag="handover"):
    """One duty shift hands over to the next: who to whom, notes, what is still open."""

    from_person: Name
    to_person: Name
    notes: LongText = ""
    open_items: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )


class InboxQuery(Message, frozen=True, tag="inbox_query"):
    """Ask which of this device's messages the hub holds, and how many times each."""

    ids: Annotated[list[str], msgspec.Meta(max_length=10_000)]


class RecordQuery(Message, frozen=True, tag="record_query"):
    """Ask for an incident's whole record, open or closed: its facts, every change, every
    lifecycle step, every report with its text, every order with its answers."""

    incident_id: Name


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


class AttachmentStatus(Message, frozen=True, tag="attachment_status"):
    """Answer to :class:`AttachmentQuery`: bytes held, and whether the attachment is whole."""

    ref: str
    sha256: str
    have: int
    complete: bool


class IncidentRecord(Message, frozen=True, tag="record"):
    """Answer to :class:`RecordQuery` (``found`` False: no incident by that id). The parts
    are plain JSON objects (rows of the store), newest last."""

    ref: str
    found: bool
    incident: dict[str, object] = msgspec.field(default_factory=dict)
    changes: list[dict[str, object]] = msgspec.field(default_factory=list)
    transitions: list[dict[str, object]] = msgspec.field(default_factory=list)
    reports: list[dict[str, object]] = msgspec.field(default_factory=list)
    orders: list[dict[str, object]] = msgspec.field(default_factory=list)


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
    "internal",
    "busy",
    "throttled",
    "conflict",
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
    | IncidentUpdate
    | IncidentTransition
    | LevelOverride
    | IncidentClose
    | IncidentReopen
    | DispatchOrder
    | OrderUpdate
    | InboxQuery
    | RecordQuery
    | AttachmentChunk
    | AttachmentQuery
    | ResponseCommand
    | ChecklistTick
    | ResourceUpsert
    | ResourceStatus
    | MonitoringReading
    | DutyLogEntry
    | DutyShift
    | ShiftHandover
    | ExternalWarning
    | Emergency
    | EmergencyAck
    | ShiftSignIn
    | MediaSignal
    | FloorRequest
)
"""Everything a client may send on the request socket."""

Reply = Welcome | Pong | Ack | AckBatch | InboxStatus | AttachmentStatus | IncidentRecord | Error
"""Everything the hub sends back on the request socket."""

KIND_OF: dict[type, str] = {t: str(t.__struct_config__.tag) for t in Request.__args__}
"""Request struct type → its ``kind`` tag (a dict lookup beats reading the struct config)."""

REQUEST_KINDS: frozenset[str] = frozenset(KIND_OF.values())
