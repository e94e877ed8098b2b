"""Ways an EDXL-DE document leaves the city: HTTPS with mutual TLS, a file-drop folder, and
an in-memory twin for logic tests.

Every transport answers :meth:`Transport.send` with a :class:`Receipt` or raises
:class:`DeliveryFailed`, whose ``retry`` says whether trying again can help (a refused
connection can; a document the province rejects as invalid cannot).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import aiohttp

from shared.relay.formats.answers import read_answer

_SAFE_NAME = re.compile(r"[^0-9A-Za-z._-]")
MANIFEST = "manifest.sha256"


@dataclass(frozen=True)
class Receipt:
    """A delivery that worked: ``acknowledged`` by the far end, or only ``delivered`` (a
    one-way drop folder cannot answer)."""

    state: Literal["delivered", "acknowledged"]
    ack: str = ""


class DeliveryFailed(Exception):
    """A delivery that did not work; ``retry`` is False when the far end refused the
    document itself (sending it again would be refused again)."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class Transport(Protocol):
    """One destination's way out."""

    name: str

    async def send(self, distribution_id: str, document: bytes) -> Receipt:
        """Deliver one document."""
        ...

    async def aclose(self) -> None:
        """Release connections and files."""
        ...


class MemoryTransport:
    """The in-memory twin: keeps what it is sent; ``down`` makes it fail as a dead link."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[tuple[str, bytes]] = []
        self.down = False
        self.reject: set[str] = set()

    async def send(self, distribution_id: str, document: bytes) -> Receipt:
        if self.down:
            raise DeliveryFailed("link down", retry=True)
        if distribution_id in self.reject:
            raise DeliveryFailed("rejected by the far end", retry=False)
        self.sent.append((distribution_id, document))
        return Receipt("acknowledged", f"ack-{len(self.sent)}")

    async def aclose(self) -> None:
        return None


class DropTransport:
    """One ``<distributionID>.xml`` per distribution in ``folder``, written atomically
    (temporary name, fsync, rename), and ``manifest.sha256`` (``sha256sum -c`` format)
    listing every document in the folder, rewritten atomically after each drop. For a
    one-way gateway or a data ferry: nothing answers, so deliveries end ``delivered``."""

    def __init__(self, folder: Path, name: str = "drop") -> None:
        self.name = name
        self.folder = folder
        self._digests: dict[str, str] = {}
        self._loaded = False

    def _load(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / MANIFEST
        if manifest.is_file():
            for line in manifest.read_text("utf-8").splitlines():
                digest, _, file = line.partition("  ")
                if file:
                    self._digests[file] = digest
        self._loaded = True

    async def send(self, distribution_id: str, document: bytes) -> Receipt:
        try:
            return await asyncio.to_thread(self._write, distribution_id, document)
        except OSError as exc:
            raise DeliveryFailed(
                f"cannot write to {self.folder}: {exc.strerror or exc}", retry=True
            ) from None

    def _write(self, distribution_id: str, document: bytes) -> Receipt:
        if not self._loaded:
            self._load()
        name = _SAFE_NAME.sub("_", distribution_id)[:200] + ".xml"
        _atomic_write(self.folder / name, document)
        self._digests[name] = hashlib.sha256(document).hexdigest()
        present = {p.name for p in self.folder.glob("*.xml")}  # a ferry may have taken some
        lines = [f"{d}  {f}" for f, d in sorted(self._digests.items()) if f in present]
        self._digests = {f: d for f, d in self._digests.items() if f in present}
        _atomic_write(self.folder / MANIFEST, ("\n".join(lines) + "\n").encode("utf-8"))
        return Receipt("delivered", name)

    async def aclose(self) -> None:
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def client_tls(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS client context that trusts only ``ca`` and presents ``cert``/``key``.

    Raises:
        OSError or ssl.SSLError: a file missing or not matching (the message names it).
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class HttpsTransport:
    """POST to the provincial platform over HTTPS with mutual TLS; one kept-alive
    connection, the answer read as an EDXL-DE ``Ack`` or ``Error``."""

    def __init__(
        self, url: str, tls: ssl.SSLContext, *, name: str = "province", timeout_s: float = 30.0
    ) -> None:
        self.name = name
        self.url = url
        self.tls = tls
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(5.0, timeout_s))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.tls, limit=1),
                timeout=self.timeout,
            )
        return self._session

    async def send(self, distribution_id: str, document: bytes) -> Receipt:
        headers = {
            "Content-Type": "application/xml; charset=utf-8",
            "X-Distribution-ID": distribution_id,
        }
        try:
            async with self._client().post(self.url, data=document, headers=headers) as resp:
                body = await resp.content.read(1024 * 1024 + 1)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
            raise DeliveryFailed(self._why(exc), retry=True) from None
        try:
            answer = read_answer(body)
        except ValueError as exc:
            raise DeliveryFailed(
                f"HTTP {status} without a usable answer ({exc})",
                retry=status >= 500 or status < 400,
            ) from None
        if status == 200 and answer.ok:
            return Receipt("acknowledged", answer.answer_id)
        reasons = "; ".join(answer.reasons)[:1500] or f"HTTP {status}"
        retry = status >= 500 or status in (408, 429)
        raise DeliveryFailed(f"HTTP {status} {answer.answer_id}: {reasons}", retry=retry)

    def _why(self, exc: BaseException) -> str:
        """Which side's trust failed, in words a platform administrator can act on."""
        reason = f"{self.url}: {type(exc).__name__}: {exc}"[:500]
        verify = isinstance(exc, ssl.SSLCertVerificationError) or isinstance(
            getattr(exc, "os_error", None) or getattr(exc, "__cause__", None),
            ssl.SSLCertVerificationError,
        )
        if verify or "certificate verify failed" in str(exc):
            return reason + (
                " (this platform does not trust the far end's server certificate: check the "
                "CA file given as the destination's ca, and the server's name or address)"
            )
        text = str(exc).lower()
        if (
            "reset" in text
            or "disconnected" in text
            or "alert" in text
            or isinstance(exc, ssl.SSLError)
        ):
            # TLS 1.3 servers refuse a client certificate after the handshake: a reset, a
            # disconnect or an alert is what this side sees
            return reason + (
                " (the far end closed the connection during or after the TLS handshake: it "
                "most likely does not trust this platform's client certificate; check the "
                "destination's cert and key, and that the far end trusts their CA)"
            )
        return reason

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
