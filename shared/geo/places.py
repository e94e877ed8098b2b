"""Hengshui places (county seats) from the packaged data file."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import msgspec


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
    text = resources.files("shared.data").joinpath("hengshui.toml").read_text("utf-8")
    return msgspec.convert(tomllib.loads(text), _Places)


def county_seats() -> list[Place]:
    """The seats of Hengshui's eleven county-level divisions."""
    return list(_load().places)


def city_centre() -> Place:
    """衡水市 itself."""
    return _load().city
