"""``command-center``: the hub and its administration, headless.

command-center serve  --data-dir DIR [--config FILE] [--listen ADDR] [--db URL]
command-center enroll --data-dir DIR --name NAME --role ROLE --out FILE
command-center revoke --data-dir DIR NAME
command-center audit verify --data-dir DIR
command-center devices --data-dir DIR
command-center ctl --bundle FILE …   (every incident, report, order, response, duty action)
command-center seed-demo --bundle FILE   (the fictional Hengshui sample resources)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

import msgspec

from command_center import exits
from command_center.ctl import add_parser as add_ctl_parser
from command_center.ctl import run as run_ctl
from command_center.interconnect_cli import COMMANDS as INTERCONNECT_COMMANDS
from command_center.interconnect_cli import add_parsers as add_interconnect_parsers
from command_center.interconnect_cli import run as run_interconnect
from shared.config import ConfigError, RelayDestination, default_data_dir, load_config
from shared.hub import Hub
from shared.hub.lock import DataFolderLock, HubRunning
from shared.hub.service import (
    NoHubHere,
    advertised_endpoints,
    hub_public_key,
    is_new_folder,
    open_store,
    parse_listen,
)
from shared.identity import (
    ROLES,
    BundleError,
    EnrolmentError,
    enroll,
    list_devices,
    load_bundle,
    revoke,
)
from shared.logs import setup_logging
from shared.store import StoreError, verify

log = logging.getLogger("command_center")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=default_data_dir(), help="hub data folder")
    p.add_argument("--config", type=Path, help="TOML configuration file")
    p.add_argument("--db", help="database URL (default: SQLite in the data folder)")


class _Parser(argparse.ArgumentParser):
    """argparse with this project's exit code for a usage error (``exits.BAD_INPUT``; 2
    means "no answer from the hub" here)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(exits.BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = _Parser(prog="command-center", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the hub headless")
    _common(p)
    p.add_argument(
        "--listen",
        help="HOST[:PORT]; PORT is the request port, +1 publish, +2 snapshot; 0 = ephemeral",
    )
    p.add_argument(
        "--relay-drop",
        type=Path,
        metavar="DIR",
        help="relay alerts as EDXL-DE files into DIR (one-way gateway, data ferry)",
    )
    p.add_argument("--relay-url", help="relay alerts to the provincial platform (https://…)")
    p.add_argument("--relay-ca", help="CA certificate the provincial platform's is signed by")
    p.add_argument("--relay-cert", help="this platform's client certificate")
    p.add_argument("--relay-key", help="its private key")
    p.add_argument("--level", choices=["city", "county"], help="this hub's level (default: city)")
    p.add_argument(
        "--upstream",
        type=Path,
        metavar="BUNDLE",
        help="county hubs: the key bundle the city enrolled for this county (role county)",
    )
    p.add_argument(
        "--upstream-orders-to",
        metavar="DEVICE",
        help="county hubs: the county device that receives the city's orders",
    )

    p = sub.add_parser("enroll", help="enrol a device and write its key bundle")
    _common(p)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--out", type=Path, required=True, help="bundle file to write")
    p.add_argument(
        "--valid-days",
        type=_valid_days,
        default=365,
        help="how long the bundle is valid, 1-3650 days (default 365)",
    )
    p.add_argument("--no-expiry", action="store_true", help="a bundle that never expires")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--qr",
        type=Path,
        help="also write the bundle as a QR code (.png or .svg) for a camera-equipped device",
    )

    p = sub.add_parser("revoke", help="refuse a device's key from now on")
    _common(p)
    p.add_argument("name")
    p.add_argument("--reason", default="")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("audit", help="audit log tools")
    _common(p)
    p.add_argument("action", choices=["verify"])
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("devices", help="list enrolled devices")
    _common(p)
    p.add_argument("--json", action="store_true", help="print one JSON object per device")

    add_ctl_parser(sub)
    add_interconnect_parsers(sub, _common)

    p = sub.add_parser("seed-demo", help="load the FICTIONAL Hengshui sample resources")
    p.add_argument("--bundle", type=Path, required=True, help="a leader or duty-officer bundle")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("window", help="open the command-hall window")
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--screenshot", type=Path)
    p.add_argument("--seconds", type=float, default=0.0, help="close after this long (0: stay)")
    p.add_argument(
        "--expect-units",
        type=int,
        default=0,
        help="with --seconds: then wait (up to 5 min) until this many units are on the map",
    )
    p.add_argument("--screen", type=int, default=None, help="screen number (1 = primary)")
    p.add_argument("--fullscreen", action="store_true", help="full screen (the wall display)")
    p.add_argument(
        "--desk-screen", type=int, default=None, help="panels on this screen, map on --screen"
    )
    p.add_argument("--lang", default="zh", help="zh (default) or en")
    p.add_argument(
        "--render",
        choices=["auto", "gpu", "software"],
        default="auto",
        help="how the map is drawn (auto: in software when the machine has no GPU)",
    )
    p.add_argument(
        "--mic",
        default="none",
        help="the hall's microphone for talk-back and push-to-talk "
        "(alsa:NAME, dshow:audio=NAME, none)",
    )
    p.add_argument("--recordings", type=Path, help="where media sessions are recorded")
    p.add_argument("--turn", help="the intranet's TURN server, turn:HOST:PORT (default: none)")
    p.add_argument("--turn-user", default="")
    p.add_argument("--turn-password", default="", help="or HENGSHUI_TURN_PASSWORD")
    p.add_argument("--turn-only", action="store_true", help="media only through the TURN server")
    p.add_argument(
        "--keep-days",
        type=float,
        default=30.0,
        help="recordings older than this are deleted, unless their incident is still open",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    hub_cfg = config.hub
    if args.listen:
        hub_cfg = parse_listen(args.listen, hub_cfg)
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataFolderLock(data_dir)
    lock.acquire()  # before anything of a running hub (its logs, its hub.json) is touched
    setup_logging(
        data_dir / "logs",
        "hub",
        level=config.log.level,
        max_bytes=config.log.max_bytes,
        backups=config.log.backups,
    )
    relay = config.relay
    extra = []
    if args.relay_url:
        extra.append(
            RelayDestination(
                name="province",
                url=args.relay_url,
                ca=args.relay_ca or "",
                cert=args.relay_cert or "",
                key=args.relay_key or "",
            )
        )
    if args.relay_drop:
        extra.append(RelayDestination(name="drop", drop_dir=str(args.relay_drop)))
    if extra:
        relay = msgspec.structs.replace(relay, destinations=[*relay.destinations, *extra])
    if args.level:
        hub_cfg = msgspec.structs.replace(hub_cfg, level=args.level)
    upstream = config.upstream
    if args.upstream:
        upstream = msgspec.structs.replace(upstream, bundle=str(args.upstream))
    if args.upstream_orders_to:
        upstream = msgspec.structs.replace(upstream, orders_to=args.upstream_orders_to)
    engine = open_store(data_dir, hub_cfg, args.db, create=True)
    hub = Hub(hub_cfg, data_dir, engine, relay=relay, upstream=upstream)
    hub.lock = lock
    endpoints = hub.start()
    print(json.dumps({"ready": True, "endpoints": endpoints.as_dict()}), flush=True)
    done = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping", signum)
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not done.wait(0.5):
        if hub._thread is not None and not hub._thread.is_alive():
            log.error("hub loop ended unexpectedly")
            hub.stop()
            return 1
    hub.stop()
    return 0


def _valid_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 1 <= days <= 3650:
        raise argparse.ArgumentTypeError(
            f"{days} days: a bundle is valid 1 to 3650 days (use --no-expiry for one that "
            "never expires)"
        )
    return days


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``command-center`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command in INTERCONNECT_COMMANDS:
            return run_interconnect(args)
        if args.command == "ctl":
            return run_ctl(args, load_bundle(args.bundle))
        if args.command == "seed-demo":
            from command_center.seed import run as run_seed

            return run_seed(load_bundle(args.bundle), as_json=args.json)
        if args.command == "window":
            from command_center.app.main import run_window

            code = run_window(
                args.bundle,
                screenshot=args.screenshot,
                seconds=args.seconds,
                expect_units=args.expect_units,
                screen=args.screen,
                full_screen=args.fullscreen,
                desk_screen=args.desk_screen,
                lang=args.lang,
                render=args.render,
                mic=args.mic,
                recordings=args.recordings,
                keep_days=args.keep_days,
                turn=(
                    args.turn,
                    args.turn_user,
                    args.turn_password or os.environ.get("HENGSHUI_TURN_PASSWORD", ""),
                ),
                turn_only=args.turn_only,
            )
            # Everything is closed and flushed; skip interpreter finalisation, where Qt's
            # objects meet the garbage collector in an order PySide6 does not survive.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        config = load_config(args.config)
        engine = open_store(
            args.data_dir,
            config.hub,
            args.db,
            create=args.command == "enroll" and is_new_folder(args.data_dir),
        )
        try:
            if args.command == "enroll":
                bundle = enroll(
                    engine,
                    name=args.name,
                    role=args.role,
                    hub_public_key=hub_public_key(args.data_dir),
                    endpoints=advertised_endpoints(args.data_dir, config.hub),
                    valid_days=None if args.no_expiry else args.valid_days,
                )
                bundle.save(args.out)
                if args.json:
                    print(
                        json.dumps(
                            {
                                "ok": True,
                                "device": args.name,
                                "role": args.role,
                                "bundle": str(args.out),
                                "expires": bundle.expires.isoformat() if bundle.expires else None,
                                "endpoints": bundle.endpoints.as_dict(),
                            },
                            ensure_ascii=False,
                        )
                    )
                else:
                    print(f"enrolled {args.name} as {args.role}; key bundle written to {args.out}")
                if args.qr:
                    import segno

                    # error correction M: readable off a screen in a bright hall
                    segno.make(bundle.dumps(), error="m").save(str(args.qr), scale=6, border=4)
                    print(f"QR code of the bundle written to {args.qr} (it holds the secret key)")
            elif args.command == "revoke":
                revoke(engine, args.name, reason=args.reason)
                if args.json:
                    print(json.dumps({"ok": True, "revoked": args.name}, ensure_ascii=False))
                else:
                    print(f"revoked {args.name}; a running hub cuts its session within 1 s")
            elif args.command == "audit":
                result = verify(engine)
                if args.json:
                    print(
                        json.dumps(
                            {
                                "ok": result.ok,
                                "entries": result.entries,
                                "problems": result.problems,
                            },
                            ensure_ascii=False,
                        )
                    )
                    return exits.OK if result.ok else exits.AUDIT_BROKEN
                if result.ok:
                    print(f"audit log intact: {result.entries} entries")
                    return 0
                print(f"audit log BROKEN ({result.entries} entries read):", file=sys.stderr)
                for problem in result.problems:
                    print(f"  - {problem}", file=sys.stderr)
                return exits.AUDIT_BROKEN
            elif args.command == "devices":
                for d in list_devices(engine):
                    state = "revoked" if d.revoked_at else "active"
                    if args.json:
                        row = {"device": d.name, "role": d.role, "state": state}
                        print(json.dumps(row | {"public_key": d.public_key}, ensure_ascii=False))
                    else:
                        print(f"{d.name}\t{d.role}\t{state}\t{d.public_key}")
        finally:
            engine.dispose()
    except NoHubHere as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return exits.NO_HUB
    except HubRunning as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return exits.HUB_RUNNING
    except (ConfigError, StoreError, EnrolmentError, BundleError, ValueError) as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return exits.BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
