"""Hengshui places (county seats) from the packaged data file."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import msgspec

from shared.data import load_toml


class Place(msgspec.Struct, frozen=True):
    """A named point with its division code (WGS-84)."""

    name: str
    code: str
    lat: float
    lon: float


class _Places(msgspec.Struct):
    city: Place
    places: list[Place]


@cache
def _load() -> _Places:
    return load_toml("hengshui.toml", _Places)


def county_seats() -> list[Place]:
    """The seats of Hengshui's eleven county-level divisions."""
    return list(_load().places)


def city_centre() -> Place:
    """衡水市 itself."""
    return _load().city


def find_place(
    text: str, named: Iterable[tuple[str, float, float]] = ()
) -> tuple[float, float] | None:
    """The point (lat, lon) of a place typed by name: a county (its seat) or one of ``named``
    (name, lat, lon), the exact name first, then the first name that contains the text."""
    text = text.strip()
    if not text:
        return None
    known = {p.name: (p.lat, p.lon) for p in county_seats()}
    for name, lat, lon in named:
        known.setdefault(name, (lat, lon))
    return known.get(text) or next((p for n, p in known.items() if text in n), None)
