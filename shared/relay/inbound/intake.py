"""The department intake: an HTTP/JSON door for department platforms (公安, 消防, 卫健 …) that
do not run our client, authenticated with client certificates (mutual TLS).

Each client certificate's common name maps to a department liaison's key bundle, so what a
department platform sends is the liaison's own act at the hub (the hub's roles, validation,
audit log and picture apply unchanged). ``request_id`` makes every write idempotent: the hub
keeps one copy whatever the number of retries. The OpenAPI 3.1 description is served at
``/openapi.json`` and built from the same typed bodies the intake decodes.

Answers: 201 stored by the hub; 202 queued (the hub did not answer in time; the intake's
durable outbox sends it when it can); 400 a body that does not decode (the field named);
403 a certificate no department is configured for, or a department whose key the hub
refuses; 404 a resource the command centre does not know; 422 refused by the hub (its
reason).
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from shared.protocol import (
    DECODE_FAILURES,
    OrderStatus,
    OrderUpdate,
    ResourceStatus,
    SituationReport,
    utcnow,
)
from shared.protocol.ids import derived_id
from shared.relay.inbound.guarded_http import GuardedServer, HttpLimits, read_body
from shared.relay.inbound.intake_ledger import Ledger, body_digest

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
Text = Annotated[str, msgspec.Meta(max_length=512)]
RequestId = Annotated[
    str, msgspec.Meta(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class IntakeError(ValueError):
    """An intake configuration that cannot be used; the message names the problem."""


class ReportBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A department's report on an incident (初报 / 续报 / 终报)."""

    request_id: RequestId
    incident_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    stage: Literal["initial", "follow_up", "final"]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    text: Annotated[str, msgspec.Meta(max_length=65536)] = ""
    dead: Count = 0
    missing: Count = 0
    injured: Count = 0
    author: Text = ""
    exercise: bool = False


class ResourceStatusBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A change of one of the department's resources (availability, occupancy, stock)."""

    request_id: RequestId
    resource_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    availability: Literal["available", "assigned", "unavailable"] | None = None
    occupancy: Count | None = None
    stock: dict[Annotated[str, msgspec.Meta(max_length=64)], Count] | None = None
    note: Text = ""


class OrderAnswerBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The department's answer to an order: acknowledge, accept, decline (with a note),
    progress."""

    request_id: RequestId
    state: Literal["acknowledged", "accepted", "declined", "en_route", "on_scene", "completed"]
    note: Text = ""


class OrderView(msgspec.Struct, kw_only=True):
    """An order addressed to the department's liaison."""

    order_id: str
    text: str
    state: str
    issued_by: str
    updated: str
    incident_id: str | None = None
    exercise: bool = False


class Stored(msgspec.Struct, kw_only=True):
    """What a write became."""

    status: Literal["stored", "queued"]
    message_id: str


class RequestState(msgspec.Struct, kw_only=True):
    """What a request became, as ``GET /v1/requests/{request_id}`` tells it: ``stored``,
    ``queued`` (the hub has not answered yet) or ``refused`` with the hub's reason."""

    request_id: str
    status: Literal["stored", "queued", "refused"]
    message_id: str
    reason: str = ""
    updated: str = ""


class Problem(msgspec.Struct, kw_only=True):
    """Why a request was refused."""

    error: str


