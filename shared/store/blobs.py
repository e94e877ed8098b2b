"""Attachments (photos, documents) stored content-addressed by SHA-256 in the data folder.

A blob arrives in chunks, in order, into ``partial/<sha256>``; when the last byte is in, its
digest is checked and the file moves to ``<aa>/<sha256>`` (``aa`` = the first two hex
digits), where it never changes again. Every chunk is fsynced before the call returns, so a
chunk acknowledged to a client survives a power cut, and an upload cut short resumes from
:meth:`BlobStore.have`. A chunk that repeats bytes already held is accepted only when the
bytes are the same; a chunk beyond the end of what is held is refused, naming the offset to
resend from.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from shared.protocol.codec import DEFAULT_MAX_BLOB_BYTES

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(Exception):
    """A chunk or blob that cannot be accepted; the message says what to do."""


class BlobStore:
    """Content-addressed files under ``root``.

    Args:
        root: the folder (created when missing).
        max_bytes: the largest blob accepted.
    """

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BLOB_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._partial = root / "partial"
        self._partial.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the complete blob ``sha256`` lives (whether or not it exists)."""
        _check_digest(sha256)
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether the complete, verified blob is held."""
        return self.path(sha256).is_file()

    def have(self, sha256: str) -> tuple[int, bool]:
        """How many bytes of ``sha256`` are held, and whether it is complete."""
        done = self.path(sha256)
        if done.is_file():
            return done.stat().st_size, True
        part = self._partial / sha256
        return (part.stat().st_size if part.is_file() else 0), False

    def check_size(self, size: int) -> None:
        """Refuse a declared size outside 1 … ``max_bytes``."""
        if size <= 0:
            raise BlobError("an attachment must have at least one byte")
        if size > self.max_bytes:
            raise BlobError(
                f"attachment of {size} bytes exceeds the limit of {self.max_bytes} bytes; "
                "reduce it (resize the photo, split the document) and try again"
            )

    def put_chunk(self, sha256: str, size: int, offset: int, data: bytes) -> bool:
        """Add ``data`` at ``offset`` of blob ``sha256`` whose total size is ``size``.

        Returns:
            True when the blob is complete and verified (now or before).

        Raises:
            BlobError: a bad digest or size, a gap, bytes that differ from those held, or a
                complete file whose digest is not ``sha256`` (the partial file is discarded
                and the upload must start again).
        """
        _check_digest(sha256)
        self.check_size(size)
        end = offset + len(data)
        if offset < 0 or end > size:
            raise BlobError(f"chunk {offset}–{end} lies outside the attachment's {size} bytes")
        held, complete = self.have(sha256)
        if complete:
            if held != size:
                raise BlobError(f"blob {sha256} is held with {held} bytes, not {size}")
            return True
        part = self._partial / sha256
        if offset > held:
            raise BlobError(
                f"chunk starts at byte {offset} but only {held} are held; resend from {held}"
            )
        with open(part, "r+b" if part.exists() else "w+b") as f:
            if offset < held:  # a resend: the overlapping bytes must be the same
                f.seek(offset)
                overlap = min(end, held) - offset
                if f.read(overlap) != data[:overlap]:
                    raise BlobError(
                        f"chunk at byte {offset} differs from the bytes already held; "
                        "an attachment's bytes never change: upload a new one instead"
                    )
                data = data[overlap:]
            if data:
                f.seek(held)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if end < size:
            return False
        return self._finish(sha256, part)

    def put_bytes(self, data: bytes) -> str:
        """Store a whole blob at once (local tools and tests); returns its digest."""
        sha256 = hashlib.sha256(data).hexdigest()
        self.put_chunk(sha256, len(data), 0, data)
        return sha256

    def read(self, sha256: str) -> bytes:
        """The bytes of a complete blob.

        Raises:
            BlobError: not held.
        """
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobError(f"attachment {sha256} is not held") from None

    def _finish(self, sha256: str, part: Path) -> bool:
        digest = hashlib.sha256()
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            part.unlink()
            raise BlobError(
                f"the uploaded bytes hash to {digest.hexdigest()}, not {sha256}; "
                "the partial upload was discarded: upload the file again"
            )
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(part, target)
        _fsync_dir(target.parent)
        return True


def _check_digest(sha256: str) -> None:
    if not _SHA256.match(sha256):
        raise BlobError(f"{sha256!r} is not a lower-case hex SHA-256 digest (64 characters)")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
