"""``command-center ctl``: every incident, report and order action from the command line.

    command-center ctl --bundle FILE [--json] incident declare --id ID --title T --lat N --lon N
        [--type CODE] [--division 131102] [--dead N] [--missing N] [--injured N] [--loss CNY]
        [--area "LAT,LON;LAT,LON;…"] [--occurred ISO-TIME] [--from-draft POINT] [--exercise]
    command-center ctl --bundle FILE incident update ID [--dead N …] [--reason TEXT]
    command-center ctl --bundle FILE incident list | incident show ID (with reports, response)
    command-center ctl --bundle FILE incident transition ID --to verified|responding|stabilised
    command-center ctl --bundle FILE incident override ID --level 1-4 --reason TEXT
    command-center ctl --bundle FILE incident close ID --reason TEXT
    command-center ctl --bundle FILE report submit --incident ID --stage initial|follow_up|final
        --title T [--text T] [--source phone|written|field|…] [--author NAME] [--attach FILE …]
    command-center ctl --bundle FILE assess ID [--wind-from DEG --wind-speed M/S]
    command-center ctl --bundle FILE response activate|raise|lower ID --level 1-4 [--plan P]
        [--reason T] | response end ID | response show ID
    command-center ctl --bundle FILE checklist tick ID ITEM [--undo] [--note T]
    command-center ctl --bundle FILE resource set --id ID --type T --name N --lat N --lon N […]
    command-center ctl --bundle FILE resource status ID [--availability A] [--occupancy N]
        [--stock ITEM=N …] | resource list [--type T]
    command-center ctl --bundle FILE reading --point ID --value V [--measured ISO-TIME]
    command-center ctl --bundle FILE monitor list
    command-center ctl --bundle FILE duty log --text T [--category C] [--incident ID]
    command-center ctl --bundle FILE duty shift --id ID --person P --post P --start T --end T
    command-center ctl --bundle FILE duty handover --from P --to P [--notes T] [--open ITEM …]
    command-center ctl --bundle FILE duty sign-in --person P [--post P] [--off]
    command-center ctl --bundle FILE duty list
    command-center ctl --bundle FILE order issue --id ID --to DEVICE --text T [--fallback DEVICE]
    command-center ctl --bundle FILE order list | order update ID --state S [--note T]
    command-center ctl --bundle FILE alarms

Actions print what the hub answered and exit 0 when it stored them, 1 when it refused
(the reason is printed), 2 on bad arguments or no answer. ``--json`` prints one JSON object.
It talks to a running hub through the same client core as the windows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from command_center import exits
from shared.client import HubClient, LinkState, Replica, UploadError, assess_incident, upload
from shared.domain import DomainError, Wind, sample_data
from shared.identity import Bundle
from shared.protocol import (
    ChecklistTick,
    DispatchOrder,
    DutyLogEntry,
    DutyShift,
    Error,
    IncidentClose,
    IncidentDeclare,
    IncidentRecord,
    IncidentReopen,
    IncidentTransition,
    IncidentUpdate,
    LevelOverride,
    Message,
    MonitoringReading,
    OrderUpdate,
    RecordQuery,
    ResourceStatus,
    ResourceUpsert,
    ResponseCommand,
    ShiftHandover,
    ShiftSignIn,
    SituationReport,
)

RESOURCE_TYPES = ["team", "vehicle", "depot", "shelter", "expert", "monitoring_point", "facility"]


def _time(text: str) -> datetime:
    """An ISO 8601 time with its offset (2026-07-12T21:31:38+08:00)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone: add +08:00 (or Z for UTC)")
    return value


def _area(text: str) -> list[tuple[float, float]]:
    """``LAT,LON;LAT,LON;…`` → a list of points."""
    try:
        points = [tuple(float(v) for v in p.split(",")) for p in text.split(";") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"area {text!r}: write points as LAT,LON separated by ';'"
        ) from None
    if any(len(p) != 2 for p in points):
        raise argparse.ArgumentTypeError("each area point is LAT,LON")
    return [(p[0], p[1]) for p in points]


