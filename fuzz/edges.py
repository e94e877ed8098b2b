"""Well-formed messages with values at the edges of their types, for every request kind
and field: built from the protocol's own types (``msgspec.inspect``), so a new kind or field
is covered without being named here. Used by ``tests/shared/hub/test_edge_values.py`` and
``./run bench hostile`` (``edge_values_tried``, ``edge_values_failures``).

Each case is ``(kind, field, edge, raw)``: ``raw`` is the message as a plain dict (send it
with ``msgspec.msgpack.encode({"kind": kind, **raw})`` after giving it a fresh id, sender and
``sent``); every case breaks a value rule of ``shared/protocol/values.py`` in ``field``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from msgspec import inspect as mi

from shared.protocol import Message, new_id
from shared.protocol.messages import KIND_OF
from shared.protocol.values import TIME_RULES

REQUEST_KINDS: dict[str, type[Message]] = {kind: t for t, kind in KIND_OF.items()}
NOW = datetime.now(UTC)
EDGE_TIMES = {
    "calendar end, -14:00": datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))),  # noqa: E501
    "year 1": datetime(1, 1, 1, tzinfo=UTC),
    "11 years ago": NOW - timedelta(days=4020),
    "two years ahead": NOW + timedelta(days=800),  # past even a planned time's year
}  # fmt: skip
EDGE_TEXTS = {"vertical tab": "现场\x0b情况", "NUL": "a\x00b", "U+FFFF": "x\uffff"}
EDGE_FLOATS = {"NaN": math.nan, "infinity": math.inf}
_PATTERNS = {
    r"^[0-9a-f]{64}$": "0" * 64,
    r"^[a-z]+/[a-z0-9.+-]{1,100}$": "image/jpeg",
    r"^\d{6}$": "131102",
}
SENDER = "edge"


def _minimal(t: mi.Type, path: str) -> Any:
    """A valid value of type ``t`` (the smallest that fits its constraints)."""
    match t:
        case mi.UnionType(types=types):
            return _minimal(next(x for x in types if not isinstance(x, mi.NoneType)), path)
        case mi.StrType(min_length=lo, pattern=pattern):
            if pattern is not None:
                return _PATTERNS.get(pattern, "")
            return "x" * max(lo or 0, 1)
        case mi.BoolType():
            return False
        case mi.IntType(ge=ge, gt=gt):
            return ge if ge is not None else (gt + 1 if gt is not None else 1)
        case mi.FloatType(ge=ge, le=le):
            return ((ge or 0.0) + (le or 0.0)) / 2 if ge is not None and le is not None else 1.0
        case mi.DateTimeType():
            return NOW.isoformat()
        case mi.LiteralType(values=values):
            return values[0]
        case mi.ListType(item_type=item, min_length=lo):
            return [_minimal(item, path) for _ in range(lo or 0)]
        case mi.TupleType(item_types=items):
            return [_minimal(i, path) for i in items]
        case mi.DictType():
            return {}
        case mi.BytesType():
            return b"x"
        case mi.StructType(cls=cls):
            return _struct_dict(cls, path)
    raise AssertionError(f"{path}: no minimal value for {t}")


def _struct_dict(cls: type, path: str) -> dict[str, Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    out: dict[str, Any] = {}
    for f in info.fields:
        if f.required or f.name in ("id", "sender", "sent"):
            out[f.name] = _minimal(f.type, f"{path}.{f.name}")
    return out


def _base(cls: type[Message]) -> dict[str, Any]:
    raw = _struct_dict(cls, cls.__name__)
    raw.update(id=new_id(), sender=SENDER, sent=NOW.isoformat())
    return raw


def leaves(t: mi.Type) -> list[str]:
    """Which edge families a field of type ``t`` takes."""
    if isinstance(t, mi.UnionType):
        return sorted({leaf for x in t.types for leaf in leaves(x)})
    if isinstance(t, mi.DateTimeType):
        return ["time"]
    if isinstance(t, mi.StrType) and t.pattern is None:
        return ["text"]
    if isinstance(t, mi.FloatType):
        return ["float"]
    if isinstance(t, mi.ListType | mi.TupleType):
        items = [t.item_type] if isinstance(t, mi.ListType) else list(t.item_types)
        return sorted({leaf for i in items for leaf in leaves(i)} - {"time"})
    return []


def cases() -> list[tuple[str, str, str, Any]]:
    """(kind, field, edge name, raw message) for every kind, field and edge value."""
    cases = []
    for kind, cls in sorted(REQUEST_KINDS.items()):
        info = mi.type_info(cls)
        assert isinstance(info, mi.StructType)
        for f in info.fields:
            if f.name in ("id", "sender"):
                continue
            for family in leaves(f.type):
                edges: dict[str, Any] = {
                    "time": {k: v.isoformat() for k, v in EDGE_TIMES.items()},
                    "text": EDGE_TEXTS,
                    "float": EDGE_FLOATS,
                }[family]
                for edge, value in edges.items():
                    rule = TIME_RULES.get(f.name)
                    if edge == "two years ahead" and rule is not None and rule.ahead == "open":
                        continue  # a warning may stand until further notice
                    raw = _base(cls)
                    t = f.type
                    if isinstance(t, mi.UnionType):
                        t = next(x for x in t.types if not isinstance(x, mi.NoneType))
                    if isinstance(t, mi.ListType | mi.TupleType):
                        raw[f.name] = _minimal(t, f.name) or [value]
                        if isinstance(t, mi.TupleType):
                            idx = next(
                                i for i, it in enumerate(t.item_types) if family in leaves(it)
                            )
                            raw[f.name][idx] = value
                        else:
                            raw[f.name] = [value]
                    else:
                        raw[f.name] = value
                    cases.append((kind, f.name, edge, raw))
    return cases
