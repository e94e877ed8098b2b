"""Packaged data files (TOML) and the one way to read them into typed structs."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import TypeVar as _TypeVar

import msgspec

_T = _TypeVar("_T")


def load_toml(
    name: str, kind: type[_T], text: str | None = None, *, error: type[Exception] = ValueError
) -> _T:
    """Decode TOML ``text``, or the packaged ``shared/data/NAME``, into ``kind``.

    Raises:
        error: the text is not TOML, or a field is missing or of the wrong type (the message
            names the file and the field).
    """
    if text is None:
        text = resources.files("shared.data").joinpath(name).read_text("utf-8")
    try:
        return msgspec.convert(tomllib.loads(text), kind)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise error(f"{name} is invalid: {exc}") from None


__all__ = ["load_toml"]
