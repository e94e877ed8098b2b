"""ZAP authentication: only enrolled, unrevoked, unexpired device keys complete the handshake."""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import zmq
from zmq.auth.thread import ThreadAuthenticator

from shared.hub.registry import DeviceCache

ZAP_DOMAIN = "hengshui"


class _KeyCheck:
    """Credentials provider for pyzmq's authenticator; records every refusal."""

    def __init__(
        self,
        cache: DeviceCache,
        refusals: collections.deque[tuple[float, str, str]],
        cut_off: dict[str, float],
    ):
        self._cache = cache
        self._refusals = refusals
        self._cut_off = cut_off

    def callback(self, domain: str, key: bytes) -> bool:
        z85 = key.decode("ascii", "replace")
        until = self._cut_off.get(z85)
        if until is not None and time.monotonic() < until:
            self._refusals.append((time.time(), z85, "cut off for sending malformed data"))
            return False
        if self._cache.lookup_fresh(z85) is not None:
            return True
        self._refusals.append((time.time(), z85, self._cache.describe_refusal(z85)))
        return False


class ZapGuard:
    """Runs the ZAP handler thread for one context and collects refusals for the audit log."""

    def __init__(
        self, ctx: zmq.Context[Any], cache: DeviceCache, cut_off: dict[str, float] | None = None
    ) -> None:
        self.refusals: collections.deque[tuple[float, str, str]] = collections.deque(maxlen=10000)
        self._auth = ThreadAuthenticator(ctx)
        self._check = _KeyCheck(cache, self.refusals, {} if cut_off is None else cut_off)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start answering ZAP requests for :data:`ZAP_DOMAIN`."""
        self._auth.start()
        self._auth.configure_curve_callback(domain=ZAP_DOMAIN, credentials_provider=self._check)

    def stop(self) -> None:
        """Stop the handler thread."""
        self._auth.stop()


def make_server_socket(
    ctx: zmq.Context[Any], kind: int, secret_key: str, public_key: str
) -> zmq.Socket[Any]:
    """A CURVE server socket bound to the ZAP domain, with domain enforcement."""
    sock: zmq.Socket[Any] = ctx.socket(kind)
    sock.linger = 0
    sock.curve_server = True
    sock.curve_secretkey = secret_key.encode("ascii")
    sock.curve_publickey = public_key.encode("ascii")
    sock.zap_domain = ZAP_DOMAIN.encode()
    sock.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, 1)
    return sock
