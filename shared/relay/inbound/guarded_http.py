"""An aiohttp application served behind limits a hostile client cannot talk its way past.

aiohttp bounds header lines and bodies, but not time: a client that sends one byte a second
keeps its connection (and a file descriptor) for ever, and a refused TLS handshake is dropped
by asyncio without a word. :class:`GuardedServer` listens itself and hands each connection to
the application's request handler only after:

* the connection fits the limits — ``max_connections`` in all, ``max_per_peer`` from one
  address (more are closed at once, counted and logged once a minute per address);
* the TLS handshake (mutual TLS where the context asks for client certificates) completes
  within ``handshake_timeout_s`` — a refusal (no certificate, expired, another CA) is logged
  with the peer and OpenSSL's reason, and counted by reason;

and then watches every connection: between requests (from connecting, or from its last
answer) a client has ``request_timeout_s`` to deliver its next request's headers; a
connection that has not is closed, slow drip or idle alike. Request bodies are bounded in
time by the handlers (``read_body``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from shared.aio import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpLimits:
    """Limits of one HTTP endpoint (the defaults suit the intranet's department platforms)."""

    max_connections: int = 256
    max_per_peer: int = 32
    handshake_timeout_s: float = 10.0
    request_timeout_s: float = 15.0
    body_timeout_s: float = 30.0
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 64


@dataclass
class _Conn:
    peer: str
    opened: float
    ready_at: float
    busy: int = 0
    transport: Any = None


@dataclass
class HttpStats:
    """What the guard has done, for tests, benchmarks and the operator."""

    accepted: int = 0
    refused_limit: int = 0
    tls_refused: collections.Counter[str] = field(default_factory=collections.Counter)
    timed_out: int = 0
    failed_requests: int = 0


class _Shim(asyncio.Protocol):
    """The application side of a connection until the request handler takes it over: keeps
    whatever arrives with the end of the handshake, then forwards everything."""

    def __init__(self) -> None:
        self.target: Any = None
        self.pending: list[bytes] = []
        self.eof = False
        self.lost: tuple[Exception | None] | None = None
        self.on_lost: Callable[[], None] | None = None

    def attach(self, handler: Any, transport: Any) -> None:
        handler.connection_made(transport)
        self.target = handler
        for data in self.pending:
            handler.data_received(data)
        self.pending.clear()
        if self.eof:
            handler.eof_received()
        if self.lost is not None:
            self.connection_lost(self.lost[0])

    def data_received(self, data: bytes) -> None:
        if self.target is not None:
            self.target.data_received(data)
        else:
            self.pending.append(data)

    def eof_received(self) -> bool | None:
        if self.target is not None:
            result: bool | None = self.target.eof_received()
            return result
        self.eof = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.on_lost is not None:
            self.on_lost()
        if self.target is not None:
            self.target.connection_lost(exc)
        else:
            self.lost = (exc,)

    def pause_writing(self) -> None:
        if self.target is not None:
            self.target.pause_writing()

    def resume_writing(self) -> None:
        if self.target is not None:
            self.target.resume_writing()


class _Accept(asyncio.Protocol):
    """The first protocol of every TCP connection: admits it, then starts TLS."""

    def __init__(self, server: GuardedServer) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # nothing is read before the handshake takes the socket
        self.server._admit(transport)

    def data_received(self, data: bytes) -> None:  # pragma: no cover - reading is paused
        pass


class GuardedServer:
    """Serve ``runner`` (an :class:`aiohttp.web.AppRunner` already set up) within limits."""

    def __init__(self, runner: web.AppRunner, limits: HttpLimits, *, name: str) -> None:
        self.runner = runner
        self.limits = limits
        self.name = name
        self.stats = HttpStats()
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._tls: ssl.SSLContext | None = None
        self._conns: dict[int, _Conn] = {}
        self._per_peer: collections.Counter[str] = collections.Counter()
        self._noted: dict[tuple[str, str], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    @staticmethod
    def handler_options(limits: HttpLimits) -> dict[str, Any]:
        """Keyword arguments for ``web.AppRunner`` that bound what one request may send."""
        return {
            "max_line_size": limits.max_line_size,
            "max_field_size": limits.max_field_size,
            "max_headers": limits.max_headers,
            # aiohttp's own idle timer, a backstop behind the sweep (which counts what it cuts)
            "keepalive_timeout": limits.request_timeout_s * 2 + 5,
        }

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None) -> int:
        """Listen; returns the port (``port`` 0 picks one)."""
        loop = asyncio.get_running_loop()
        self._tls = tls
        self._server = await loop.create_server(
            lambda: _Accept(self), host, port, backlog=self.limits.max_connections
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._sweeper = loop.create_task(self._sweep())
        return self.port

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._sweeper is not None:
            await cancel_and_wait(self._sweeper)
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns.values()):
            if conn.transport is not None:
                conn.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    @property
    def open_connections(self) -> int:
        """Connections held now (handshaking or admitted)."""
        return len(self._conns)

    async def handle(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Use from an aiohttp middleware: marks the connection busy while ``handler`` runs
        and turns an unexpected failure into a JSON 500 logged in one line."""
        conn = self._conns.get(id(request.transport)) if request.transport else None
        if conn is not None:
            conn.busy += 1
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.IncompleteReadError) as exc:
            self.stats.failed_requests += 1
            log.info("%s: client went away mid-request: %s", self.name, exc)
            raise
        except Exception as exc:
            self.stats.failed_requests += 1
            log.error(
                "%s: %s %s failed: %s: %s",
                self.name,
                request.method,
                request.path[:200],
                type(exc).__name__,
                str(exc)[:300],
            )
            return web.json_response(
                {"error": f"the server failed on this request ({type(exc).__name__})"},
                status=500,
            )
        finally:
            if conn is not None:
                conn.busy -= 1
                conn.ready_at = time.monotonic()

    # --- connections ------------------------------------------------------------------------

    def _admit(self, transport: asyncio.Transport) -> None:
        peername = transport.get_extra_info("peername")
        peer = str(peername[0]) if peername else "?"
        lim = self.limits
        if len(self._conns) >= lim.max_connections or self._per_peer[peer] >= lim.max_per_peer:
            self.stats.refused_limit += 1
            self._note(peer, "connection limit", "%s: connection from %s refused: at its limit")
            transport.abort()
            return
        now = time.monotonic()
        conn = _Conn(peer, now, now, transport=transport)
        key = id(transport)
        self._conns[key] = conn
        self._per_peer[peer] += 1
        task = asyncio.get_running_loop().create_task(self._serve(transport, conn, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, transport: asyncio.Transport, conn: _Conn, key: int) -> None:
        shim = _Shim()
        handler = self.runner.server()  # type: ignore[misc]
        app_transport: Any = transport
        try:
            if self._tls is not None:
                loop = asyncio.get_running_loop()
                try:
                    app_transport = await loop.start_tls(
                        transport,
                        shim,
                        self._tls,
                        server_side=True,
                        ssl_handshake_timeout=self.limits.handshake_timeout_s,
                    )
                except (ssl.SSLError, OSError, TimeoutError, ConnectionError) as exc:
                    self._tls_refused(conn.peer, exc)
                    transport.abort()
                    self._forget(key, conn)
                    return
                if app_transport is None:  # the peer went away during the handshake
                    self._forget(key, conn)
                    return
            else:
                transport.set_protocol(shim)
                transport.resume_reading()
            # The handler reports the end of the connection through its protocol: forget it.
            del self._conns[key]
            conn.transport = app_transport
            conn.ready_at = time.monotonic()
            self._conns[id(app_transport)] = conn
            new_key = id(app_transport)
            shim.on_lost = lambda: self._forget(new_key, conn)
            shim.attach(handler, app_transport)
            self.stats.accepted += 1
        except Exception:  # this connection only
            log.exception("%s: cannot serve a connection from %s", self.name, conn.peer)
            transport.abort()
            self._forget(key, conn)

    def _forget(self, key: int, conn: _Conn) -> None:
        if self._conns.pop(key, None) is not None:
            self._per_peer[conn.peer] -= 1
            if self._per_peer[conn.peer] <= 0:
                del self._per_peer[conn.peer]

    def _tls_refused(self, peer: str, exc: BaseException) -> None:
        if isinstance(exc, ssl.SSLError):
            reason = exc.reason or exc.__class__.__name__
            if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
                reason = f"{reason}: {exc.verify_message}"
        elif isinstance(exc, TimeoutError):
            reason = "handshake timed out"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        self.stats.tls_refused[str(reason)] += 1
        self._note(peer, str(reason), "%s: TLS handshake with %s refused: " + str(reason))

    def _note(self, peer: str, why: str, fmt: str) -> None:
        now = time.monotonic()
        if now - self._noted.get((peer, why), -1e9) >= 60:
            self._noted[(peer, why)] = now
            if len(self._noted) > 10_000:
                self._noted.clear()
            log.warning(fmt, self.name, peer)

    async def _sweep(self) -> None:
        """Close connections that have not delivered a request in time."""
        step = max(0.05, min(1.0, self.limits.request_timeout_s / 4))
        while True:
            await asyncio.sleep(step)
            now = time.monotonic()
            limit = self.limits.request_timeout_s
            for conn in list(self._conns.values()):
                if conn.busy == 0 and now - conn.ready_at > limit and conn.transport is not None:
                    self.stats.timed_out += 1
                    conn.transport.abort()


async def read_body(request: web.Request, limits: HttpLimits) -> bytes:
    """The request body within ``body_timeout_s``.

    Raises:
        web.HTTPRequestTimeout: the body did not arrive in time (408, the connection closes).
        web.HTTPRequestEntityTooLarge: over the application's ``client_max_size``.
    """
    try:
        return await asyncio.wait_for(request.read(), limits.body_timeout_s)
    except TimeoutError:
        raise web.HTTPRequestTimeout(
            text=f'{{"error": "the body did not arrive within {limits.body_timeout_s:g} s"}}',
            content_type="application/json",
            headers={"Connection": "close"},
        ) from None