class Client(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One department platform: its certificate's common name and the liaison bundle it
    acts as."""

    certificate_cn: str
    bundle: str


class IntakeConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``intake.toml``: ``[[clients]]`` entries."""

    clients: list[Client]


def load_intake_config(path: Path) -> IntakeConfig:
    """Read ``intake.toml``.

    Raises:
        IntakeError: unreadable, not TOML, or a field missing (named).
    """
    try:
        return msgspec.convert(tomllib.loads(path.read_text("utf-8")), IntakeConfig)
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise IntakeError(f"{path}: {exc}") from None


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the intake, from the bodies it decodes."""
    bodies = (
        ReportBody,
        ResourceStatusBody,
        OrderAnswerBody,
        OrderView,
        Stored,
        RequestState,
        Problem,
    )
    (_, components) = msgspec.json.schema_components(
        bodies, ref_template="#/components/schemas/{name}"
    )

    def ref(name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    def answers(ok: dict[str, Any]) -> dict[str, Any]:
        problem = {"application/json": {"schema": ref("Problem")}}
        return {
            **ok,
            "400": {
                "description": "The body does not decode; the field is named.",
                "content": problem,
            },
            "403": {
                "description": "No department is configured for this certificate, this "
                "department may not do it, or the command centre refuses its key (revoked).",
                "content": problem,
            },
            "422": {
                "description": "The command centre refused it; its reason.",
                "content": problem,
            },
        }

    def write(summary: str, body: str) -> dict[str, Any]:
        return {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(body)}},
            },
            "responses": answers(
                {
                    "404": {
                        "description": "A resource the command centre does not know.",
                        "content": {"application/json": {"schema": ref("Problem")}},
                    },
                    "201": {
                        "description": "Stored by the command centre.",
                        "content": {"application/json": {"schema": ref("Stored")}},
                    },
                    "202": {
                        "description": "Queued: settled when the command centre answers "
                        "(ask GET /v1/requests/{request_id}).",
                        "content": {"application/json": {"schema": ref("Stored")}},
                    },
                    "409": {
                        "description": "This request_id was used for another request.",
                        "content": {"application/json": {"schema": ref("Problem")}},
                    },
                }
            ),
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "衡水市应急指挥平台 — department intake",
            "version": "1",
            "description": (
                "For department platforms on the government intranet. Mutual TLS: present the "
                "client certificate the city's PKI issued to your platform. Every write carries "
                "a request_id; resending the same request is safe (stored once, the same "
                "answer again), the same request_id with another body is 409, and a request "
                "answered 202 is settled later: GET /v1/requests/{request_id} tells which."
            ),
        },
        "servers": [{"url": "https://intake.example.intranet:8444"}],
        "paths": {
            "/v1/reports": {"post": write("Report on an incident (初报/续报/终报)", "ReportBody")},
            "/v1/resources/status": {
                "post": write(
                    "Change a resource's availability, occupancy or stock", "ResourceStatusBody"
                )
            },
            "/v1/orders": {
                "get": {
                    "summary": "Orders addressed to this department",
                    "responses": answers(
                        {
                            "200": {
                                "description": "Open orders, newest first.",
                                "content": {
                                    "application/json": {
                                        "schema": {"type": "array", "items": ref("OrderView")}
                                    }
                                },
                            }
                        }
                    ),
                }
            },
            "/v1/requests/{request_id}": {
                "get": {
                    "summary": "What a request became (stored, queued, refused with the reason)",
                    "parameters": [
                        {
                            "name": "request_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": answers(
                        {
                            "200": {
                                "description": "The request's state.",
                                "content": {"application/json": {"schema": ref("RequestState")}},
                            },
                            "404": {
                                "description": "No request with this id from this department.",
                                "content": {"application/json": {"schema": ref("Problem")}},
                            },
                        }
                    ),
                }
            },
            "/v1/orders/{order_id}/answer": {
                "post": {
                    **write("Answer an order", "OrderAnswerBody"),
                    "parameters": [
                        {
                            "name": "order_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                }
            },
        },
        "components": {"schemas": components},
    }


def decode_body(raw: bytes, kind: type[Any]) -> Any:
    """A request body decoded as ``kind``, or the reason it is refused (a string naming the
    field or the byte). Never raises, whatever the bytes."""
    try:
        return msgspec.json.decode(raw, type=kind)
    except UnicodeDecodeError as exc:
        return (
            f"{kind.__name__}: the body is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} "
            f"in a string near offset {exc.start}): send JSON as UTF-8"
        )
    except DECODE_FAILURES as exc:
        return f"{kind.__name__}: {exc!s:.500}"


def message_id(cn: str, request_id: str, secret: str) -> str:
    """The hub message id of a department's request: retries map to one message (keyed with
    the liaison bundle's secret: no other device can send under it first)."""
    return derived_id("dp", secret, cn, request_id)


class Department:
    """One department's connection: its liaison's client, replica and order inbox."""

    def __init__(self, cn: str, bundle: Any, outbox: Path) -> None:
        from shared.client import HubClient, OrderInbox, Replica

        self.cn = cn
        self.client = HubClient(bundle, outbox)
        # orders to answer, and the resources it may report on (checked here, so a request
        # about a resource nobody knows is answered at once, not queued while the hub is away)
        self.replica = Replica(bundle, topics=("order", "resource"))
        self.inbox = OrderInbox(self.client, self.replica)

    async def start(self) -> None:
        await self.client.start()
        await self.replica.start()

    async def aclose(self) -> None:
        await self.replica.aclose()
        await self.client.aclose()


DEPARTMENT = web.RequestKey("department", Department)
DIGEST = web.RequestKey("digest", str)
REQUEST_ID = web.RequestKey("request_id", str)


def msg_request_id(request: web.Request) -> str:
    return request[REQUEST_ID]


def _refusal_http(code: str) -> int:
    """The HTTP status of a hub refusal: 403 for what this department may not do."""
    return 403 if code in ("forbidden", "revoked") else 422


class Intake:
    """The intake server. ``departments`` maps certificate common names to their bundles."""

    def __init__(
        self,
        departments: dict[str, Any],
        outbox_dir: Path,
        *,
        timeout_s: float = 10.0,
        limits: HttpLimits | None = None,
    ) -> None:
        self.bundles = departments
        self.outbox_dir = outbox_dir
        self.timeout_s = timeout_s
        self.limits = limits or HttpLimits()
        self.departments: dict[str, Department] = {}
        self._runner: web.AppRunner | None = None
        self.server: GuardedServer | None = None
        self.port = 0
        self.ledger: Ledger | None = None

    async def start(self, host: str, port: int, tls: Any) -> int:
        """Connect every department's liaison and listen."""
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        ledger = self.ledger = Ledger(self.outbox_dir / "requests.db")
        for cn, bundle in self.bundles.items():
            dep = Department(cn, bundle, self.outbox_dir / f"{bundle.device}.db")
            # a queued request is settled when the hub answers it, whenever that is
            dep.client.on_ack.append(lambda ref, _s, _l: ledger.settle(ref, "stored", 201))
            dep.client.on_error.append(
                lambda err: ledger.settle(
                    err.ref or "", "refused", _refusal_http(err.code), err.detail
                )
            )
            await dep.start()
            self.departments[cn] = dep
        app = web.Application(
            client_max_size=MAX_BODY_BYTES, middlewares=[self._guard, self._authenticate]
        )
        app.router.add_get("/openapi.json", self.on_openapi)
        app.router.add_post("/v1/reports", self.on_report)
        app.router.add_post("/v1/resources/status", self.on_resource_status)
        app.router.add_get("/v1/orders", self.on_orders)
        app.router.add_post("/v1/orders/{order_id}/answer", self.on_order_answer)
        app.router.add_get("/v1/requests/{request_id}", self.on_request_state)
        self._runner = web.AppRunner(
            app, access_log=None, **GuardedServer.handler_options(self.limits)
        )
        await self._runner.setup()
        self.server = GuardedServer(self._runner, self.limits, name="intake")
        self.port = await self.server.start(host, port, tls)
        return self.port

    async def aclose(self) -> None:
        """Stop listening and close every department's connection."""
        if self.server is not None:
            await self.server.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        for dep in self.departments.values():
            await dep.aclose()
        if self.ledger is not None:
            self.ledger.close()

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        assert self.server is not None
        response: web.StreamResponse = await self.server.handle(request, handler)
        return response

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/openapi.json":
            response: web.StreamResponse = await handler(request)
            return response
        cn = _peer_cn(request)
        if cn is None or cn not in self.departments:
            return _problem(403, f"no department is configured for certificate {cn!r}")
        request[DEPARTMENT] = self.departments[cn]
        answer: web.StreamResponse = await handler(request)
        return answer

    async def on_openapi(self, request: web.Request) -> web.Response:
        """The OpenAPI description."""
        return web.json_response(openapi())

    async def _body(self, request: web.Request, kind: type[Any]) -> Any:
        """The decoded body, or the refusal to answer with."""
        try:
            raw = await read_body(request, self.limits)
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"body over {MAX_BODY_BYTES} bytes")
        decoded = decode_body(raw, kind)
        if isinstance(decoded, str):
            return _problem(400, decoded)
        request[DIGEST] = body_digest(request.path.encode() + b"\n" + raw)
        return decoded

    async def _submit(self, request: web.Request, dep: Department, msg: Any) -> web.Response:
        """Send one request to the hub: a reused request_id with another body is a 409, an
        exact retry of an answered request gets its answer again, the rest goes to the hub
        (201 stored, 202 queued and settled later, 403/422 refused with the reason)."""
        assert self.ledger is not None
        request_id: str = msg_request_id(request)
        digest: str = request[DIGEST]
        held = self.ledger.get(dep.cn, request_id)
        if held is not None and held.digest != digest:
            return _problem(
                409,
                f"request_id {request_id!r} was used at {held.updated} for another request "
                f"({held.status}); a new request needs a new request_id",
            )
        if held is not None and held.status == "stored":
            return _json(201, Stored(status="stored", message_id=held.message_id))
        if held is not None and held.status == "refused":
            return _problem(held.http, held.reason)
        refusal = self._refused_here(dep, msg)
        if refusal is not None:
            http, reason = refusal
            self.ledger.record(dep.cn, request_id, digest, msg.id, "refused", http, reason)
            return _problem(http, reason)
        self.ledger.record(dep.cn, request_id, digest, msg.id, "queued", 202)
        try:
            error = await dep.client.submit_and_wait(msg, self.timeout_s)
        except TimeoutError:
            return _json(202, Stored(status="queued", message_id=msg.id))
        if error is not None:
            http = _refusal_http(error.code)
            self.ledger.record(dep.cn, request_id, digest, msg.id, "refused", http, error.detail)
            return _problem(http, error.detail)
        self.ledger.record(dep.cn, request_id, digest, msg.id, "stored", 201)
        return _json(201, Stored(status="stored", message_id=msg.id))

    @staticmethod
    def _refused_here(dep: Department, msg: Any) -> tuple[int, str] | None:
        """What the intake can refuse itself, rather than answer 202 for something the hub
        would refuse later: a department whose key the hub refuses, a resource the command
        centre does not know (as of its last picture)."""
        from shared.client import LinkState

        if dep.client.state == LinkState.REFUSED:
            return 403, (
                "the command centre refuses this department's key (revoked or expired): ask "
                "the city's duty officer to enrol the department again; nothing was queued"
            )
        resources = dep.replica.items.get("resource", {})
        if isinstance(msg, ResourceStatus) and resources and msg.resource_id not in resources:
            return 404, (
                f"the command centre knows no resource {msg.resource_id!r} (GET /v1/orders "
                "lists what is addressed to you; a resource the city registered moments ago "
                "may not be known here yet: retry in a minute)"
            )
        return None

    async def on_request_state(self, request: web.Request) -> web.Response:
        """GET /v1/requests/{request_id}: what a request became (a 202 settled later)."""
        assert self.ledger is not None
        dep: Department = request[DEPARTMENT]
        request_id = request.match_info["request_id"]
        held = self.ledger.get(dep.cn, request_id)
        if held is None:
            return _problem(404, f"no request {request_id!r} from this department")
        state = RequestState(
            request_id=request_id,
            status=held.status,  # type: ignore[arg-type]
            message_id=held.message_id,
            reason=held.reason,
            updated=held.updated,
        )
        return _json(200, state)

    async def on_report(self, request: web.Request) -> web.Response:
        """POST /v1/reports."""
        dep: Department = request[DEPARTMENT]
        body = await self._body(request, ReportBody)
        if isinstance(body, web.Response):
            return body
        msg = SituationReport(
            id=message_id(dep.cn, body.request_id, dep.client.bundle.keys.secret),
            sender=dep.client.bundle.device,
            sent=utcnow(),
            exercise=body.exercise,
            incident_id=body.incident_id,
            stage=body.stage,
            title=body.title,
            text=body.text,
            dead=body.dead,
            missing=body.missing,
            injured=body.injured,
            source="department",
            author=(body.author or dep.cn)[:512],
        )
        request[REQUEST_ID] = body.request_id
        return await self._submit(request, dep, msg)

    async def on_resource_status(self, request: web.Request) -> web.Response:
        """POST /v1/resources/status."""
        dep: Department = request[DEPARTMENT]
        body = await self._body(request, ResourceStatusBody)
        if isinstance(body, web.Response):
            return body
        msg = ResourceStatus(
            id=message_id(dep.cn, body.request_id, dep.client.bundle.keys.secret),
            sender=dep.client.bundle.device,
            sent=utcnow(),
            resource_id=body.resource_id,
            availability=body.availability,
            occupancy=body.occupancy,
            stock=body.stock,
            note=body.note,
        )
        request[REQUEST_ID] = body.request_id
        return await self._submit(request, dep, msg)

    async def on_orders(self, request: web.Request) -> web.Response:
        """GET /v1/orders."""
        dep: Department = request[DEPARTMENT]
        orders = sorted(dep.inbox.orders.values(), key=lambda o: o.updated, reverse=True)
        return _json(200, [_view(o) for o in orders])

    async def on_order_answer(self, request: web.Request) -> web.Response:
        """POST /v1/orders/{order_id}/answer."""
        dep: Department = request[DEPARTMENT]
        order_id = request.match_info["order_id"]
        body = await self._body(request, OrderAnswerBody)
        if isinstance(body, web.Response):
            return body
        held = self.ledger.get(dep.cn, body.request_id) if self.ledger else None
        if order_id not in dep.inbox.orders and held is None:
            return _problem(422, f"no order {order_id!r} is addressed to this department")
        msg = OrderUpdate(
            id=message_id(dep.cn, body.request_id, dep.client.bundle.keys.secret),
            sender=dep.client.bundle.device,
            sent=utcnow(),
            order_id=order_id,
            state=body.state,
            note=body.note,
        )
        request[REQUEST_ID] = body.request_id
        return await self._submit(request, dep, msg)


def _view(o: OrderStatus) -> OrderView:
    return OrderView(
        order_id=o.order_id,
        text=o.text,
        state=o.state,
        issued_by=o.issued_by,
        updated=o.updated.isoformat(),
        incident_id=o.incident_id,
        exercise=o.exercise,
    )


def _peer_cn(request: web.Request) -> str | None:
    transport = request.transport
    cert = transport.get_extra_info("peercert") if transport is not None else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def _json(status: int, body: Any) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


def _problem(status: int, error: str) -> web.Response:
    return _json(status, Problem(error=error[:2000]))
