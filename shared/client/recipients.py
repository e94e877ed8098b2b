"""Who an order can go to, as people name them: units, teams, departments and devices — each
with the enrolled device that receives it (the resource model says which).

- a **device** (a field unit's laptop, a liaison, a county platform) receives its own orders;
- a **department** receives through its liaison's device (``departments.toml``);
- a **team** (a resource of type ``team``) receives on its own device when one is enrolled
  under the team's id, else through its department's liaison;
- a **unit** on the map receives on the device that reports its position.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from shared.client.picture import SituationPicture
from shared.domain.plans import Department, packaged_departments
from shared.protocol import PresenceState, ResourceState, UnitState

ORDER_ROLES = frozenset({"field", "liaison", "county"})
"""Roles whose devices take orders."""


class Recipient(msgspec.Struct, frozen=True):
    """One choice in the recipient picker."""

    key: str
    """``kind:id`` — unique across kinds."""
    kind: str
    """``unit``, ``team``, ``department`` or ``device``."""
    name: str
    """What people call it (a call sign, a team's or department's name, a device name)."""
    detail: str
    """The type of unit or team, the department, the role."""
    device: str | None
    """The enrolled device the order goes to; None when nobody can receive it."""
    through: str = ""
    """Who passes it on when it is not the recipient's own device (a department's name for
    a liaison, or the reporting device of a unit)."""
    missing: str = ""
    """When ``device`` is None: the device that would receive it and is not enrolled (or
    does not take orders); empty when nobody is named for it at all."""


def _department(code: str, departments: Iterable[Department]) -> Department | None:
    return next((d for d in departments if d.code == code), None)


def team_recipient(
    team: ResourceState,
    presence: dict[str, PresenceState],
    departments: Iterable[Department] | None = None,
) -> Recipient:
    """Where an order to ``team`` goes: the team's own device, else its department's
    liaison, else nowhere (and why)."""
    depts = list(departments if departments is not None else packaged_departments().departments)
    key = f"team:{team.resource_id}"
    own = presence.get(team.resource_id)
    if own is not None and own.role in ORDER_ROLES:
        return Recipient(key, "team", team.name, team.category, team.resource_id)
    dept = _department(team.department, depts)
    if dept is not None and dept.liaison in presence:
        return Recipient(key, "team", team.name, team.category, dept.liaison, dept.name)
    missing = dept.liaison if dept is not None else ""
    return Recipient(key, "team", team.name, team.category, None, missing=missing)


def unit_recipient(unit: UnitState, presence: dict[str, PresenceState]) -> Recipient:
    """Where an order to ``unit`` goes: the device that reports its position."""
    key = f"unit:{unit.unit_id}"
    name = unit.callsign or unit.unit_id
    p = presence.get(unit.device)
    if p is not None and p.role in ORDER_ROLES:
        through = "" if unit.device == unit.unit_id else unit.device
        return Recipient(key, "unit", name, unit.unit_type, unit.device, through)
    return Recipient(key, "unit", name, unit.unit_type, None, missing=unit.device)


def recipients(picture: SituationPicture) -> list[Recipient]:
    """Every choice for the recipient picker: devices, departments, teams, units (in that
    order, each sorted by name); those nobody can receive are included with the reason."""
    presence = picture.presence
    out = [
        Recipient(f"device:{name}", "device", name, p.role, name)
        for name, p in sorted(presence.items())
        if p.role in ORDER_ROLES
    ]
    depts = packaged_departments().departments
    for d in depts:
        device = d.liaison if d.liaison in presence else None
        out.append(
            Recipient(
                f"department:{d.code}",
                "department",
                d.name,
                d.code,
                device,
                missing="" if device else d.liaison,
            )
        )
    teams = [r for r in picture.resources.values() if r.resource_type == "team"]
    out += [team_recipient(t, presence, depts) for t in sorted(teams, key=lambda t: t.name)]
    units = sorted(picture.units.values(), key=lambda u: u.callsign or u.unit_id)
    out += [unit_recipient(u, presence) for u in units]
    return out
