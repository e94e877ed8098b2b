"""A county hub's link to the city hub (``serve --level county --upstream BUNDLE``).

The county hub is the same software. This link, on its own thread, connects to the city hub
with the key bundle the city enrolled for the county (role ``county``) and:

* **up**: forwards the county's own incidents (as ``PREFIX/ID``), report versions with their
  attachments, transitions and resources, through a durable outbox in the county's data
  folder — hours without a link are normal; everything goes in order when it returns;
* **down**: takes the city's orders addressed to the county device, issues each inside the
  county hub to the configured county recipient (``city/ORDER``), and sends that recipient's
  acknowledgement, acceptance and progress back up as the county's answer.

No loops and no duplicates: message ids derive from what they carry (a report keeps its own
id), the city drops ids it holds; nothing the link itself wrote in the county (mirrored
orders) is forwarded up; at start the link asks the city which of the county's items it
lacks and sends just those.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.config import UpstreamSettings
from shared.domain.orders import UNACKNOWLEDGED, answer_path
from shared.feed import BatchFeed
from shared.protocol import (
    CHUNK_MAX_BYTES,
    AttachmentChunk,
    DispatchOrder,
    IncidentClose,
    IncidentDeclare,
    IncidentReopen,
    IncidentState,
    IncidentTransition,
    IncidentUpdate,
    LevelOverride,
    Message,
    OrderStatus,
    OrderUpdate,
    RelayState,
    ReportState,
    ResourceState,
    ResourceUpsert,
    SituationReport,
    StateValue,
    UpdateBatch,
    new_id,
    utcnow,
)
from shared.protocol.ids import derived_id
from shared.store.blobs import BlobStore

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from shared.hub.registry import DeviceCache
    from shared.identity.keys import Endpoints

log = logging.getLogger(__name__)

CITY_ORDER_PREFIX = "city/"
_UP_TOPICS = ("incident", "report", "resource", "order")


def _id(secret: str, *parts: object) -> str:
    """An id of what the link sends, keyed with its secret: nobody else can compute it."""
    return derived_id("up", secret, *parts)


class Translator:
    """County picture changes → messages for the city (pure: testable without sockets)."""

    def __init__(
        self,
        device: str,
        prefix: str,
        link_device: str,
        report_text: Callable[[str], str] = lambda report_id: "",
        secret: str = "",
    ) -> None:
        self.secret = secret
        """Keys the ids of what the link sends (the city bundle's secret key)."""
        self.device = device
        self.prefix = prefix
        self.link_device = link_device
        self.report_text = report_text
        """The full text of a county report (the picture holds only its title)."""
        self.incidents: dict[str, IncidentState] = {}
        self.orders: dict[str, OrderStatus] = {}

    def _id(self, *parts: object) -> str:
        return _id(self.secret, *parts)

    def city_incident(self, incident_id: str) -> str:
        """The county incident's id at the city."""
        return f"{self.prefix}/{incident_id}"

    def county_incident(self, city_id: str | None) -> str | None:
        """A city incident id back in county terms (None when it is not the county's)."""
        head = f"{self.prefix}/"
        return city_id[len(head) :] if city_id and city_id.startswith(head) else None

    def prime(self, values: Iterable[StateValue]) -> None:
        """Know the county picture as it stands (start)."""
        for v in values:
            if isinstance(v, IncidentState):
                self.incidents[v.incident_id] = v
            elif isinstance(v, OrderStatus):
                self.orders[v.order_id] = v

    def messages(self, value: StateValue | None, blobs: BlobStore | None) -> list[Message]:
        """What the city must be told about one county change (often nothing)."""
        match value:
            case IncidentState():
                return self._incident(value)
            case ReportState():
                return self._report(value, blobs)
            case ResourceState():
                return [self._resource(value)]
            case OrderStatus():
                return self._order(value)
        return []

    def _msg(self, cls: type[Any], msg_id: str, **fields: Any) -> Any:
        return cls(id=msg_id, sender=self.device, sent=utcnow(), **fields)

    def _incident(self, inc: IncidentState) -> list[Message]:
        before = self.incidents.get(inc.incident_id)
        self.incidents[inc.incident_id] = inc
        city_id = self.city_incident(inc.incident_id)
        # (ids carry the time of the change: an incident reopened and closed again, or
        # moved through a status a second time, is told again, not taken for a resend)
        stamp = inc.updated.isoformat()
        if inc.status == "closed":  # the hub publishes how an incident ended, then drops it
            return [
                self._msg(
                    IncidentClose,
                    self._id("close", inc.incident_id, stamp),
                    incident_id=city_id,
                    reason=f"{inc.closed_reason}（{self.device}）"[:512],
                    exercise=inc.exercise,
                )
            ]
        facts: dict[str, Any] = dict(
            title=inc.title,
            lat=inc.lat,
            lon=inc.lon,
            division=inc.division,
            type_code=inc.type_code,
            occurred=inc.occurred,
            dead=inc.dead,
            missing=inc.missing,
            seriously_injured=inc.seriously_injured,
            trapped=inc.trapped,
            evacuated=inc.evacuated,
            direct_loss_cny=inc.direct_loss_cny,
            area=inc.area if inc.area and len(inc.area) >= 3 else None,
        )
        out: list[Message] = []
        if before is not None and before.status == "closed":
            # reopened at the county: reopened at the city first, then brought up to date
            out.append(
                self._msg(
                    IncidentReopen,
                    self._id("reopen", inc.incident_id, stamp),
                    incident_id=city_id,
                    reason=f"{inc.status_note or '县级平台重新打开'}（{self.device}）"[:512],
                    exercise=inc.exercise,
                )
            )
        if before is None:
            # Declared once, ever (a stable id: a restart's catch-up finds it held); the facts
            # as they stand follow as an update, which changes nothing at the city if they
            # are what it holds.
            out.append(
                self._msg(
                    IncidentDeclare,
                    self._id("declare", inc.incident_id),
                    incident_id=city_id,
                    level=inc.level if not inc.type_code else None,
                    exercise=inc.exercise,
                    **facts,
                )
            )
        out.append(
            self._msg(
                IncidentUpdate,
                self._id("incident", inc.incident_id, inc.updated.isoformat()),
                incident_id=city_id,
                # the county platform changes its own incidents; a lowered figure was its
                # duty officer's decision, recorded with the reason at the county
                reason=f"{self.device} 县级平台同步",
                exercise=inc.exercise,
                **{k: v for k, v in facts.items() if k != "area" or v is not None},
            )
        )
        # The county's own level decision: an override with its reason, or the level of an
        # incident with no type (which the city cannot grade), goes up as an override.
        # (an untyped incident's first level went up with its declaration)
        decided = bool(inc.override_reason) or not inc.type_code
        level_moved = before.level != inc.level if before is not None else bool(inc.override_reason)
        if decided and level_moved and inc.level is not None:
            out.append(
                self._msg(
                    LevelOverride,
                    self._id("level", inc.incident_id, stamp, inc.level),
                    incident_id=city_id,
                    level=inc.level,
                    reason=f"{inc.override_reason or '县级平台定级'}（{self.device}）"[:512],
                    exercise=inc.exercise,
                )
            )
        moved = before is None or before.status != inc.status
        reopened = before is not None and before.status == "closed"
        if (
            moved
            and inc.status in ("verified", "responding", "stabilised")
            and not (
                reopened and inc.status == "verified"  # a reopened incident is verified again
            )
        ):
            out.append(
                self._msg(
                    IncidentTransition,
                    self._id("transition", inc.incident_id, inc.status, stamp),
                    incident_id=city_id,
                    to=inc.status,
                    note=f"{inc.status_note or '状态变更'}（{self.device}）"[:512],
                    exercise=inc.exercise,
                )
            )
        return out

    def _report(self, rep: ReportState, blobs: BlobStore | None) -> list[Message]:
        inc = self.incidents.get(rep.incident_id)
        out: list[Message] = []
        for a in rep.attachments:
            data = blobs.read(a.sha256) if blobs is not None else b""
            for offset in range(0, len(data), CHUNK_MAX_BYTES // 2):
                chunk = data[offset : offset + CHUNK_MAX_BYTES // 2]
                out.append(
                    self._msg(
                        AttachmentChunk,
                        self._id("chunk", a.sha256, offset),
                        sha256=a.sha256,
                        size=a.size,
                        offset=offset,
                        data=chunk,
                        exercise=rep.exercise,
                    )
                )
        out.append(
            SituationReport(
                id=rep.report_id,  # the county's own id: the city keeps one copy, ever
                sender=self.device,
                sent=utcnow(),
                exercise=rep.exercise or bool(inc and inc.exercise),
                incident_id=self.city_incident(rep.incident_id),
                stage=rep.stage,  # type: ignore[arg-type]
                title=rep.title,
                text=self.report_text(rep.report_id),  # every word, not just the title
                dead=rep.dead,
                missing=rep.missing,
                injured=rep.injured,
                area=rep.area if rep.area and len(rep.area) >= 3 else None,
                source="county",
                author=f"{rep.author or rep.sender}（{self.device}）"[:512],
                attachments=rep.attachments,
            )
        )
        return out

    def _resource(self, r: ResourceState) -> Message:
        msg: Message = self._msg(
            ResourceUpsert,
            self._id("resource", r.resource_id, r.updated.isoformat()),
            resource_id=f"{self.prefix}/{r.resource_id}"[:128],
            resource_type=r.resource_type,
            name=r.name,
            lat=r.lat,
            lon=r.lon,
            department=r.department,
            category=r.category,
            availability=r.availability,
            capacity=r.capacity,
            occupancy=r.occupancy,
            stock=r.stock,
            phone=r.phone,
            measure=r.measure,
            warn_at=r.warn_at,
            alarm_at=r.alarm_at,
            draft_type=r.draft_type,
            sample=r.sample,
            stream_url=r.stream_url,
        )
        return msg

    def _order(self, order: OrderStatus) -> list[Message]:
        """The county recipient's answer to a mirrored city order goes up as ours."""
        before = self.orders.get(order.order_id)
        self.orders[order.order_id] = order
        if not order.order_id.startswith(CITY_ORDER_PREFIX):
            return []
        city_order = order.order_id[len(CITY_ORDER_PREFIX) :]
        return [
            self._msg(
                OrderUpdate,
                self._id("order", city_order, step),
                order_id=city_order,
                state=step,
                note=(
                    f"{order.note}（{order.recipient}，{self.device}）"
                    if order.note
                    else f"{order.recipient}（{self.device}）"
                )[:512],
                exercise=order.exercise,
            )
            # the county may publish two answers as one change; the city must see each step
            for step in answer_path(
                before.state if before and before.state not in UNACKNOWLEDGED else "delivered",
                order.state,
            )
        ]

    def mirrored(self, city: OrderStatus, orders_to: str) -> DispatchOrder:
        """A city order to the county, issued inside the county to ``orders_to``."""
        return DispatchOrder(
            id=self._id("mirror", city.order_id),  # a resend or a restart mirrors nothing new
            sender=self.link_device,
            sent=utcnow(),
            exercise=city.exercise,
            order_id=f"{CITY_ORDER_PREFIX}{city.order_id}",
            recipient=orders_to,
            text=f"【市指挥部 {city.issued_by}】{city.text}"[:4096],
            incident_id=self.county_incident(city.incident_id),
        )


class UpstreamLink(BatchFeed):
    """The link's thread: forwards up, mirrors down, reports its backlog."""

    topics = _UP_TOPICS

    def __init__(
        self,
        city_bundle: Any,
        local_bundle: Any,
        settings: UpstreamSettings,
        data_dir: Path,
        blobs: BlobStore | None,
        report_text: Callable[[str], str] = lambda report_id: "",
    ) -> None:
        self.city_bundle = city_bundle
        self.local_bundle = local_bundle
        self.settings = settings
        self.data_dir = data_dir
        self.blobs = blobs
        device = city_bundle.device
        self.report_text = report_text
        self.translator = Translator(
            device,
            settings.prefix or device,
            local_bundle.device,
            report_text,
            secret=city_bundle.keys.secret,
        )
        super().__init__()
        self._status: RelayState | None = None
        self._status_lock = threading.Lock()
        self.forwarded = 0
        self.mirrored = 0
        self.catch_ups = 0
        """Catch-ups finished (after each link to the city): what the city lacked is sent."""
        self._tasks: set[asyncio.Task[None]] = set()

    # --- hub side (thread-safe) -----------------------------------------------------------

    def start(self, picture: list[StateValue]) -> None:
        """Start the link; ``picture`` is the county's state at hub start."""
        self._start_thread("upstream", lambda: self._main(picture))

    def take_statuses(self) -> list[RelayState]:
        """The link's queue as a relay status, when it changed."""
        with self._status_lock:
            st, self._status = self._status, None
        return [st] if st is not None else []

    # --- the link's loop ------------------------------------------------------------------

    async def _main(self, picture: list[StateValue]) -> None:
        from shared.client import HubClient, OrderInbox, Replica

        t = self.translator
        t.prime(picture)
        city = HubClient(self.city_bundle, self.data_dir / "upstream-outbox.db")
        local = HubClient(self.local_bundle, self.data_dir / "upstream-local.db")
        orders = Replica(self.city_bundle, topics=("order",))
        inbox = OrderInbox(city, orders)
        inbox.on_new.append(lambda o: self._mirror(local, o))
        orders.listeners.append(lambda _t, _k, v: self._cancelled(local, v))
        catch_up: asyncio.Task[None] | None = None
        try:
            await city.start()
            await local.start()
            await orders.start()
            catch_up = asyncio.get_running_loop().create_task(self._catch_up(city, picture))
            last: tuple[int, str] | None = None
            while not self._stopping:
                batches = self.take()
                if batches is None:
                    break
                msgs = self._translate(batches)
                if msgs:
                    await city.submit(*msgs)
                    self.forwarded += len(msgs)
                now = (city.queued(), city.state.value)
                if now != last:
                    last = now
                    self._note_status(city)
                await self.nap(1.0)
        finally:
            if catch_up is not None:
                catch_up.cancel()
            for task in list(self._tasks):
                await task  # mirrored orders already in hand reach the outbox
            await orders.aclose()
            await local.aclose()
            await city.aclose()

    def _translate(self, batches: list[UpdateBatch]) -> list[Message]:
        order = {t: i for i, t in enumerate(_UP_TOPICS)}
        msgs: list[Message] = []
        for batch in sorted(batches, key=lambda b: order[b.topic]):
            for u in batch.updates:
                if not self._own(u.value):
                    continue
                msgs += self.translator.messages(u.value, self.blobs)
        return msgs

    def _own(self, value: StateValue | None) -> bool:
        """The county's own items (not what the link mirrored from the city)."""
        if isinstance(value, ReportState):
            return bool(value.sender != self.local_bundle.device)
        if isinstance(value, OrderStatus):
            return value.order_id.startswith(CITY_ORDER_PREFIX)
        return value is not None

    async def _catch_up(self, city: Any, picture: list[StateValue]) -> None:
        """Send what the city lacks of the county's picture (after a crash or a first link)."""
        try:
            await self._send_missing(city, picture)
        finally:
            self.catch_ups += 1

    async def _send_missing(self, city: Any, picture: list[StateValue]) -> None:
        msgs: list[Message] = []
        t = self.translator
        fresh = Translator(
            t.device, t.prefix, self.local_bundle.device, self.report_text, secret=t.secret
        )
        order = {"incident": 0, "resource": 1, "report": 2}
        values = [v for v in picture if isinstance(v, IncidentState | ResourceState | ReportState)]
        values.sort(key=lambda v: order[str(type(v).__struct_config__.tag)])
        reports: list[ReportState] = []
        for v in values:
            if not self._own(v):
                continue
            if isinstance(v, ReportState):
                reports.append(v)  # asked about first: its photos are read only if missing
            else:
                msgs += fresh.messages(v, self.blobs)
        if not msgs and not reports:
            return
        try:
            await city.wait_online(3600)
            held = await city.query_inbox(
                [m.id for m in msgs] + [r.report_id for r in reports], timeout=120
            )
        except TimeoutError:
            return
        for rep in reports:
            if rep.report_id not in held:
                msgs += fresh.messages(rep, self.blobs)
        missing = [m for m in msgs if m.id not in held]
        if missing:
            log.warning("upstream catching up", extra={"messages": len(missing)})
            await city.submit(*missing)
            self.forwarded += len(missing)

    def _mirror(self, local: Any, city_order: OrderStatus) -> None:
        to = self.settings.orders_to
        if not to:
            log.error("a city order arrived but [upstream] orders_to names no county recipient")
            return
        msg = self.translator.mirrored(city_order, to)
        task = asyncio.get_running_loop().create_task(local.submit(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.mirrored += 1

    def _cancelled(self, local: Any, value: StateValue | None) -> None:
        """The city cancelled an order to the county: the county's copy is cancelled too."""
        if not isinstance(value, OrderStatus) or value.state != "cancelled":
            return
        if value.recipient != self.translator.device:
            return
        msg = OrderUpdate(
            # one cancel, however often it is seen
            id=self.translator._id("cancel", value.order_id),
            sender=self.local_bundle.device,
            sent=utcnow(),
            exercise=value.exercise,
            order_id=f"{CITY_ORDER_PREFIX}{value.order_id}",
            state="cancelled",
            note=f"市指挥部撤销：{value.note}"[:512] if value.note else "市指挥部撤销",
        )
        task = asyncio.get_running_loop().create_task(local.submit(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _note_status(self, city: Any) -> None:
        queued = city.queued()
        st = RelayState(
            destination="city",
            transport="upstream",
            queued=queued,
            delivered=int(city.stats.get("acked", 0)),
            rejected=int(city.stats.get("errors", 0)),
            updated=datetime.now(UTC),
            last_error="" if city.state.value == "online" else f"link {city.state.value}",
        )
        with self._status_lock:
            self._status = st


def county_link(
    city_bundle: Any,
    settings: UpstreamSettings,
    data_dir: Path,
    engine: Engine,
    devices: DeviceCache,
    hub_public_key: str,
    endpoints: Endpoints,
    blobs: BlobStore,
) -> UpstreamLink:
    """A county hub's link to the city, with its own device in this hub (it issues the
    city's orders here): enrolled on first start, kept in the data folder as
    ``upstream-link.json``, re-enrolled when its key is no longer usable."""
    from shared.hub.record import stored_report_text
    from shared.identity import Bundle, BundleError, enroll, load_bundle

    path = data_dir / "upstream-link.json"
    local: Bundle | None = None
    if path.exists():
        try:
            saved = load_bundle(path)
            if devices.lookup(saved.keys.public) is not None:
                local = dataclasses.replace(saved, endpoints=endpoints)
        except BundleError:
            pass
    if local is None:
        local = enroll(
            engine,
            name=f"upstream-link-{new_id()[-8:].lower()}",
            role="duty-officer",
            hub_public_key=hub_public_key,
            endpoints=endpoints,
            actor="hub",
            valid_days=None,
        )
        local.save(path)
        devices.refresh()
    return UpstreamLink(
        city_bundle,
        local,
        settings,
        data_dir,
        blobs,
        report_text=lambda report_id: stored_report_text(engine, report_id),
    )
