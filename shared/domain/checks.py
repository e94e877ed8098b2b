"""Checks at the edge of the record: ids, titles, division codes and times.

Each check raises :class:`~shared.domain.classification.DomainError` with the reason and
what to do, or returns warnings (accepted, but the sender should confirm).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from functools import cache

from shared.domain.classification import DomainError
from shared.geo.places import city_centre, county_seats

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the hub's clock a device's time may be (its clock runs fast) before a
time "in the future" is refused."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$")
"""Letters, digits, '-', '_', '.', and '/' between parts (a county's ``PREFIX/ID``): what the
refusal says (``HS,1``, ``HS<1``, ``../../etc`` and ``county-jingxian/../HS-1`` were stored)."""


def check_id(value: str, what: str = "incident id") -> None:
    """An id has no spaces or control characters (it is typed, quoted and used in paths)."""
    if not value or not _ID.match(value) or ".." in value:
        raise DomainError(
            f"{what} {value[:80]!r} must be letters, digits, '-', '_', '.' and '/' between "
            "parts, with no spaces and no '..' (for example HS-20261129-001)"
        )
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise DomainError(f"{what} {value!r} contains a control character; retype it")


def check_title(value: str) -> None:
    """A title says something."""
    if not value.strip():
        raise DomainError("the title is empty: say in a few words what happened and where")


@cache
def hengshui_divisions() -> dict[str, str]:
    """Hengshui's division codes → names (the city and its county-level divisions)."""
    city = city_centre()
    return {city.code: city.name} | {p.code: p.name for p in county_seats()}


def check_division(code: str | None) -> list[str]:
    """A division code in Hengshui passes; elsewhere in Hebei (13…) is accepted with a
    warning (an incident next door); anything else is refused."""
    if code is None:
        return []
    known = hengshui_divisions()
    if code in known:
        return []
    listed = "、".join(f"{name} {c}" for c, name in known.items())
    if code.startswith("13") and code[2:4] != "00":
        return [f"division {code} is in Hebei but not in Hengshui: accepted, please confirm"]
    raise DomainError(f"division {code} is not a division of Hengshui; use one of: {listed}")


def check_time(value: datetime | None, now: datetime, what: str = "occurred") -> None:
    """A time that has happened: not later than ``now`` plus :data:`CLOCK_SKEW`."""
    if value is None:
        return
    if value > now + CLOCK_SKEW:
        raise DomainError(
            f"{what} {value.isoformat(timespec='seconds')} is in the future (the hub's clock "
            f"says {now.isoformat(timespec='seconds')}, tolerance "
            f"{int(CLOCK_SKEW.total_seconds())} s); check the date and the device's clock"
        )


RECEIVED_MAX_AGE = timedelta(days=1)
"""How long after a call a duty officer may still declare with its time received."""


def check_received(received: datetime | None, occurred: datetime | None, now: datetime) -> datetime:
    """When the reporting clocks start: ``received`` if it is a plausible time (not in the
    future, not before ``occurred``, within :data:`RECEIVED_MAX_AGE`), else ``now``.

    Raises:
        DomainError: an implausible time, saying which and why.
    """
    if received is None:
        return now
    check_time(received, now, "received")
    if occurred is not None and received < occurred:
        raise DomainError(
            f"received {received.isoformat(timespec='seconds')} is before the incident "
            f"occurred ({occurred.isoformat(timespec='seconds')}); check both times"
        )
    if received < now - RECEIVED_MAX_AGE:
        raise DomainError(
            f"received {received.isoformat(timespec='seconds')} is more than "
            f"{RECEIVED_MAX_AGE.days} day ago; declare with the current time and say when "
            "it was received in the report text"
        )
    return min(received, now)
