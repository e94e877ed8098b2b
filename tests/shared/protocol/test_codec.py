"""The protocol codec: round trips, forward compatibility, and hostile frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.protocol import (
    PROTOCOL_VERSION,
    REQUEST_KINDS,
    PositionReport,
    ProtocolError,
    SituationReport,
    decode_request,
    encode,
    new_id,
)

CST = timezone(timedelta(hours=8))


def _position(**kw: object) -> PositionReport:
    fields: dict[str, object] = dict(
        id=new_id(),
        sender="u1",
        sent=datetime.now(CST),
        unit_id="FIRE-01",
        lat=37.74,
        lon=115.67,
        fix_time=datetime.now(UTC),
    )
    fields.update(kw)
    return PositionReport(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field_and_the_timezone() -> None:
    msg = _position(heading_deg=90.0, speed_mps=12.5, callsign="消防一队")
    out = decode_request(encode(msg))
    assert out == msg
    assert isinstance(out, PositionReport)
    assert out.sent.utcoffset() is not None


def test_ids_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert ids[0] < ids[-1]


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = msgspec.structs.asdict(_position())
    raw["kind"] = "position"
    raw["added_in_v1_5"] = {"nested": [1, 2, 3]}
    out = decode_request(msgspec.msgpack.encode(raw))
    assert isinstance(out, PositionReport)


def test_unknown_kind_is_named() -> None:
    frame = msgspec.msgpack.encode({"v": 1, "kind": "teleport", "id": "x1"})
    with pytest.raises(ProtocolError) as err:
        decode_request(frame)
    assert err.value.code == "unknown_kind"
    assert "teleport" in err.value.detail and err.value.ref == "x1"


def test_wrong_version_is_refused_with_the_supported_ones() -> None:
    raw = msgspec.structs.asdict(_position())
    raw.update(kind="position", v=PROTOCOL_VERSION + 1)
    with pytest.raises(ProtocolError) as err:
        decode_request(msgspec.msgpack.encode(raw))
    assert err.value.code == "unsupported_version"
    assert "[1]" in err.value.detail


def test_oversized_frame_is_refused_before_decoding() -> None:
    frame = encode(
        SituationReport(
            id=new_id(),
            sender="u1",
            sent=datetime.now(UTC),
            incident_id="I1",
            stage="initial",
            title="t",
            text="x" * 5000,
        )
    )
    with pytest.raises(ProtocolError) as err:
        decode_request(frame, max_frame_bytes=4096)
    assert err.value.code == "oversized"
    assert str(len(frame)) in err.value.detail


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("lat", 91.0, "$.lat"),
        ("lon", -181.0, "$.lon"),
        ("sent", "2026-07-12T21:31:38", "$.sent"),  # no timezone
        ("unit_id", "", "$.unit_id"),
    ],
)
def test_invalid_field_is_named(field: str, value: object, fragment: str) -> None:
    raw = msgspec.to_builtins(_position())
    raw.update({"kind": "position", field: value})
    with pytest.raises(ProtocolError) as err:
        decode_request(msgspec.msgpack.encode(raw))
    assert err.value.code == "invalid"
    assert fragment in err.value.detail


def test_truncated_frame_is_undecodable() -> None:
    frame = encode(_position())
    with pytest.raises(ProtocolError) as err:
        decode_request(frame[: len(frame) // 2])
    assert err.value.code == "undecodable"


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_protocol_errors(frame: bytes) -> None:
    try:
        msg = decode_request(frame, max_frame_bytes=1024)
    except ProtocolError as exc:
        assert exc.code in {
            "undecodable",
            "unknown_kind",
            "invalid",
            "unsupported_version",
            "oversized",
        }
    else:
        assert type(msg).__struct_config__.tag in REQUEST_KINDS


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["v", "kind", "id", "sender", "sent", "lat", "lon", "unit_id", "fix_time", "x"]
        ),
        _values,
    )
)
def test_structured_garbage_only_ever_raises_protocol_errors(raw: dict[str, object]) -> None:
    frame = msgspec.msgpack.encode(raw)
    try:
        msg = decode_request(frame)
    except ProtocolError as exc:
        assert exc.detail  # every refusal says what is wrong
    else:
        assert type(msg).__struct_config__.tag in REQUEST_KINDS
