"""Encoding and validating frames. Network input is hostile until this module has read it."""

from __future__ import annotations

from typing import Any

import msgspec

from shared.protocol.messages import (
    PROTOCOL_VERSION,
    REQUEST_KINDS,
    SUPPORTED_VERSIONS,
    ErrorCode,
    Message,
    Reply,
    Request,
)
from shared.protocol.state import HubBeat, SnapshotChunk, UpdateBatch

DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BLOB_BYTES = 32 * 1024 * 1024
"""The default size limit of one attachment (32 MiB): the hub's, and what a field device
checks before it starts an upload."""


class ProtocolError(Exception):
    """A frame that cannot be accepted. ``code`` and ``detail`` go back to the sender."""

    def __init__(self, code: ErrorCode, detail: str, ref: str | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: ErrorCode = code
        self.detail = detail
        self.ref = ref


_encoder = msgspec.msgpack.Encoder()
_request_decoder = msgspec.msgpack.Decoder(Request)
_reply_decoder = msgspec.msgpack.Decoder(Reply)
_batch_decoder = msgspec.msgpack.Decoder(UpdateBatch)
_chunk_decoder = msgspec.msgpack.Decoder(SnapshotChunk)
_beat_decoder = msgspec.msgpack.Decoder(HubBeat)


def encode(obj: Any) -> bytes:
    """Encode a message or state struct as MessagePack."""
    return _encoder.encode(obj)


def _diagnose(frame: bytes, exc: msgspec.ValidationError) -> ProtocolError:
    """Turn a validation failure into the most useful error for the sender.

    The frame is hostile: the generic decode may fail in ways the typed one did not reach
    (invalid UTF-8 in a string it never got to), and any value may be of any type.
    """
    try:
        raw = msgspec.msgpack.decode(frame)
    except Exception as generic:
        return ProtocolError("undecodable", f"payload is not valid MessagePack: {generic}")
    if not isinstance(raw, dict):
        return ProtocolError(
            "invalid", f"a message must be a map with a 'kind', got {type(raw).__name__}"
        )
    ref = raw.get("id") if isinstance(raw.get("id"), str) else None
    version = raw.get("v", PROTOCOL_VERSION)
    if not isinstance(version, int) or version not in SUPPORTED_VERSIONS:
        return ProtocolError(
            "unsupported_version",
            f"protocol version {version!r:.40} is not supported; this hub speaks "
            f"{sorted(SUPPORTED_VERSIONS)}: upgrade the client",
            ref,
        )
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in REQUEST_KINDS:
        return ProtocolError(
            "unknown_kind",
            f"unknown message kind {kind!r:.60}; known kinds: {', '.join(sorted(REQUEST_KINDS))}",
            ref,
        )
    return ProtocolError("invalid", f"{kind} message is invalid: {_short(str(exc))}", ref)


def _short(why: str, keep: int = 240) -> str:
    """msgspec's complaint with the bad value cut to a short prefix, keeping where it is
    (the ``- at `$.field``` suffix): an invalid choice used to be echoed whole."""
    if len(why) <= keep:
        return why
    head, sep, where = why.rpartition(" - at `")
    if not sep or len(where) > 120:
        return why[:keep] + "…"
    return f"{head[: keep - len(where)]}… - at `{where}"


def decode_request(frame: bytes, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> Message:
    """Decode and validate one request frame from a client.

    Raises:
        ProtocolError: naming what is wrong (size, encoding, version, kind or a field).
    """
    if len(frame) > max_frame_bytes:
        raise ProtocolError(
            "oversized",
            f"frame of {len(frame)} bytes exceeds the limit of {max_frame_bytes} bytes; "
            "send large attachments in chunks",
        )
    try:
        msg: Message = _request_decoder.decode(frame)
    except msgspec.ValidationError as exc:
        raise _diagnose(frame, exc) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError("undecodable", f"payload is not valid MessagePack: {exc}") from None
    except UnicodeDecodeError as exc:
        # msgspec reports invalid UTF-8 in a string field with Python's own error
        raise ProtocolError(
            "undecodable",
            f"a text field is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start} of that field): send text as UTF-8",
        ) from None
    except Exception as exc:  # anything else the decoder may raise costs this frame only
        raise ProtocolError(
            "undecodable", f"payload cannot be decoded ({type(exc).__name__}: {exc!s:.200})"
        ) from None
    if msg.v not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            "unsupported_version",
            f"protocol version {msg.v} is not supported; this hub speaks "
            f"{sorted(SUPPORTED_VERSIONS)}: upgrade the client",
            msg.id,
        )
    return msg


def decode_reply(frame: bytes) -> Message:
    """Decode a frame the hub sent on the request socket.

    Raises:
        msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError: not a reply; the
            caller logs it and reads on (see :data:`DECODE_FAILURES`).
    """
    reply: Message = _reply_decoder.decode(frame)
    return reply


DECODE_FAILURES: tuple[type[Exception], ...] = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    UnicodeDecodeError,
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
)
"""Everything msgspec's decoders have been seen to raise for a hostile frame: catch these at a
boundary that decodes with the typed decoders below (``ValidationError`` and ``DecodeError``
alone miss invalid UTF-8)."""


def decode_batch(frame: bytes) -> UpdateBatch:
    """Decode a publication frame."""
    return _batch_decoder.decode(frame)


def decode_chunk(frame: bytes) -> SnapshotChunk:
    """Decode a snapshot chunk."""
    return _chunk_decoder.decode(frame)


def decode_beat(frame: bytes) -> HubBeat:
    """Decode a hub heartbeat publication."""
    return _beat_decoder.decode(frame)
