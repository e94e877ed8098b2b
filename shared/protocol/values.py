"""Value rules: what a well-typed message may still not carry, in one table.

Decoding checks types (msgspec); a frame can be perfectly typed and still hold a date the
store cannot keep (``9999-12-31T23:59:59-14:00``), a character XML 1.0 cannot carry (a
vertical tab pasted from Word, NUL) or a float that is not a number. Every boundary that
takes messages from outside — the hub for every request, and the intake, the county link,
the exchange import and the warnings gateway before they make one — checks them here, after
decoding, so an old client gets a refusal naming the field instead of a decode error, and
existing field types never change (conventions.md §4).

The rules, by kind of value:

* **text** (every string, in lists and nested structs too): no C0 control character but tab,
  line feed and carriage return, no U+FFFE / U+FFFF, no lone surrogate — XML 1.0 and the
  store carry everything else. Every message our own applications make is cleaned by
  :func:`clean_message` (``HubClient.make``: a vertical tab pasted from Word becomes a line
  break); the boundaries that pass on what others wrote refuse instead, naming the field.
* **times**, by field name (:data:`TIME_RULES`): an observed time (when a fix was taken, a
  report received, an incident occurred) is never more than the clock-skew tolerance ahead of
  the hub's clock; a planned time (a shift's start and end) may lie up to a year ahead, a
  warning's onset and expiry at any time the record keeps. Into the past each has a window
  from the hub's configuration (``value_*`` keys) wide enough for the durable outbox: a
  message queued during a cut of hours, a post offline all day, an import or a drill
  carrying old times. Every time lies within years the store round-trips.
* **numbers**: every float finite (no NaN, no infinity).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

__all__ = [
    "TIME_RULES",
    "ValueProblem",
    "ValueRules",
    "clean_message",
    "clean_text",
    "value_problem",
]

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\x0b\x0c]")

EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, tzinfo=UTC)
"""No time outside these is taken, whatever the windows: the store keeps times as
microseconds since 1970 and every part of the system can format these years."""


@dataclass(frozen=True)
class TimeRule:
    """How far a time field may lie ahead of the hub's clock, and which window into the past
    it takes (``recent``: the outbox window; ``history``: the record's)."""

    ahead: str
    """``skew`` (an observed time), ``planned`` (up to :attr:`ValueRules.planned`) or
    ``open`` (any time the record keeps: a warning may stand until further notice)."""
    past: str = "recent"


TIME_RULES: dict[str, TimeRule] = {
    "sent": TimeRule("skew"),
    "fix_time": TimeRule("skew"),
    "measured": TimeRule("skew"),
    "received": TimeRule("skew"),
    "committed": TimeRule("skew"),
    "cap_sent": TimeRule("skew", past="history"),  # a standing warning, polled again
    "occurred": TimeRule("skew", past="history"),
    "onset": TimeRule("open", past="history"),
    "expires": TimeRule("open", past="history"),
    "start": TimeRule("planned"),
    "end": TimeRule("planned"),
}
"""Every time field of the protocol by name (the same name means the same in every kind); a
time field not named here takes the strictest rule (observed, recent)."""

_STRICT = TimeRule("skew")


@dataclass(frozen=True)
class ValueRules:
    """The windows (``[values]`` in the hub's configuration)."""

    skew: timedelta = timedelta(minutes=5)
    """Clock-skew tolerance: how far an observed time may lie ahead of the hub's clock."""
    recent: timedelta = timedelta(days=30)
    """How old a message's times may be: the longest a device may be cut off and still send
    what it queued."""
    history: timedelta = timedelta(days=3660)
    """How long ago an incident may have occurred (an import of an old incident, say)."""
    planned: timedelta = timedelta(days=366)
    """How far ahead a planned time (a warning's expiry, a shift's end) may lie."""


class ValueProblem(ValueError):
    """A field whose value breaks its rule; ``field`` is its path (``areas[0].name``)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"field {field!r}: {detail}")
        self.field = field
        self.detail = detail


def value_problem(
    msg: msgspec.Struct, now: datetime | None, rules: ValueRules | None = ValueRules()
) -> ValueProblem | None:
    """The first field of ``msg`` whose value breaks its rule, or None.

    With ``now`` or ``rules`` None only what holds at any time is checked (text, finite
    numbers, the years the record keeps): for what was stored or is about to be published."""
    try:
        _check_struct(msg, "", now, rules)
    except ValueProblem as problem:
        return problem
    return None


def _check_struct(
    obj: msgspec.Struct, path: str, now: datetime | None, rules: ValueRules | None
) -> None:
    for name in obj.__struct_fields__:
        _check(getattr(obj, name), f"{path}{name}", name, now, rules)


def _check(
    value: Any, path: str, name: str, now: datetime | None, rules: ValueRules | None
) -> None:
    if isinstance(value, str):
        if (bad := _BAD_CHARS.search(value)) is not None:
            raise ValueProblem(
                path,
                f"character U+{ord(bad.group()):04X} at position {bad.start()} cannot be "
                "carried (XML 1.0 and the store refuse control characters): remove it, or "
                "make a vertical tab or form feed a line break",
            )
    elif isinstance(value, bool | int | bytes | None):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem(path, f"{value} is not a number the record can hold")
    elif isinstance(value, datetime):
        _check_time(value, path, TIME_RULES.get(name, _STRICT), now, rules)
    elif isinstance(value, msgspec.Struct):
        _check_struct(value, f"{path}.", now, rules)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", name, now, rules)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, f"{path}{{key}}", name, now, rules)
            _check(item, f"{path}[{str(key)[:20]!r}]", name, now, rules)


def _check_time(
    value: datetime, path: str, rule: TimeRule, now: datetime | None, rules: ValueRules | None
) -> None:
    shown = value.isoformat()[:40]
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueProblem(
            path, f"{shown} is outside the years the record keeps ({EARLIEST.year}-{LATEST.year})"
        )
    if now is None or rules is None:
        return
    back = rules.history if rule.past == "history" else rules.recent
    if utc < now - back:
        raise ValueProblem(
            path, f"{shown} is more than {_span(back)} in the past (the window for {path})"
        )
    if rule.ahead == "open":
        return  # within the record's years (checked above) is all a standing time needs
    ahead = rules.skew if rule.ahead == "skew" else rules.planned
    if utc > now + ahead:
        what = "the clock-skew tolerance" if rule.ahead == "skew" else "a planned time may be"
        raise ValueProblem(
            path,
            f"{shown} is more than {_span(ahead)} ahead of the hub's clock ({what}): check "
            "the device's clock",
        )


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def clean_text(text: str) -> str:
    """Text typed or pasted by a person, made carriable: a vertical tab or form feed (Word
    puts them in pasted text) becomes a line break; other control characters go."""
    if _BAD_CHARS.search(text) is None:
        return text
    return _BAD_CHARS.sub("", _LINE_BREAKS.sub("\n", text))


def clean_message(msg: Any) -> Any:
    """``msg`` (a struct) with every text field cleaned by :func:`clean_text`; the same
    object when nothing needed cleaning."""
    changes: dict[str, Any] = {}
    for name in msg.__struct_fields__:
        value = getattr(msg, name)
        cleaned = _clean_value(value)
        if cleaned is not value:
            changes[name] = cleaned
    return msgspec.structs.replace(msg, **changes) if changes else msg


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        cleaned = clean_text(value)
        return value if cleaned == value else cleaned
    if isinstance(value, msgspec.Struct):
        return clean_message(value)
    if isinstance(value, list | tuple):
        items = [_clean_value(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value
