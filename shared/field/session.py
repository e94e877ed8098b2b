"""The field and liaison client's core (no Qt): the link, the orders, positions, reports,
SOS and duty sign-in. The window and ``field-unit`` commands drive this; nothing the user
can do lives only in the window.

Offline first: every action goes into the durable outbox first and shows as queued; orders
received are kept on disk; positions are filtered by rate and distance before they queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from shared.client import HubClient, OrderInbox, Replica, upload
from shared.domain import DomainError, check_area
from shared.field.orders import OrderBook
from shared.field.sos import ManDownWatch, SosController
from shared.field.templates import Templates, check_form, compose_text, load_templates
from shared.gps import Fix, GpsError, SendFilter
from shared.protocol import (
    IncidentState,
    OrderUpdate,
    PositionReport,
    ShiftSignIn,
    SituationReport,
    StateValue,
    utcnow,
)
from shared.protocol.codec import DEFAULT_MAX_BLOB_BYTES

log = logging.getLogger(__name__)
FIX_TIME_BELIEVABLE = timedelta(hours=12)
"""A fix time further than this from the device's clock is replaced by the device's clock."""
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


class FieldError(ValueError):
    """Something the user asked for that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class SyncStatus:
    """What the status strip shows: the link, what waits, when the hub last answered."""

    link: str
    queued: int
    last_contact: datetime | None
    ack_ms: float | None


