"""Incidents: facts, computed level with override, and the status lifecycle.

Pure functions over frozen structs: every change returns a new incident with the change
recorded (who, when, why), so history is never overwritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shared.domain.classification import Classification, DomainError, classification
from shared.domain.grading import CriteriaTable, Facts, Grading, grade, tables

Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Status = Literal["reported", "verified", "responding", "stabilised", "closed"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"verified", "closed"}),  # closed here = false alarm, with a note
    "verified": frozenset({"responding", "stabilised", "closed"}),
    "responding": frozenset({"stabilised"}),
    "stabilised": frozenset({"responding", "closed"}),  # flare-up goes back to responding
    "closed": frozenset(),
}
NEEDS_NOTE = frozenset({("reported", "closed"), ("verified", "closed")})

# Rough bounding boxes (WGS-84): outside China is refused, outside Hebei only warned.
CHINA_BOX = (3.8, 53.6, 73.5, 135.1)  # lat min, lat max, lon min, lon max
HEBEI_BOX = (36.0, 42.7, 113.4, 119.9)


class Casualties(msgspec.Struct, frozen=True):
    """Dead, missing, seriously injured, trapped, evacuated."""

    dead: Count = 0
    missing: Count = 0
    seriously_injured: Count = 0
    trapped: Count = 0
    evacuated: Count = 0


class Transition(msgspec.Struct, frozen=True):
    """A status change: who did it, when, and why."""

    from_status: str
    to_status: str
    by: str
    at: datetime
    note: str = ""


class LevelOverride(msgspec.Struct, frozen=True):
    """A duty officer's level, replacing the computed one, with the reason recorded."""

    level: int
    by: str
    at: datetime
    reason: str


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    """An incident as the domain sees it."""

    incident_id: str
    type_code: str
    title: str
    lat: float
    lon: float
    division: str
    occurred: datetime
    reported: datetime
    casualties: Casualties = Casualties()
    direct_loss_cny: Annotated[int, msgspec.Meta(ge=0)] = 0
    status: Status = "reported"
    history: tuple[Transition, ...] = ()
    computed: Grading | None = None
    override: LevelOverride | None = None
    exercise: bool = False

    @property
    def level(self) -> int | None:
        """The level in force: the override if any, else the computed one."""
        if self.override is not None:
            return self.override.level
        return self.computed.level if self.computed else None


