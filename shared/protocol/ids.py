"""Message ids and clocks.

Ids are ULIDs (26 Crockford base-32 characters: 48-bit milliseconds, 80 random bits), made
monotonic within a process as the ULID spec allows: within one millisecond the random part
is incremented, so ids sort in creation order. Encoding goes through the C base-32 codec,
several times faster than a character loop — the hub makes one per acknowledgement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from datetime import UTC, datetime

_RFC4648 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = bytes.maketrans(_RFC4648, _CROCKFORD)
_RANDOM_MAX = (1 << 80) - 1

_lock = threading.Lock()
_last_ms = -1
_last_rand = 0


def new_id() -> str:
    """A new sortable unique id (ULID, 26 characters), monotonic within this process."""
    global _last_ms, _last_rand
    ms = time.time_ns() // 1_000_000
    with _lock:
        if ms <= _last_ms:
            ms = _last_ms
            _last_rand += 1
            if _last_rand > _RANDOM_MAX:  # 2^80 ids in one millisecond: move time on
                ms += 1
                _last_rand = int.from_bytes(os.urandom(10)) >> 1
        else:
            _last_rand = int.from_bytes(os.urandom(10)) >> 1  # headroom for increments
        _last_ms = ms
        value = (ms << 80) | _last_rand
    # 128 bits, left-aligned in 17 bytes (136 bits): the first 26 base-32 digits are the
    # 130-bit big-endian ULID text (two leading zero bits).
    raw = (value << 6).to_bytes(17, "big")
    return base64.b32encode(raw)[:26].translate(_TO_CROCKFORD).decode("ascii")


def utcnow() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


def derived_id(prefix: str, secret: str, *parts: object) -> str:
    """A message id derived from what a message stands for (a department's request, an
    imported item, a CAP alert, a county's change), so that a retry is the same message;
    keyed with a secret only the deriving side holds (its own key bundle's secret key), so no
    other device can compute it and send something under it first. HMAC-SHA-256, 160 bits."""
    mac = hmac.new(secret.encode(), "|".join(map(str, parts)).encode(), hashlib.sha256)
    return prefix + mac.hexdigest()[:40]
