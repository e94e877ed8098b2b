"""The content-addressed attachment store: chunks, resume, verification, limits."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared.store import BlobError, BlobStore


def _blob(n: int) -> tuple[bytes, str]:
    data = bytes((i * 7 + 3) % 251 for i in range(n))
    return data, hashlib.sha256(data).hexdigest()


def test_chunks_in_order_make_a_verified_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data, sha = _blob(10_000)
    assert store.put_chunk(sha, len(data), 0, data[:4000]) is False
    assert store.have(sha) == (4000, False)
    assert store.put_chunk(sha, len(data), 4000, data[4000:]) is True
    assert store.have(sha) == (10_000, True)
    assert store.read(sha) == data
    assert store.path(sha) == tmp_path / sha[:2] / sha
    assert not (tmp_path / "partial" / sha).exists()


def test_a_resend_of_held_bytes_is_accepted_and_a_gap_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data, sha = _blob(3000)
    store.put_chunk(sha, 3000, 0, data[:1000])
    assert store.put_chunk(sha, 3000, 500, data[500:1500]) is False  # overlap, same bytes
    assert store.have(sha) == (1500, False)
    with pytest.raises(BlobError, match="resend from 1500"):
        store.put_chunk(sha, 3000, 2000, data[2000:])
    with pytest.raises(BlobError, match="differs from the bytes already held"):
        store.put_chunk(sha, 3000, 0, b"x" * 10)
    assert store.have(sha) == (1500, False)  # nothing held was changed
    assert store.put_chunk(sha, 3000, 1500, data[1500:]) is True


def test_bytes_that_do_not_match_the_digest_are_discarded(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    _data, sha = _blob(100)
    with pytest.raises(BlobError, match="upload the file again"):
        store.put_chunk(sha, 100, 0, b"y" * 100)
    assert store.have(sha) == (0, False)


def test_limits_and_bad_digests(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    data, sha = _blob(1001)
    with pytest.raises(BlobError, match="exceeds the limit of 1000 bytes"):
        store.put_chunk(sha, 1001, 0, data[:10])
    with pytest.raises(BlobError, match="not a lower-case hex SHA-256"):
        store.have("../../etc/passwd")
    with pytest.raises(BlobError, match="outside the attachment"):
        store.put_chunk(_blob(10)[1], 10, 5, b"123456")
    with pytest.raises(BlobError, match="is not held"):
        store.read(sha)


def test_a_complete_blob_is_idempotent(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data, sha = _blob(50)
    assert store.put_bytes(data) == sha
    assert store.put_chunk(sha, 50, 0, data) is True
    with pytest.raises(BlobError, match="held with 50 bytes"):
        store.put_chunk(sha, 60, 0, data)