class FieldSession:
    """One device's session.

    Args:
        bundle: the device's key bundle (its role picks the profile: field or liaison).
        data_dir: where the outbox and the order book live.
        unit_type: for positions (fire, police, medical …).
        send_filter: rate and distance filter for positions.
        max_attachment_bytes: refused before queueing (the hub's limit).
    """

    def __init__(
        self,
        bundle: Any,
        data_dir: Path,
        *,
        unit_type: str = "rescue",
        callsign: str = "",
        send_filter: SendFilter | None = None,
        templates: Templates | None = None,
        max_attachment_bytes: int = DEFAULT_MAX_BLOB_BYTES,
        man_down: ManDownWatch | None = None,
        sos_repeat_s: float = 3.0,
        chunk_bytes: int = 64 * 1024,
        window: int = 2,
    ) -> None:
        self.bundle = bundle
        self.device = bundle.device
        self.profile = "liaison" if bundle.role == "liaison" else "field"
        data_dir.mkdir(parents=True, exist_ok=True)
        # A small window: on a link that drops, acknowledgements come back between sends,
        # so what was delivered is known before the next cut (a big window resends it all).
        self.client = HubClient(
            bundle, data_dir / f"{self.device}-outbox.db", window=window, reconnect_ms=250
        )
        self.replica = Replica(
            bundle, topics=("order", "incident", "emergency", "media", "talkgroup")
        )
        self.orders = OrderBook(self.device, data_dir / f"{self.device}-orders.json")
        self.replica.listeners.append(self.orders.on_update)
        self.inbox = OrderInbox(self.client, self.replica)
        self.incidents: dict[str, IncidentState] = {}
        self.replica.listeners.append(self._on_update)
        self.unit_type = unit_type
        self.callsign = callsign or self.device
        self.filter = send_filter or SendFilter(interval_s=5.0, min_distance_m=20.0)
        self.templates = templates or load_templates()
        self.max_attachment_bytes = max_attachment_bytes
        self.chunk_bytes = chunk_bytes
        """Attachment chunk size: small, because field links drop (a chunk cut short is
        sent again whole)."""
        self.sos = SosController(self.client, repeat_s=sos_repeat_s, callsign=self.callsign)
        self.man_down = man_down or ManDownWatch()
        self.fix: Fix | None = None
        self.gps_problem = ""
        self.positions_sent = 0
        self.signed_in: str = ""
        self.on_change: list[Callable[[str], None]] = []
        """Called with what changed: ``orders``, ``fix``, ``man_down``, ``sos``."""
        self._last_ack_ms: float | None = None
        self._last_contact: float | None = None
        self.client.on_ack.append(self._on_ack)
        self.sos.on_change.append(lambda: self._changed("sos"))

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (offline is fine: everything queues)."""
        await self.client.start()
        await self.replica.start()

    async def aclose(self) -> None:
        """Close the link; what is queued stays in the outbox for next time."""
        await self.replica.aclose()
        await self.client.aclose()

    def _on_update(self, topic: str, key: str, value: StateValue | None) -> None:
        if topic == "incident":
            if isinstance(value, IncidentState):
                self.incidents[key] = value
            else:
                self.incidents.pop(key, None)
        elif topic == "emergency":
            self.sos.on_state(value)
        elif topic == "order":
            self._changed("orders")

    def _on_ack(self, ref: str, status: str, latency: float) -> None:
        self._last_contact = time.time()
        self._last_ack_ms = latency * 1000

    def _changed(self, what: str) -> None:
        for callback in self.on_change:
            callback(what)

    def sync(self) -> SyncStatus:
        """The link, queued messages, last contact, latest acknowledgement time."""
        last = self._last_contact
        if self.replica.last_beat:
            beat = time.time() - (time.monotonic() - self.replica.last_beat)
            last = max(last or 0.0, beat)
        return SyncStatus(
            link=self.client.state.value,
            queued=self.client.queued(),
            last_contact=datetime.fromtimestamp(last, UTC) if last else None,
            ack_ms=self._last_ack_ms,
        )

    # --- positions -------------------------------------------------------------------------

    async def follow(self, source: AsyncIterator[Fix]) -> None:
        """Take fixes from ``source`` until it ends or fails (the failure is kept in
        :attr:`gps_problem` for the status strip)."""
        try:
            async for fix in source:
                try:
                    await self.on_fix(fix)
                except Exception as exc:  # one fix that cannot be used costs itself only
                    log.exception("a GPS fix could not be used")
                    self.gps_problem = f"一个定位无法使用（{type(exc).__name__}）；继续接收"
                    self._changed("fix")
        except GpsError as exc:
            self.gps_problem = str(exc)
            self._changed("fix")
        except Exception as exc:  # the receiver's reader failed: said, never silent
            log.exception("the GPS source failed")
            self.gps_problem = f"定位源出错，已停止（{type(exc).__name__}: {exc!s:.80}）"
            self._changed("fix")

    async def on_fix(self, fix: Fix) -> None:
        """A fix: shown, used by SOS and man-down, and sent when the filter says so."""
        now = utcnow()
        problem = ""
        if not now - FIX_TIME_BELIEVABLE <= fix.time <= now + FIX_TIME_BELIEVABLE:
            # a receiver's clock at the calendar's edge (or a week-number rollover): the
            # position is still good, its time is this device's (kept as the receiver's, it
            # stopped every later fix: the send filter took them all for older ones)
            problem = f"定位时间 {fix.time.isoformat()[:25]} 不可信，已用本机时间"
            fix = msgspec.structs.replace(fix, time=now)
        self.fix = fix
        self.gps_problem = problem
        self.sos.position = (fix.lat, fix.lon)
        on_scene = any(o.state == "on_scene" for o in self.orders.orders.values())
        self.man_down.on_scene = on_scene
        verdict = self.man_down.feed(fix)
        if verdict == "man_down" and not self.sos.active:
            await self.sos.raise_("man_down")
        elif verdict == "prealarm":
            self._changed("man_down")
        if self.filter.offer(fix):
            msg = self.client.make(
                PositionReport,
                unit_id=self.device,
                lat=fix.lat,
                lon=fix.lon,
                fix_time=fix.time,
                heading_deg=fix.heading_deg,
                speed_mps=fix.speed_mps,
                unit_type=self.unit_type,
                callsign=self.callsign,
            )
            await self.client.submit(msg)
            self.positions_sent += 1
        self._changed("fix")

    # --- reports ---------------------------------------------------------------------------

    def template_for(self, incident_id: str) -> Any:
        """The report form of an incident's type."""
        inc = self.incidents.get(incident_id)
        return self.templates.for_type(inc.type_code if inc else "")

    async def send_report(
        self,
        incident_id: str,
        stage: str,
        title: str,
        values: dict[str, str],
        *,
        note: str = "",
        dead: int = 0,
        missing: int = 0,
        injured: int = 0,
        files: list[Path] | None = None,
        progress: Callable[[int, int], None] | None = None,
        area: list[tuple[float, float]] | None = None,
    ) -> str:
        """Check the form, queue the files' chunks, then the report behind them; returns
        the report's id. Works with no link (it all waits in the outbox, in order).

        Raises:
            FormProblem: the form misses what its stage needs (every problem named).
            FieldError: a file unreadable or over the size limit; the outbox unwritable
                (a full disk) — nothing already queued is lost.
        """
        from shared.client import OutboxError

        if not incident_id.strip():
            raise FieldError("选择或填写事件编号")
        template = self.template_for(incident_id)
        check_form(template, stage, title, values, note)
        if area is not None:
            try:
                area, _km2, _warnings = check_area(area)
            except DomainError as exc:
                raise FieldError(f"标绘的范围不能用：{exc}") from None
        blobs = []
        for path in files or []:
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise FieldError(f"无法读取附件 {path.name}：{exc.strerror}") from None
            if size > self.max_attachment_bytes:
                raise FieldError(
                    f"附件 {path.name} 为 {size / 1e6:.1f} MB，超过 "
                    f"{self.max_attachment_bytes / 1e6:.0f} MB 上限：请压缩或分拆后再发"
                )
            if size == 0:
                raise FieldError(f"附件 {path.name} 是空文件")
            blobs.append(path)
        try:
            refs = [
                await upload(
                    self.client,
                    path,
                    media_type=PHOTO_TYPES.get(path.suffix.lower(), ""),
                    chunk_bytes=self.chunk_bytes,
                    progress=progress,
                    wait=False,
                )
                for path in blobs
            ]
            msg = self.client.make(
                SituationReport,
                incident_id=incident_id.strip(),
                stage=stage,
                title=title.strip(),
                text=compose_text(template, values, note),
                lat=self.fix.lat if self.fix else None,
                lon=self.fix.lon if self.fix else None,
                dead=dead,
                missing=missing,
                injured=injured,
                source="field" if self.profile == "field" else "department",
                author=self.signed_in or self.callsign,
                attachments=refs,
                area=area,
            )
            await self.client.submit(msg)
        except OutboxError as exc:
            raise FieldError(str(exc)) from None
        return str(msg.id)

    # --- orders -----------------------------------------------------------------------------

    async def answer(
        self, order_id: str, state: str, note: str = "", files: list[Path] | None = None
    ) -> None:
        """Acknowledge, accept, decline (a reason is required), or report progress; files
        go up as a 续报 on the order's incident.

        Raises:
            FieldError: an unknown order, or declining without a reason.
        """
        order = self.orders.orders.get(order_id)
        if order is None:
            raise FieldError(f"没有编号为 {order_id} 的指令")
        if state == "declined" and not note.strip():
            raise FieldError("拒绝指令必须说明理由")
        if order_id in self.orders.new and state != "delivered":
            self.orders.new.remove(order_id)
        msgs = []
        if order.state == "issued":  # the receipt first (the hub ignores a repeated one)
            msgs.append(self.client.make(OrderUpdate, order_id=order_id, state="delivered"))
        msgs.append(
            self.client.make(OrderUpdate, order_id=order_id, state=state, note=note.strip())
        )
        await self.client.submit(*msgs)
        if files and order.incident_id:
            await self.send_report(
                order.incident_id,
                "follow_up",
                f"任务进展：{order.text[:40]}",
                {},
                note=note or state,
                files=files,
            )

    # --- duty ---------------------------------------------------------------------------------

    async def sign_in(self, person: str, post: str = "") -> None:
        """Sign in to duty at this device (``person`` empty: sign out)."""
        if person.strip():
            await self.client.submit(
                self.client.make(ShiftSignIn, person=person.strip(), post=post)
            )
            self.signed_in = person.strip()
        elif self.signed_in:
            await self.client.submit(
                self.client.make(ShiftSignIn, person=self.signed_in, post=post, on=False)
            )
            self.signed_in = ""
