"""A stand-in for the provincial platform: receives EDXL-DE over HTTPS with mutual TLS,
validates it (safe parsing, both OASIS schemas, digests of carried files), answers with an
EDXL-DE ``Ack`` or ``Error``, and records everything.

For tests, demos, and acceptance runs with the real province (the same documents, the same
answers). ``POST /edxl`` takes a distribution; ``GET /received`` lists what came in (JSON).
A distribution seen before (same distributionID and senderID) is acknowledged again with
the first acknowledgement's id and not recorded twice.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from shared.relay.formats.answers import ack_for, error_for
from shared.relay.formats.edxl import EdxlError, distribution_xml, read_distribution
from shared.relay.formats.safexml import XmlRejected, parse_untrusted
from shared.relay.formats.schemas import Schemas

log = logging.getLogger(__name__)

PROVINCE_ID = "130000.emergency.hebei"
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_SAFE = re.compile(r"[^0-9A-Za-z._-]")


def server_tls(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context that requires a client certificate signed by ``ca``."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class ProvinceSim:
    """The simulator. ``record`` is the folder it writes into (``received/``, ``log.jsonl``).

    Args:
        schemas: the OASIS schemas every document is validated against.
        tls: a server context (see :func:`server_tls`); None serves plain HTTP.
        clock: the time answers carry.
    """

    def __init__(
        self,
        record: Path,
        schemas: Schemas,
        tls: ssl.SSLContext | None,
        *,
        sender_id: str = PROVINCE_ID,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.record = record
        self.schemas = schemas
        self.tls = tls
        self.sender_id = sender_id
        self.clock = clock
        self.received: list[dict[str, Any]] = []
        self._acks: dict[tuple[str, str], str] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.lose_answers = 0
        """Fault injection: record the next N documents but cut the connection instead of
        answering (the sender cannot know they arrived and must resend)."""
        (record / "received").mkdir(parents=True, exist_ok=True)
        self._log = open(record / "log.jsonl", "a", encoding="utf-8")  # noqa: SIM115 - closed in stop

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES)
        app.router.add_post("/edxl", self.on_edxl)
        app.router.add_get("/received", self.on_received)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the port."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=self.tls, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop listening (connections in progress are cut)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def close(self) -> None:
        """Close the log file."""
        self._log.close()

    # --- handlers --------------------------------------------------------------------------

    async def on_received(self, request: web.Request) -> web.Response:
        """What came in so far, oldest first."""
        return web.json_response(self.received)

    async def on_edxl(self, request: web.Request) -> web.Response:
        """Validate, record and answer one distribution."""
        peer = _peer_name(request)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse("", [f"document over {MAX_DOCUMENT_BYTES} bytes"], peer, 413)
        now = self.clock()
        try:
            root = parse_untrusted(body, max_bytes=MAX_DOCUMENT_BYTES, max_depth=64)
        except XmlRejected as exc:
            return self._refuse("", [exc.reason], peer, 400)
        problems = self.schemas.problems(root)
        reference = ""
        try:
            dist = read_distribution(root)
            reference = dist.reference()
        except EdxlError as exc:
            problems.append(str(exc))
        if problems:
            return self._refuse(reference, problems, peer, 400)
        key = (dist.distribution_id, dist.sender_id)
        if key in self._acks:
            ack_id = self._acks[key]
            self._note(dist.distribution_id, dist.type, peer, now, valid=True, duplicate=True)
            ack = msgspec.structs.replace(
                ack_for(dist, self.sender_id, now, note="duplicate"), distribution_id=ack_id
            )
            return _xml(distribution_xml(ack), 200)
        n = len(self.received) + 1
        name = f"{n:06d}-{_SAFE.sub('_', dist.distribution_id)[:150]}.xml"
        (self.record / "received" / name).write_bytes(body)
        ack = ack_for(dist, self.sender_id, now)
        self._acks[key] = ack.distribution_id
        self._note(
            dist.distribution_id,
            dist.type,
            peer,
            now,
            valid=True,
            file=name,
            ack=ack.distribution_id,
            incident=_incident(dist),
        )
        if self.lose_answers > 0 and request.transport is not None:
            self.lose_answers -= 1
            request.transport.abort()  # the answer below goes nowhere

        return _xml(distribution_xml(ack), 200)

    def _refuse(self, reference: str, problems: list[str], peer: str, status: int) -> web.Response:
        now = self.clock()
        self._note(reference.split(",")[0], "", peer, now, valid=False, problems=problems)
        log.warning(
            "province-sim refused a document", extra={"peer": peer, "problems": problems[:5]}
        )
        return _xml(distribution_xml(error_for(reference, self.sender_id, now, problems)), status)

    def _note(
        self, distribution_id: str, kind: str, peer: str, now: datetime, **extra: Any
    ) -> None:
        entry = {
            "n": len(self.received) + 1,
            "distribution_id": distribution_id,
            "type": kind,
            "peer": peer,
            "received": now.isoformat(),
            "duplicate": False,
            **extra,
        }
        self.received.append(entry)
        self._log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._log.flush()


def _incident(dist: Any) -> str:
    for content in dist.contents:
        if content.incident_id:
            return str(content.incident_id)
    return ""


def _peer_name(request: web.Request) -> str:
    transport = request.transport
    cert = transport.get_extra_info("peercert") if transport is not None else None
    if not cert:
        return request.remote or ""
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return request.remote or ""


def _xml(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/xml", charset="utf-8")
