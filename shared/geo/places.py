"""Hengshui places (county seats) from the packaged data file."""

from __future__ import annotations

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
