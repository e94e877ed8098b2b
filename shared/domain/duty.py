"""Peacetime duty (平时值守): roster checks, resource checks, monitoring thresholds.

A monitoring point carries its own thresholds (``warn_at`` ≤ ``alarm_at``, both in the unit
of what it measures); a reading at or above one is a warning or an alarm. A point with a
``draft_type`` drafts an incident of that type when it alarms, for a person to confirm: the
system never declares an incident by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from shared.domain.classification import DomainError, classification

MAX_SHIFT = timedelta(hours=48)
"""The longest duty shift accepted: longer is a typing mistake, not a roster."""

Severity = Literal["warning", "alarm"]


def check_shift(start: datetime, end: datetime) -> None:
    """Refuse a roster entry that ends before it starts or lasts more than 48 hours.

    Raises:
        DomainError: saying which.
    """
    if end <= start:
        raise DomainError(f"a shift must end after it starts ({start:%F %R} → {end:%F %R})")
    if end - start > MAX_SHIFT:
        hours = (end - start).total_seconds() / 3600
        raise DomainError(f"a shift of {hours:.0f} hours is longer than the 48 allowed")


def check_resource(
    resource_type: str,
    *,
    capacity: int,
    occupancy: int,
    measure: str,
    warn_at: float | None,
    alarm_at: float | None,
    draft_type: str,
) -> list[str]:
    """Check a resource's figures; returns warnings (an overfull shelter).

    Raises:
        DomainError: thresholds on something that is not a monitoring point, a warning
            threshold above the alarm threshold, a monitoring point with thresholds but no
            measure, an unknown draft type.
    """
    warnings: list[str] = []
    if resource_type != "monitoring_point":
        if warn_at is not None or alarm_at is not None or draft_type:
            raise DomainError(
                "thresholds and draft types belong to monitoring points only, "
                f"not to a {resource_type}"
            )
    else:
        if (warn_at is not None or alarm_at is not None) and not measure:
            raise DomainError(
                "a monitoring point with thresholds must say what it measures "
                "(measure = water_level_m, gas_ppm …)"
            )
        if warn_at is not None and alarm_at is not None and warn_at > alarm_at:
            raise DomainError(
                f"the warning threshold {warn_at} is above the alarm threshold {alarm_at}; "
                "a warning comes first"
            )
        if draft_type:
            classification().type(draft_type)
    if capacity and occupancy > capacity:
        warnings.append(f"occupancy {occupancy} is above the capacity {capacity}")
    return warnings


def reading_severity(
    value: float, warn_at: float | None, alarm_at: float | None
) -> tuple[Severity, float] | None:
    """The severity of a reading and the threshold it reached, or None below both."""
    if alarm_at is not None and value >= alarm_at:
        return "alarm", alarm_at
    if warn_at is not None and value >= warn_at:
        return "warning", warn_at
    return None
