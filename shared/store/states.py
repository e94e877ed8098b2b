"""Stored rows as structs, by column name: one conversion per record.

A struct's field takes the row's column of the same name, so a fact added to both the table
and the struct needs no copying code; only the fields stored differently (a JSON area, the
criteria as lines) are given. The hub publishes an incident or an order it writes with these,
and rebuilds the picture with them at start, so the two cannot drift apart; the exchange
bundle exports its records with them too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import msgspec

from shared.protocol.state import IncidentState, OrderStatus

S = TypeVar("S", bound=msgspec.Struct)


@cache
def _field_names(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.name for f in msgspec.structs.fields(cls))


def from_row(cls: type[S], row: Mapping[Any, Any], **given: Any) -> S:
    """A ``cls`` with every field ``row`` has a column for (by name), and ``given``; a field
    the row lacks keeps its default."""
    values = {n: row[n] for n in _field_names(cls) if n not in given and n in row}
    return cls(**values, **given)


def area_of(stored: str | None) -> list[tuple[float, float]] | None:
    """A stored area (a JSON ring, or "" for none) as (lat, lon) points."""
    return [(p[0], p[1]) for p in json.loads(stored)] if stored else None


def incident_state(row: Mapping[Any, Any], status_note: str = "") -> IncidentState:
    """An ``incidents`` row (its ``_mapping``, or the values the hub writes) as the picture
    shows it; ``status_note`` is the note of its last lifecycle step (kept with the step)."""
    return from_row(
        IncidentState,
        row,
        level_criteria=lines(row.get("level_criteria")),
        warnings=lines(row.get("warnings")),
        area=area_of(row.get("area")),
        status_note=status_note,
    )


def lines(stored: str | None) -> list[str]:
    """A stored list of one item per line."""
    return [item for item in (stored or "").split("\n") if item]


def order_state(row: Mapping[Any, Any]) -> OrderStatus:
    """An ``orders`` row (its ``_mapping``, or the values the hub writes) as published."""
    return from_row(OrderStatus, row)
