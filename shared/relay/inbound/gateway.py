"""The warnings gateway: CAP from files, a drop folder or an HTTP feed, into the hub.

One code path for all three (``command-center warnings ingest / watch / poll``): read the
document safely (:func:`~shared.relay.inbound.warnings.read_document`), send each accepted
alert as an :class:`~shared.protocol.ExternalWarning` through the durable outbox, and say for
every file what happened. Message ids derive from the CAP sender, identifier and sent time, so
the same alert seen twice (a feed polled every minute, a file dropped again) is stored once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.client import HubClient
from shared.protocol import ExternalWarning, utcnow
from shared.protocol.ids import derived_id
from shared.relay.formats.schemas import Schemas
from shared.relay.inbound.warnings import MAX_WARNING_BYTES, Ingested, read_document

log = logging.getLogger(__name__)
PATTERNS = ("*.xml", "*.cap", "*.atom")


def message_id(fields: dict[str, Any], secret: str) -> str:
    """The message id of an alert: the same alert always gets the same id from the same
    gateway (keyed with its secret: nobody else can send under it first)."""
    return derived_id(
        "wg-", secret, fields["cap_sender"], fields["identifier"], fields["cap_sent"].isoformat()
    )


class WarningGateway:
    """Reads warnings and hands them to the hub (``client`` None: check only)."""

    def __init__(
        self,
        client: HubClient | None,
        schemas: Schemas | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        settle_s: float = 1.0,
    ) -> None:
        self.client = client
        self.schemas = schemas
        self.clock = clock
        self.settle_s = settle_s
        """A dropped file is read once it has not changed for this long (still copying)."""

    async def ingest(self, data: bytes, source: str) -> dict[str, Any]:
        """One document: a JSON-able line saying what was accepted or refused, and why."""
        found = read_document(data, schemas=self.schemas, now=self.clock(), source=source)
        alerts = []
        for item in found:
            entry = _describe(item)
            if not item.accepted and not item.link:
                log.warning(
                    "warning refused",
                    extra={
                        "source": source[:300],
                        "identifier": item.identifier,
                        "reason": item.reason,
                    },
                )
            if item.accepted and self.client is not None:
                entry["stored"] = stored = await self._send(item)
                if isinstance(stored, str) and stored.startswith("refused"):
                    # valid CAP, but the hub refused it: not accepted, and the reason is its
                    entry["accepted"] = False
                    entry["reason"] = stored
            alerts.append(entry)
        accepted = [a for a in alerts if a["accepted"]]
        return {
            "source": source,
            "accepted": bool(accepted) and len(accepted) == len(alerts),
            "reason": "; ".join(sorted({a["reason"] for a in alerts if a["reason"]}))[:1000],
            "alerts": alerts,
        }

    async def ingest_file(self, path: Path) -> dict[str, Any]:
        """:meth:`ingest` for a file (an unreadable or oversized file says so)."""
        try:
            size = path.stat().st_size
            if size > MAX_WARNING_BYTES:
                return _refused(str(path), f"file of {size} bytes is over the limit")
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            return _refused(str(path), f"cannot read: {exc.strerror or exc}")
        return await self.ingest(data, str(path))

    async def _send(self, item: Ingested) -> bool | str:
        assert self.client is not None
        c = self.client
        msg = ExternalWarning(
            id=message_id(item.fields, c.bundle.keys.secret),
            sender=c.bundle.device,
            sent=utcnow(),
            **item.fields,
        )
        try:
            error = await c.submit_and_wait(msg, 15)
        except TimeoutError:
            return "queued (the hub has not answered yet; it is sent when the link is up)"
        return True if error is None else f"refused by the hub: {error.detail}"

    async def watch(
        self,
        folder: Path,
        *,
        every_s: float = 2.0,
        once: bool = False,
        report: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Ingest every file that appears in ``folder``; each goes to ``done/`` or
        ``rejected/`` (with a ``.reason.txt``) afterwards. Returns the lines of the last pass."""
        done, rejected = folder / "done", folder / "rejected"
        for d in (done, rejected):
            d.mkdir(parents=True, exist_ok=True)
        stuck: set[Path] = set()  # files that could not be moved away: not read again
        while True:
            lines = []
            files = sorted({p for pat in PATTERNS for p in folder.glob(pat) if p.is_file()})
            for path in files:
                if path in stuck or _still_growing(path, self.settle_s):
                    continue
                try:
                    line = await self.ingest_file(path)
                except Exception as exc:  # one file costs only itself
                    log.exception("warning file failed", extra={"file": path.name})
                    line = _refused(str(path), f"failed: {type(exc).__name__}: {exc!s:.200}")
                lines.append(line)
                if report is not None:
                    report(line)
                target = (done if line["accepted"] else rejected) / path.name
                try:
                    shutil.move(str(path), target)
                    if not line["accepted"]:
                        target.with_name(target.name + ".reason.txt").write_text(
                            line["reason"] + "\n", "utf-8"
                        )
                except OSError as exc:
                    stuck.add(path)
                    log.error(
                        "cannot move a warning file away; it is skipped until the watcher "
                        "restarts: %s",
                        exc,
                        extra={"file": path.name},
                    )
                log.info("warning file", extra={"file": path.name, "accepted": line["accepted"]})
            if once:
                return lines
            await asyncio.sleep(every_s)

    async def poll(
        self,
        url: str,
        *,
        every_s: float = 60.0,
        once: bool = False,
        tls: Any = None,
        report: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Fetch a CAP or Atom feed over HTTP(S) (an intranet address) every ``every_s``;
        entries that link to CAP documents are fetched too. Returns the last pass's lines."""
        import aiohttp

        seen_links: set[str] = set()
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(
            timeout=timeout, connector=aiohttp.TCPConnector(ssl=tls)
        ) as s:
            while True:
                lines: list[dict[str, Any]] = []
                try:
                    await self._poll_once(s, url, seen_links, lines)
                except Exception as exc:  # one bad pass costs only itself; the next one runs
                    log.exception("feed poll failed", extra={"url": url[:300]})
                    lines.append(_refused(url, f"failed: {type(exc).__name__}: {exc!s:.200}"))
                for line in lines:
                    if report is not None:
                        report(line)
                if once:
                    return lines
                await asyncio.sleep(every_s)

    async def _poll_once(
        self, s: Any, url: str, seen_links: set[str], lines: list[dict[str, Any]]
    ) -> None:
        body = await _fetch(s, url)
        if isinstance(body, str):
            lines.append(_refused(url, body))
            return
        line = await self.ingest(body, url)
        lines.append(line)
        for a in line["alerts"]:
            link = a.get("link", "")
            if link and link not in seen_links:
                if len(seen_links) > 100_000:  # a feed inventing links cannot grow this forever
                    seen_links.clear()
                doc = await _fetch(s, link)
                if isinstance(doc, str):
                    lines.append(_refused(link, doc))
                    continue
                seen_links.add(link)
                lines.append(await self.ingest(doc, link))


async def _fetch(session: Any, url: str) -> bytes | str:
    import aiohttp

    try:
        async with session.get(url) as resp:
            if resp.status != 200:
                return f"HTTP {resp.status}"
            data = await resp.content.read(MAX_WARNING_BYTES + 1)
            if len(data) > MAX_WARNING_BYTES:
                return f"document over {MAX_WARNING_BYTES} bytes"
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        return f"cannot fetch: {type(exc).__name__}: {exc}"[:300]


def _still_growing(path: Path, settle_s: float) -> bool:
    try:
        return (datetime.now().timestamp() - os.stat(path).st_mtime) < settle_s
    except OSError:
        return True


def _describe(item: Ingested) -> dict[str, Any]:
    out: dict[str, Any] = {
        "accepted": item.accepted,
        "reason": item.reason,
        "identifier": item.identifier,
        "sender": item.sender,
        "event": item.event,
        "msg_type": item.msg_type,
    }
    if item.link:
        out["link"] = item.link
    return out


def _refused(source: str, reason: str) -> dict[str, Any]:
    return {"source": source, "accepted": False, "reason": reason, "alerts": []}
