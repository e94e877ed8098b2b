"""``command-center ctl``: every incident, report and order action from the command line.

    command-center ctl --bundle FILE [--json] incident declare --id ID --title T --lat N --lon N
        [--type CODE] [--division 131102] [--dead N] [--missing N] [--injured N] [--loss CNY]
    command-center ctl --bundle FILE incident list | incident show ID
    command-center ctl --bundle FILE incident transition ID --to verified|responding|stabilised
    command-center ctl --bundle FILE incident override ID --level 1-4 --reason TEXT
    command-center ctl --bundle FILE incident close ID --reason TEXT
    command-center ctl --bundle FILE report submit --incident ID --stage initial|follow_up|final
        --title T [--text T]
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
from pathlib import Path
from typing import Any

import msgspec

from shared.client import HubClient, Replica
from shared.identity import Bundle
from shared.protocol import (
    DispatchOrder,
    IncidentClose,
    IncidentDeclare,
    IncidentTransition,
    LevelOverride,
    Message,
    OrderUpdate,
    SituationReport,
)


def add_parser(sub: Any) -> None:
    """Register ``ctl`` and its commands on the top-level subparsers."""
    ctl = sub.add_parser("ctl", help="act on a running hub (incidents, reports, orders)")
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
    p.add_argument("--exercise", action="store_true", help="a drill (演练)")
    inc.add_parser("list")
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

    rep = what.add_parser("report").add_subparsers(dest="action", required=True)
    p = rep.add_parser("submit")
    p.add_argument("--incident", required=True)
    p.add_argument("--stage", required=True, choices=["initial", "follow_up", "final"])
    p.add_argument("--title", required=True)
    p.add_argument("--text", default="")

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


def _message(client: HubClient, args: argparse.Namespace) -> Message | None:
    """The message an action sends, or None for a read-only command."""
    w, a = args.what, getattr(args, "action", None)
    if w == "incident" and a == "declare":
        return client.make(
            IncidentDeclare,
            incident_id=args.id,
            title=args.title,
            lat=args.lat,
            lon=args.lon,
            type_code=args.type,
            division=args.division,
            level=args.level,
            dead=args.dead,
            missing=args.missing,
            seriously_injured=args.injured,
            trapped=args.trapped,
            evacuated=args.evacuated,
            direct_loss_cny=args.loss,
            exercise=args.exercise,
        )
    if w == "incident" and a == "transition":
        return client.make(IncidentTransition, incident_id=args.id, to=args.to, note=args.note)
    if w == "incident" and a == "override":
        return client.make(LevelOverride, incident_id=args.id, level=args.level, reason=args.reason)
    if w == "incident" and a == "close":
        return client.make(IncidentClose, incident_id=args.id, reason=args.reason)
    if w == "report":
        return client.make(
            SituationReport,
            incident_id=args.incident,
            stage=args.stage,
            title=args.title,
            text=args.text,
        )
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


async def _run(args: argparse.Namespace, bundle: Bundle) -> tuple[int, dict[str, Any]]:
    # A private outbox: an action the hub never answered stays queued only for this run.
    with tempfile.TemporaryDirectory(prefix="ctl-") as tmp:
        async with HubClient(bundle, Path(tmp) / "outbox.db") as client:
            try:
                await client.wait_online(args.timeout)
            except TimeoutError:
                return 2, {
                    "ok": False,
                    "error": f"no answer from the hub at "
                    f"{bundle.endpoints.request} within {args.timeout} s",
                }
            try:
                msg = _message(client, args)
            except msgspec.ValidationError as exc:
                return 2, {"ok": False, "error": f"invalid input: {exc}"}
            if msg is not None:
                error = await client.submit_and_wait(msg, args.timeout)
                if error is not None:
                    return 1, {"ok": False, "id": msg.id, "code": error.code, "error": error.detail}
                return 0, {"ok": True, "id": msg.id, "kind": type(msg).__struct_config__.tag}
        topics = {"incident": ("incident",), "order": ("order",), "alarms": ("alarm",)}
        async with Replica(bundle, topics=topics[args.what]) as replica:
            await asyncio.wait_for(replica.synced.wait(), args.timeout)
            items = {
                k: msgspec.to_builtins(v) for k, v in replica.items[topics[args.what][0]].items()
            }
    if getattr(args, "action", None) == "show":
        if args.id not in items:
            return 1, {"ok": False, "error": f"no open incident {args.id!r}"}
        return 0, {"ok": True, "incident": items[args.id]}
    return 0, {"ok": True, "items": [items[k] for k in sorted(items)]}


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
    elif "incident" in out:
        print(json.dumps(out["incident"], ensure_ascii=False, default=str, indent=2))
    else:
        print(f"stored ({out['kind']} {out['id']})")
    return code
