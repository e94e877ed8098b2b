"""Socket set-up shared by the client's request link and its state replica."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import zmq

from shared.identity.keys import Bundle

RECONNECT_IVL_MS = 1000
"""TCP reconnect interval; libzmq adds up to the same again as jitter (1–2 s)."""

BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 32.0
"""After the hub refuses the handshake, a client waits 1, 2, 4 … 32 s between tries."""


class LinkState(enum.Enum):
    """How the client sees its link to the hub."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    REFUSED = "refused"
    CLOSED = "closed"


_S = TypeVar("_S", bound="zmq.Socket[Any]")


def curve_client(
    ctx: zmq.Context[_S], kind: int, bundle: Bundle, *, reconnect_ms: int = RECONNECT_IVL_MS
) -> _S:
    """A CURVE client socket for ``bundle``'s identity, tuned for our heartbeat rules."""
    sock = ctx.socket(kind)
    sock.linger = 0
    sock.curve_serverkey = bundle.hub_public_key.encode("ascii")
    sock.curve_publickey = bundle.keys.public.encode("ascii")
    sock.curve_secretkey = bundle.keys.secret.encode("ascii")
    sock.reconnect_ivl = reconnect_ms
    sock.reconnect_ivl_max = 0
    sock.sndhwm = 100_000
    sock.rcvhwm = 200_000
    return sock


def next_backoff(current: float) -> float:
    """The next wait in the 1 → 32 s doubling sequence."""
    return min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, current * 2))