def _check_time(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise DomainError(f"{name} must carry a timezone (e.g. 2026-07-12T21:31:38+08:00)")


def check_place(lat: float, lon: float) -> list[str]:
    """Refuse a position outside China; return a warning for one outside Hebei."""
    lat_min, lat_max, lon_min, lon_max = CHINA_BOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise DomainError(
            f"position {lat:.5f}, {lon:.5f} is outside China; check the order (latitude "
            "first) and the datum (WGS-84)"
        )
    lat_min, lat_max, lon_min, lon_max = HEBEI_BOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        return [f"position {lat:.5f}, {lon:.5f} is outside Hebei: accepted, please confirm"]
    return []


def grading_for(
    type_code: str,
    casualties: Casualties,
    loss: int,
    tree: Classification | None = None,
    criteria: dict[str, CriteriaTable] | None = None,
) -> Grading | None:
    """The computed level of a type with these facts (None: the type has no criteria).

    Raises:
        DomainError: an unknown type, or a type naming a missing criteria table.
    """
    tree = tree or classification()
    criteria = criteria if criteria is not None else tables()
    kind = tree.type(type_code)
    if not kind.grading:
        return None
    table = criteria.get(kind.grading)
    if table is None:
        raise DomainError(f"type {type_code!r} refers to missing criteria table {kind.grading!r}")
    facts = Facts(casualties.dead, casualties.seriously_injured, loss)
    return grade(table, facts)


def new_incident(
    *,
    incident_id: str,
    type_code: str,
    title: str,
    lat: float,
    lon: float,
    division: str,
    occurred: datetime,
    reported: datetime,
    casualties: Casualties | None = None,
    direct_loss_cny: int = 0,
    exercise: bool = False,
    tree: Classification | None = None,
    criteria: dict[str, CriteriaTable] | None = None,
) -> tuple[Incident, list[str]]:
    """A validated new incident with its computed level, and any warnings.

    Raises:
        DomainError: unknown type, bad division code, times without timezone or in the
            wrong order, a position outside China, negative loss.
    """
    tree = tree or classification()
    criteria = criteria if criteria is not None else tables()
    if not title.strip():
        raise DomainError("an incident needs a title")
    if len(division) != 6 or not division.isdigit():
        raise DomainError(f"division {division!r} is not a six-digit division code (e.g. 131102)")
    _check_time("occurred", occurred)
    _check_time("reported", reported)
    if reported < occurred:
        raise DomainError("reported time is before the occurred time")
    if direct_loss_cny < 0:
        raise DomainError("direct loss cannot be negative")
    warnings = check_place(lat, lon)
    casualties = casualties or Casualties()
    incident = Incident(
        incident_id=incident_id,
        type_code=type_code,
        title=title,
        lat=lat,
        lon=lon,
        division=division,
        occurred=occurred,
        reported=reported,
        casualties=casualties,
        direct_loss_cny=direct_loss_cny,
        exercise=exercise,
        computed=grading_for(type_code, casualties, direct_loss_cny, tree, criteria),
    )
    return incident, warnings


def check_transition(current: str, to: str, note: str = "") -> None:
    """Whether the lifecycle allows ``current`` → ``to`` (with ``note`` where one is needed).

    Raises:
        DomainError: naming the allowed next states, or asking for the note.
    """
    allowed = TRANSITIONS.get(current)
    if allowed is None:
        raise DomainError(f"unknown status {current!r}")
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or "none (closed is final)"
        raise DomainError(f"cannot go from {current} to {to}; allowed: {options}")
    if (current, to) in NEEDS_NOTE and not note.strip():
        raise DomainError(f"closing a {current} incident needs a note saying why")


def transition(
    incident: Incident, to: Status, *, by: str, at: datetime, note: str = ""
) -> Incident:
    """Move to status ``to``, recorded with who and when.

    Raises:
        DomainError: an illegal transition (naming the allowed ones), or a missing note.
    """
    check_transition(incident.status, to, note)
    if not by.strip():
        raise DomainError("a transition must name the person who made it")
    _check_time("at", at)
    step = Transition(incident.status, to, by, at, note)
    return msgspec.structs.replace(incident, status=to, history=(*incident.history, step))


def update_facts(
    incident: Incident,
    *,
    casualties: Casualties | None = None,
    direct_loss_cny: int | None = None,
    tree: Classification | None = None,
    criteria: dict[str, CriteriaTable] | None = None,
) -> Incident:
    """New casualty counts or loss; the level is recomputed (an override stays in force)."""
    if incident.status == "closed":
        raise DomainError("a closed incident's facts cannot change; open a new report instead")
    casualties = casualties or incident.casualties
    loss = incident.direct_loss_cny if direct_loss_cny is None else direct_loss_cny
    if loss < 0:
        raise DomainError("direct loss cannot be negative")
    computed = grading_for(
        incident.type_code,
        casualties,
        loss,
        tree or classification(),
        criteria if criteria is not None else tables(),
    )
    return msgspec.structs.replace(
        incident, casualties=casualties, direct_loss_cny=loss, computed=computed
    )


def override_level(
    incident: Incident, level: int, *, by: str, at: datetime, reason: str
) -> Incident:
    """A duty officer sets the level; the computed level is kept beside it.

    Raises:
        DomainError: a level outside Ⅰ–Ⅳ or no reason.
    """
    if level not in (1, 2, 3, 4):
        raise DomainError(f"level must be 1–4 (Ⅰ–Ⅳ), got {level}")
    if not reason.strip():
        raise DomainError("overriding the computed level needs a recorded reason")
    _check_time("at", at)
    return msgspec.structs.replace(incident, override=LevelOverride(level, by, at, reason))
