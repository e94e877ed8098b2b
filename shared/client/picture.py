"""The situation picture as the command hall's panels need it: plain counts and rows.

Windows render; this decides. It follows a :class:`~shared.client.replica.Replica`, keeps
the derived figures (units fresh or stale, devices by presence, open incidents), and tells
listeners which keys changed since they last asked, so a view can redraw in one batch.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from shared.protocol import (
    AlarmState,
    DutyLogState,
    EmergencyState,
    HandoverState,
    IncidentState,
    MonitorAlarmState,
    OrderStatus,
    PresenceState,
    RelayState,
    ReportState,
    ResourceState,
    ResponseState,
    ShiftState,
    SignInState,
    StateValue,
    UnitState,
    WarningState,
)
from shared.protocol.state import signin_key

STALE_AFTER = timedelta(seconds=30)
_V = TypeVar("_V")


@dataclass
class PictureChanges:
    """Keys changed since the last :meth:`SituationPicture.take_changes`."""

    units: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)
    presence: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    reports: set[str] = field(default_factory=set)
    alarms: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    responses: set[str] = field(default_factory=set)
    monitor: set[str] = field(default_factory=set)
    duty: set[str] = field(default_factory=set)
    warnings: set[str] = field(default_factory=set)
    relay: set[str] = field(default_factory=set)
    emergencies: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.units
            or self.incidents
            or self.presence
            or self.orders
            or self.reports
            or self.alarms
            or self.resources
            or self.responses
            or self.monitor
            or self.duty
            or self.warnings
            or self.relay
            or self.emergencies
        )


TRACK_POINTS = 120
"""Positions kept per unit for its track (two minutes at one report a second)."""


CLOSED_KEPT = 200


class SituationPicture:
    """Units, incidents, presence and open orders, with the figures the hall shows."""

    def __init__(self) -> None:
        self.units: dict[str, UnitState] = {}
        self.incidents: dict[str, IncidentState] = {}
        self.presence: dict[str, PresenceState] = {}
        self.orders: dict[str, OrderStatus] = {}
        self.reports: dict[str, ReportState] = {}
        self.alarms: dict[str, AlarmState] = {}
        self.resources: dict[str, ResourceState] = {}
        self.responses: dict[str, ResponseState] = {}
        self.monitor: dict[str, MonitorAlarmState] = {}
        self.duty: dict[str, DutyLogState | ShiftState | HandoverState | SignInState] = {}
        self.emergencies: dict[str, EmergencyState] = {}
        self.warnings: dict[str, WarningState] = {}
        self.relay: dict[str, RelayState] = {}
        self.tracks: dict[str, deque[tuple[float, float]]] = {}
        """Each unit's last :data:`TRACK_POINTS` positions as seen here (where it came from:
        shown when an SOS is located)."""
        self.closed: dict[str, IncidentState] = {}
        """Incidents seen closing since the picture started, oldest first (at most
        :data:`CLOSED_KEPT`): the hall offers them to look up and reopen."""
        self._changes = PictureChanges()

    def named_places(self) -> list[tuple[str, float, float]]:
        """(name, lat, lon) of every resource with a name — the facilities a place is typed
        or described by, beside the county seats."""
        return [(r.name, r.lat, r.lon) for r in self.resources.values() if r.name]

    def on_update(self, topic: str, key: str, value: StateValue | None) -> None:
        """Listener for :class:`Replica` updates."""
        if topic == "unit":
            self._put(self.units, key, value, UnitState)
            self._changes.units.add(key)
            if isinstance(value, UnitState):
                track = self.tracks.setdefault(key, deque(maxlen=TRACK_POINTS))
                if not track or track[-1] != (value.lat, value.lon):
                    track.append((value.lat, value.lon))
            elif value is None:
                self.tracks.pop(key, None)
        elif topic == "incident":
            self._put(self.incidents, key, value, IncidentState)
            self._changes.incidents.add(key)
            if isinstance(value, IncidentState):
                # how it ended is published before it leaves: kept to be looked up again
                if value.status == "closed":
                    self.closed.pop(key, None)
                    self.closed[key] = value
                    while len(self.closed) > CLOSED_KEPT:
                        self.closed.pop(next(iter(self.closed)))
                else:
                    self.closed.pop(key, None)  # reopened
        elif topic == "presence":
            self._put(self.presence, key, value, PresenceState)
            self._changes.presence.add(key)
        elif topic == "order":
            self._put(self.orders, key, value, OrderStatus)
            self._changes.orders.add(key)
        elif topic == "report":
            self._put(self.reports, key, value, ReportState)
            self._changes.reports.add(key)
        elif topic == "alarm":
            self._put(self.alarms, key, value, AlarmState)
            self._changes.alarms.add(key)
        elif topic == "resource":
            self._put(self.resources, key, value, ResourceState)
            self._changes.resources.add(key)
        elif topic == "response":
            self._put(self.responses, key, value, ResponseState)
            self._changes.responses.add(key)
        elif topic == "monitor":
            self._put(self.monitor, key, value, MonitorAlarmState)
            self._changes.monitor.add(key)
        elif topic == "emergency":
            self._put(self.emergencies, key, value, EmergencyState)
            self._changes.emergencies.add(key)
        elif topic == "warning":
            self._put(self.warnings, key, value, WarningState)
            self._changes.warnings.add(key)
        elif topic == "relay":
            self._put(self.relay, key, value, RelayState)
            self._changes.relay.add(key)
        elif topic == "duty":
            if value is None:
                self.duty.pop(key, None)
            elif isinstance(value, DutyLogState | ShiftState | HandoverState | SignInState):
                self.duty[key] = value
            self._changes.duty.add(key)

    @staticmethod
    def _put(store: dict[str, _V], key: str, value: object, kind: type[_V]) -> None:
        if value is None:
            store.pop(key, None)
        elif isinstance(value, kind):
            store[key] = value

    def take_changes(self) -> PictureChanges:
        """What changed since the last call (and forget it)."""
        changes, self._changes = self._changes, PictureChanges()
        return changes

    def reports_of(self, incident_id: str) -> list[ReportState]:
        """An incident's reports in order (初报 first)."""
        found = [r for r in self.reports.values() if r.incident_id == incident_id]
        return sorted(found, key=lambda r: (r.version, r.sent))

    def alarms_of(self, incident_id: str) -> list[AlarmState]:
        """An incident's reporting-deadline alarms, soonest first."""
        found = [a for a in self.alarms.values() if a.incident_id == incident_id]
        return sorted(found, key=lambda a: a.due)

    def first_report_minutes(self) -> list[tuple[str, float]]:
        """(incident, minutes from occurrence to its first report), oldest incident first;
        incidents without a report or an occurrence time are left out."""
        out = []
        incidents = sorted(
            (i for i in self.incidents.values() if i.occurred is not None),
            key=lambda i: i.occurred or i.updated,
        )
        for inc in incidents:
            reports = self.reports_of(inc.incident_id)
            if reports and inc.occurred is not None:
                first = min(r.sent for r in reports)
                minutes = (first - inc.occurred).total_seconds() / 60
                out.append((inc.incident_id, max(0.0, minutes)))
        return out

    def signed_in(self, device: str) -> SignInState | None:
        """Who is signed in to duty at ``device``, if anybody."""
        value = self.duty.get(signin_key(device))
        return value if isinstance(value, SignInState) else None

    def sign_ins(self) -> list[SignInState]:
        """Everybody signed in to duty, at any device, earliest first."""
        signed = [v for v in self.duty.values() if isinstance(v, SignInState)]
        return sorted(signed, key=lambda s: s.since)

    def duty_log(self) -> list[DutyLogState]:
        """The duty log lines held, newest first."""
        lines = [v for v in self.duty.values() if isinstance(v, DutyLogState)]
        return sorted(lines, key=lambda e: e.at, reverse=True)

    def is_stale(self, unit: UnitState, now: datetime | None = None) -> bool:
        """A unit whose last fix is older than :data:`STALE_AFTER`."""
        return (now or datetime.now(UTC)) - unit.fix_time > STALE_AFTER

    def presence_counts(self) -> dict[str, int]:
        """Devices by presence status."""
        counts = Counter(p.status for p in self.presence.values())
        return {s: counts.get(s, 0) for s in ("online", "stale", "offline")}

    def unit_counts(self, now: datetime | None = None) -> tuple[int, int]:
        """(fresh, stale) units."""
        stale = sum(1 for u in self.units.values() if self.is_stale(u, now))
        return len(self.units) - stale, stale
