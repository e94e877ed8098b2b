"""Uploading attachments (photos, documents) to the hub in chunks, resumably.

The chunks go through the durable outbox like every other message, so an upload started
offline is sent when the link comes back, and one cut short is finished by the outbox's
resend; the hub accepts a resent chunk when its bytes are the ones it holds. Before
sending, the hub is asked how much it already has, so a second upload of the same photo
sends nothing, and an interrupted one sends only the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from collections.abc import Callable
from pathlib import Path

from shared.client.client import HubClient
from shared.protocol import (
    CHUNK_MAX_BYTES,
    AttachmentChunk,
    AttachmentQuery,
    AttachmentRef,
    AttachmentStatus,
    Error,
)

DEFAULT_CHUNK_BYTES = 256 * 1024
"""Small enough that one lost chunk on a poor link costs little, large enough to be quick."""

Progress = Callable[[int, int], None]
"""Called with (bytes acknowledged, total bytes)."""


class UploadError(Exception):
    """The hub refused the attachment (too large, bytes that do not match …)."""


async def upload(
    client: HubClient,
    source: Path | bytes,
    *,
    name: str = "",
    media_type: str = "",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: Progress | None = None,
    timeout: float = 600.0,
    wait: bool = True,
) -> AttachmentRef:
    """Upload ``source`` (a file or bytes) and return the reference a report carries.

    With ``wait=False`` the chunks are only queued in the durable outbox (no link needed):
    a report submitted after them travels behind them, so it arrives with its attachment
    whole — the offline-first path of the field client.

    Raises:
        UploadError: the hub refused a chunk (the message says why).
        TimeoutError: not all chunks acknowledged in ``timeout`` (they stay queued in the
            outbox and are sent when the link allows; the reference is still valid then).
        ValueError: an empty source or a chunk size over the protocol's limit.
    """
    if not 1 <= chunk_bytes <= CHUNK_MAX_BYTES:
        raise ValueError(f"chunk size must be 1 … {CHUNK_MAX_BYTES} bytes, not {chunk_bytes}")
    if isinstance(source, Path):
        data = await asyncio.to_thread(source.read_bytes)
        name = name or source.name
    else:
        data = source
    if not data:
        raise ValueError("an attachment must have at least one byte")
    name = name or "attachment"
    media_type = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    sha256 = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    ref = AttachmentRef(sha256, name[:255], media_type, len(data))
    start = 0
    if client.state.value == "online":
        try:
            held = await client.request(client.make(AttachmentQuery, sha256=sha256), 10.0)
        except TimeoutError:
            held = None
        if isinstance(held, AttachmentStatus):
            if held.complete:
                if progress:
                    progress(len(data), len(data))
                return ref
            start = held.have
        elif isinstance(held, Error):
            raise UploadError(f"{held.code}: {held.detail}")
    chunks = [
        client.make(
            AttachmentChunk,
            sha256=sha256,
            size=len(data),
            offset=off,
            data=data[off : off + chunk_bytes],
        )
        for off in range(start, len(data), chunk_bytes)
    ]
    sizes = {c.id: len(c.data) for c in chunks}
    done = asyncio.get_running_loop().create_future()
    acked = start

    def on_ack(ref_id: str, status: str, latency: float) -> None:
        nonlocal acked
        n = sizes.pop(ref_id, None)
        if n is None:
            return
        acked += n
        if progress:
            progress(acked, len(data))
        if not sizes and not done.done():
            done.set_result(None)

    def on_error(error: Error) -> None:
        if error.ref in sizes and not done.done():
            done.set_exception(UploadError(f"{name}: {error.detail}"))

    client.on_ack.append(on_ack)
    client.on_error.append(on_error)
    try:
        if progress:
            progress(acked, len(data))
        await client.submit(*chunks)
        if chunks and wait:
            await asyncio.wait_for(done, timeout)
    finally:
        client.on_ack.remove(on_ack)
        client.on_error.remove(on_error)
    return ref