def _stock(text: str) -> tuple[str, int]:
    item, _, count = text.partition("=")
    if not item or not count.isdigit():
        raise argparse.ArgumentTypeError(f"stock {text!r}: write ITEM=COUNT, e.g. 帐篷=800")
    return item, int(count)


def add_parser(sub: Any) -> None:
    """Register ``ctl`` and its commands on the top-level subparsers."""
    ctl = sub.add_parser("ctl", help="act on a running hub (incidents, reports, orders …)")
    ctl.add_argument("--bundle", type=Path, required=True)
    ctl.add_argument("--json", action="store_true", help="print one JSON object")
    ctl.add_argument("--timeout", type=float, default=10.0)
    what = ctl.add_subparsers(dest="what", required=True)

    inc = what.add_parser("incident").add_subparsers(dest="action", required=True)
    p = inc.add_parser("declare")
    p.add_argument("--id", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--type", default="")
    p.add_argument("--division")
    p.add_argument("--level", type=int)
    for name in ("dead", "missing", "injured", "trapped", "evacuated"):
        p.add_argument(f"--{name}", type=int, default=0)
    p.add_argument("--loss", type=int, default=0, help="direct loss in CNY")
    p.add_argument("--area", type=_area, help="affected area: LAT,LON;LAT,LON;…")
    p.add_argument("--occurred", type=_time, help="when it happened (ISO time with offset)")
    p.add_argument("--from-draft", default="", help="confirm the draft of this monitoring point")
    p.add_argument(
        "--received", type=_time, help="when the call came in (starts the reporting clocks)"
    )
    p.add_argument("--exercise", action="store_true", help="a drill (演练)")
    p = inc.add_parser("update", help="change facts of an incident (only the ones named)")
    p.add_argument("id")
    p.add_argument("--title")
    p.add_argument("--lat", type=float)
    p.add_argument("--lon", type=float)
    p.add_argument("--type")
    p.add_argument("--division")
    for name in ("dead", "missing", "injured", "trapped", "evacuated"):
        p.add_argument(f"--{name}", type=int)
    p.add_argument("--loss", type=int, help="direct loss in CNY")
    p.add_argument("--area", type=_area, help="affected area: LAT,LON;LAT,LON;…")
    p.add_argument("--occurred", type=_time, help="when it happened (ISO time with offset)")
    p.add_argument("--reason", default="", help="why (needed to lower a figure)")
    inc.add_parser("list")
    inc.add_parser("drafts", help="incident drafts waiting to be confirmed (--from-draft KEY)")
    p = inc.add_parser("show")
    p.add_argument("id")
    p = inc.add_parser("transition")
    p.add_argument("id")
    p.add_argument("--to", required=True, choices=["verified", "responding", "stabilised"])
    p.add_argument("--note", default="")
    p = inc.add_parser("override")
    p.add_argument("id")
    p.add_argument("--level", type=int, required=True, choices=[1, 2, 3, 4])
    p.add_argument("--reason", required=True)
    p = inc.add_parser("close")
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p = inc.add_parser("reopen", help="bring a closed incident back (as verified)")
    p.add_argument("id")
    p.add_argument("--reason", required=True)

    rep = what.add_parser("report").add_subparsers(dest="action", required=True)
    p = rep.add_parser("submit")
    p.add_argument("--incident", required=True)
    p.add_argument("--stage", required=True, choices=["initial", "follow_up", "final"])
    p.add_argument("--title", required=True)
    p.add_argument("--text", default="")
    p.add_argument(
        "--source",
        default="field",
        choices=["field", "phone", "written", "department", "county", "monitoring", "public"],
    )
    p.add_argument("--author", default="")
    for name in ("dead", "missing", "injured"):
        p.add_argument(f"--{name}", type=int, default=0)
    p.add_argument("--attach", type=Path, nargs="+", default=[], help="photos, documents")

    p = what.add_parser("assess")
    p.add_argument("id")
    p.add_argument("--wind-from", type=float, help="wind direction, degrees FROM (0 = north)")
    p.add_argument("--wind-speed", type=float, help="wind speed, m/s")

    resp = what.add_parser("response").add_subparsers(dest="action", required=True)
    for action in ("activate", "raise", "lower"):
        p = resp.add_parser(action)
        p.add_argument("id")
        p.add_argument("--level", type=int, required=True, choices=[1, 2, 3, 4])
        p.add_argument("--plan", default="")
        p.add_argument("--reason", default="")
    p = resp.add_parser("end")
    p.add_argument("id")
    p.add_argument("--reason", default="")
    p = resp.add_parser("show")
    p.add_argument("id")

    p = what.add_parser("checklist").add_subparsers(dest="action", required=True)
    p = p.add_parser("tick")
    p.add_argument("id")
    p.add_argument("item")
    p.add_argument("--undo", action="store_true")
    p.add_argument("--note", default="")

    res = what.add_parser("resource").add_subparsers(dest="action", required=True)
    p = res.add_parser("set")
    p.add_argument("--id", required=True)
    p.add_argument("--type", required=True, choices=RESOURCE_TYPES)
    p.add_argument("--name", required=True)
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--department", default="")
    p.add_argument("--category", default="")
    p.add_argument(
        "--availability", default="available", choices=["available", "assigned", "unavailable"]
    )
    p.add_argument("--capacity", type=int, default=0)
    p.add_argument("--occupancy", type=int, default=0)
    p.add_argument("--stock", type=_stock, nargs="*", default=[])
    p.add_argument("--phone", default="")
    p.add_argument("--measure", default="")
    p.add_argument("--warn-at", type=float)
    p.add_argument("--alarm-at", type=float)
    p.add_argument("--draft-type", default="")
    p = res.add_parser("status")
    p.add_argument("id")
    p.add_argument("--availability", choices=["available", "assigned", "unavailable"])
    p.add_argument("--occupancy", type=int)
    p.add_argument("--stock", type=_stock, nargs="*")
    p.add_argument("--note", default="")
    p = res.add_parser("list")
    p.add_argument("--type", choices=RESOURCE_TYPES)

    p = what.add_parser("reading")
    p.add_argument("--point", required=True)
    p.add_argument("--value", type=float, required=True)
    p.add_argument("--measured", type=_time, help="default: now")

    what.add_parser("monitor").add_argument("action", choices=["list"])

    duty = what.add_parser("duty").add_subparsers(dest="action", required=True)
    p = duty.add_parser("log")
    p.add_argument("--text", required=True)
    p.add_argument(
        "--category",
        default="note",
        choices=["call", "report", "instruction", "note", "handover", "system"],
    )
    p.add_argument("--incident")
    p.add_argument("--author", default="")
    p = duty.add_parser("shift")
    p.add_argument("--id", required=True)
    p.add_argument("--person", required=True)
    p.add_argument("--post", required=True, help="带班领导, 值班员 …")
    p.add_argument("--start", type=_time, required=True)
    p.add_argument("--end", type=_time, required=True)
    p.add_argument("--phone", default="")
    p = duty.add_parser("handover")
    p.add_argument("--from", dest="from_person", required=True)
    p.add_argument("--to", dest="to_person", required=True)
    p.add_argument("--notes", default="")
    p.add_argument("--open", nargs="*", default=[], help="items still open")
    p = duty.add_parser(
        "sign-in", help="who is on duty at this device (recorded on every change it makes)"
    )
    p.add_argument("--person", required=True, help="the person's name")
    p.add_argument("--post", default="", help="带班领导, 值班员 …")
    p.add_argument("--off", action="store_true", help="sign out")
    duty.add_parser("list")

    order = what.add_parser("order").add_subparsers(dest="action", required=True)
    p = order.add_parser("issue")
    p.add_argument("--id", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--fallback")
    p.add_argument("--incident")
    order.add_parser("list")
    p = order.add_parser("update")
    p.add_argument("id")
    p.add_argument("--state", required=True)
    p.add_argument("--note", default="")

    what.add_parser("alarms")


def _facts(args: argparse.Namespace) -> dict[str, Any]:
    """An incident's facts as ``incident declare`` and ``incident update`` take them."""
    return {
        "lat": args.lat,
        "lon": args.lon,
        "type_code": args.type,
        "division": args.division,
        "dead": args.dead,
        "missing": args.missing,
        "seriously_injured": args.injured,
        "trapped": args.trapped,
        "evacuated": args.evacuated,
        "direct_loss_cny": args.loss,
        "area": args.area,
        "occurred": args.occurred,
    }


def _message(client: HubClient, args: argparse.Namespace) -> Message | None:
    """The message an action sends, or None for a read-only command."""
    w, a = args.what, getattr(args, "action", None)
    if w == "incident" and a == "declare":
        return client.make(
            IncidentDeclare,
            incident_id=args.id,
            title=args.title,
            level=args.level,
            from_draft=args.from_draft,
            received=args.received,
            exercise=args.exercise,
            **_facts(args),
        )
    if w == "incident" and a == "update":
        return client.make(
            IncidentUpdate,
            incident_id=args.id,
            reason=args.reason,
            title=args.title,
            **_facts(args),
        )
    if w == "incident" and a == "transition":
        return client.make(IncidentTransition, incident_id=args.id, to=args.to, note=args.note)
    if w == "incident" and a == "override":
        return client.make(LevelOverride, incident_id=args.id, level=args.level, reason=args.reason)
    if w == "incident" and a == "close":
        return client.make(IncidentClose, incident_id=args.id, reason=args.reason)
    if w == "incident" and a == "reopen":
        return client.make(IncidentReopen, incident_id=args.id, reason=args.reason)
    if w == "response" and a in ("activate", "raise", "lower", "end"):
        return client.make(
            ResponseCommand,
            incident_id=args.id,
            action=a,
            level=getattr(args, "level", None),
            plan=getattr(args, "plan", ""),
            reason=args.reason,
        )
    if w == "checklist":
        return client.make(
            ChecklistTick, incident_id=args.id, item=args.item, done=not args.undo, note=args.note
        )
    if w == "resource" and a == "set":
        return client.make(
            ResourceUpsert,
            resource_id=args.id,
            resource_type=args.type,
            name=args.name,
            lat=args.lat,
            lon=args.lon,
            department=args.department,
            category=args.category,
            availability=args.availability,
            capacity=args.capacity,
            occupancy=args.occupancy,
            stock=dict(args.stock),
            phone=args.phone,
            measure=args.measure,
            warn_at=args.warn_at,
            alarm_at=args.alarm_at,
            draft_type=args.draft_type,
        )
    if w == "resource" and a == "status":
        return client.make(
            ResourceStatus,
            resource_id=args.id,
            availability=args.availability,
            occupancy=args.occupancy,
            stock=dict(args.stock) if args.stock is not None else None,
            note=args.note,
        )
    if w == "reading":
        return client.make(
            MonitoringReading,
            point_id=args.point,
            value=args.value,
            measured=args.measured or datetime.now(UTC),
        )
    if w == "duty" and a == "log":
        return client.make(
            DutyLogEntry,
            text=args.text,
            category=args.category,
            incident_id=args.incident,
            author=args.author,
        )
    if w == "duty" and a == "shift":
        return client.make(
            DutyShift,
            shift_id=args.id,
            person=args.person,
            post=args.post,
            start=args.start,
            end=args.end,
            phone=args.phone,
        )
    if w == "duty" and a == "handover":
        return client.make(
            ShiftHandover,
            from_person=args.from_person,
            to_person=args.to_person,
            notes=args.notes,
            open_items=list(args.open),
        )
    if w == "duty" and a == "sign-in":
        return client.make(ShiftSignIn, person=args.person, post=args.post, on=not args.off)
    if w == "order" and a == "issue":
        return client.make(
            DispatchOrder,
            order_id=args.id,
            recipient=args.to,
            text=args.text,
            fallback=args.fallback,
            incident_id=args.incident,
        )
    if w == "order" and a == "update":
        return client.make(OrderUpdate, order_id=args.id, state=args.state, note=args.note)
    return None


def _progress(args: argparse.Namespace, name: str) -> Any:
    """A progress line on standard error (not with --json, not when not a terminal)."""
    if args.json or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r  {name}: {done * 100 // total:3d}% of {total:,} bytes", end=end, file=sys.stderr)

    return show


async def _report(client: HubClient, args: argparse.Namespace) -> Message:
    """Upload the attachments, then make the report naming them."""
    refs = []
    for path in args.attach:
        if not path.is_file():
            raise UploadError(f"{path}: no such file")
        refs.append(await upload(client, path, progress=_progress(args, path.name)))
    return client.make(
        SituationReport,
        incident_id=args.incident,
        stage=args.stage,
        title=args.title,
        text=args.text,
        source=args.source,
        author=args.author,
        dead=args.dead,
        missing=args.missing,
        injured=args.injured,
        attachments=refs,
    )


READ_TOPICS = {
    "incident": ("incident", "report", "response", "monitor", "warning"),
    "order": ("order",),
    "alarms": ("alarm",),
    "assess": ("incident", "resource"),
    "response": ("response",),
    "resource": ("resource",),
    "monitor": ("monitor",),
    "duty": ("duty",),
}


async def _connect(client: HubClient, timeout: float) -> bool:
    """Wait until the hub answers; True when it refused this device's key instead."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if client.state == LinkState.REFUSED:
            return True
        try:
            await client.wait_online(0.05)
            return False
        except TimeoutError:
            continue
    return client.state == LinkState.REFUSED


async def _run(args: argparse.Namespace, bundle: Bundle) -> tuple[int, dict[str, Any]]:
    # A private outbox: an action the hub never answered stays queued only for this run.
    with tempfile.TemporaryDirectory(prefix="ctl-") as tmp:
        async with HubClient(bundle, Path(tmp) / "outbox.db") as client:
            refused = await _connect(client, args.timeout)
            if refused:
                return exits.REFUSED, {
                    "ok": False,
                    "code": "revoked",
                    "error": f"the hub at {bundle.endpoints.request} refuses this device's key "
                    f"({bundle.device}): it was revoked, or enrolled on another hub; ask the "
                    "administrator for a new key bundle (command-center enroll)",
                }
            if client.state != LinkState.ONLINE:
                return exits.NO_ANSWER, {
                    "ok": False,
                    "error": f"no answer from the hub at "
                    f"{bundle.endpoints.request} within {args.timeout} s: is it running "
                    "(command-center serve), and is that address reachable from here?",
                }
            try:
                if args.what == "report":
                    msg: Message | None = await _report(client, args)
                else:
                    msg = _message(client, args)
                if msg is not None:  # every limit checked here, before anything is sent
                    msgspec.convert(msgspec.to_builtins(msg), type(msg), strict=False)
            except msgspec.ValidationError as exc:
                return exits.BAD_INPUT, {"ok": False, "error": f"invalid input: {exc}"}
            except (UploadError, OSError) as exc:
                return exits.BAD_INPUT, {"ok": False, "code": "attachment", "error": str(exc)}
            if msg is not None:
                error = await client.submit_and_wait(msg, args.timeout)
                if error is not None:
                    return (
                        exits.REFUSED,
                        {"ok": False, "id": msg.id, "code": error.code, "error": error.detail},
                    )
                out: dict[str, Any] = {
                    "ok": True,
                    "id": msg.id,
                    "kind": type(msg).__struct_config__.tag,
                }
                subject = getattr(msg, "incident_id", None) or getattr(msg, "order_id", None)
                if subject:
                    out["subject"] = subject
                if isinstance(msg, SituationReport) and msg.attachments:
                    out["attachments"] = msgspec.to_builtins(msg.attachments)
                return 0, out
            record: IncidentRecord | None = None
            if args.what == "incident" and getattr(args, "action", None) == "show":
                reply = await client.request(
                    client.make(RecordQuery, incident_id=args.id), args.timeout
                )
                if isinstance(reply, Error):
                    return exits.REFUSED, {"ok": False, "code": reply.code, "error": reply.detail}
                assert isinstance(reply, IncidentRecord)
                if not reply.found:
                    return exits.NOT_FOUND, {
                        "ok": False,
                        "error": f"no incident {args.id!r}, open or closed (incident list shows "
                        "the open ones)",
                    }
                record = reply
        async with Replica(bundle, topics=READ_TOPICS[args.what]) as replica:
            await asyncio.wait_for(replica.synced.wait(), args.timeout)
            return _read(args, replica, record)


def _read(
    args: argparse.Namespace, replica: Replica, record: IncidentRecord | None = None
) -> tuple[int, dict[str, Any]]:
    """Answer a read-only command from the picture (and, for ``incident show``, the
    incident's whole record from the store)."""
    what, action = args.what, getattr(args, "action", None)

    def items(topic: str) -> dict[str, Any]:
        return dict(replica.items[topic])

    if what == "assess":
        incident = replica.get("incident", args.id)
        if incident is None:
            return exits.NOT_FOUND, {"ok": False, "error": f"no open incident {args.id!r}"}
        wind = None
        if args.wind_from is not None or args.wind_speed is not None:
            if args.wind_from is None or args.wind_speed is None:
                return exits.BAD_INPUT, {
                    "ok": False,
                    "error": "give both --wind-from and --wind-speed",
                }
            wind = Wind(args.wind_from, args.wind_speed)
        try:
            result = assess_incident(
                incident,
                items("resource").values(),
                sample_data().population_cells(),
                wind,
            )
        except DomainError as exc:
            return exits.BAD_INPUT, {"ok": False, "error": str(exc)}
        return 0, {"ok": True, "assessment": msgspec.to_builtins(result)}
    if what == "incident" and action == "drafts":
        drafts = []
        for topic, prefix in (("monitor", ""), ("warning", "warning:")):
            for key, value in sorted(items(topic).items()):
                draft = getattr(value, "draft", None)
                if draft is not None and not getattr(value, "confirmed_as", ""):
                    drafts.append(
                        {"from_draft": f"{prefix}{key}", "source": topic}
                        | msgspec.to_builtins(draft)
                    )
        return 0, {"ok": True, "items": drafts}
    if what == "incident" and action == "show":
        assert record is not None
        history = {
            "changes": record.changes,
            "transitions": record.transitions,
            "reports": record.reports,  # with their text
            "orders": record.orders,  # with every answer and its words
        }
        incident = replica.get("incident", args.id)
        if incident is None:  # closed: the record is all there is
            return 0, {"ok": True, "incident": record.incident, "record": history}
        reports = sorted(
            (r for r in items("report").values() if r.incident_id == args.id),
            key=lambda r: (r.version, r.sent),
        )
        response = replica.get("response", args.id)
        return 0, {
            "ok": True,
            "incident": msgspec.to_builtins(incident),
            "reports": msgspec.to_builtins(reports),
            "response": msgspec.to_builtins(response),
            "record": history,
        }
    if what == "response":
        response = replica.get("response", args.id)
        if response is None:
            return exits.NOT_FOUND, {"ok": False, "error": f"incident {args.id!r} has no response"}
        return 0, {"ok": True, "response": msgspec.to_builtins(response)}
    topic = READ_TOPICS[what][0]
    found = items(topic)
    if what == "resource" and args.type:
        found = {k: v for k, v in found.items() if v.resource_type == args.type}
    return 0, {"ok": True, "items": [msgspec.to_builtins(found[k]) for k in sorted(found)]}


def run(args: argparse.Namespace, bundle: Bundle) -> int:
    """Execute a ``ctl`` command; returns the exit status."""
    code, out = asyncio.run(_run(args, bundle))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, default=str))
    elif not out.get("ok"):
        print(
            f"command-center: refused: {out.get('code', '')} {out['error']}".strip(),
            file=sys.stderr,
        )
    elif "items" in out:
        for item in out["items"]:
            print(json.dumps(item, ensure_ascii=False, default=str))
    elif "subject" in out:
        print(f"stored: {out['kind']} {out['subject']} (message {out['id']})")
    elif "id" in out:
        print(f"stored ({out['kind']} {out['id']})")
    else:
        body = {k: v for k, v in out.items() if k != "ok"}
        print(json.dumps(body, ensure_ascii=False, default=str, indent=2))
    return code
