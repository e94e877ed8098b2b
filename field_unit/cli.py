"""``field-unit``: the field and liaison client, headless parts.

field-unit sim --bundle FILE --units N --rate HZ --duration S [--summary-json]
field-unit media --bundle FILE [--camera SPEC] [--mic SPEC] [--cap-kbps N] [--measure]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from shared.config import default_data_dir
from shared.identity import BundleError, load_bundle
from shared.logs import setup_logging
from shared.sim import run_sim


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog="field-unit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sim", help="simulate field units moving around Hengshui")
    p.add_argument("--bundle", type=Path, required=True, help="key bundle of the sim device")
    p.add_argument("--units", type=int, default=10)
    p.add_argument("--rate", type=float, default=1.0, help="positions per unit per second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument("--outbox", type=Path, help="outbox file (default: per-user data folder)")
    p.add_argument("--summary-json", action="store_true", help="print one JSON summary line")
    p.add_argument("--real", action="store_true", help="send as real, not exercise (演练)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--report-probability",
        type=float,
        default=0.002,
        help="chance a unit files a 续报 with each position (on SIM-001 … SIM-020)",
    )

    p = sub.add_parser("window", help="the field team or liaison window")
    p.add_argument(
        "--bundle", type=Path, help="key bundle (default: the one imported at first run)"
    )
    p.add_argument("--data-dir", type=Path, help="outbox, orders and bundle folder")
    p.add_argument(
        "--gps", default="none", help="sim, nmea:FILE, serial:PORT[:BAUD], gpsd[:HOST:PORT], none"
    )
    p.add_argument("--theme", choices=["day", "night"], default="day")
    p.add_argument("--every", type=float, default=5.0, help="seconds between positions sent")
    p.add_argument(
        "--min-distance",
        type=float,
        default=20.0,
        help="metres moved that make a fix worth sending",
    )
    p.add_argument("--screenshot", type=Path)
    p.add_argument("--seconds", type=float, default=0.0, help="close after this long (0: stay)")
    p.add_argument("--ready-json", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--camera", default="none", help="sent when the hall watches: v4l2:/dev/videoN, …, none"
    )
    p.add_argument("--mic", default="none", help="for calls and push-to-talk: alsa:NAME, none")

    p = sub.add_parser(
        "media", help="answer the hall's video and voice sessions with this device's camera"
    )
    p.add_argument("--bundle", type=Path, required=True, help="key bundle of this device")
    p.add_argument(
        "--camera",
        default="synthetic",
        help="synthetic, v4l2:/dev/videoN, dshow:video=NAME, file:PATH, rtsp://…, none",
    )
    p.add_argument("--mic", default="synthetic", help="synthetic, alsa:NAME, file:PATH, none")
    p.add_argument("--size", default="1280x720", help="picture size, WIDTHxHEIGHT")
    p.add_argument(
        "--cap-kbps", type=int, help="this link's video bitrate cap (a field link: 1000)"
    )
    p.add_argument("--measure", action="store_true", help="report the delay of every tone heard")
    p.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)  # the bench baseline
    p.add_argument("--turn", help="the intranet's TURN server, turn:HOST:PORT (default: none)")
    p.add_argument("--turn-user", default="")
    p.add_argument("--turn-password", default="", help="or HENGSHUI_TURN_PASSWORD")
    p.add_argument("--turn-only", action="store_true", help="media only through the TURN server")
    p.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0: stay)")
    p.add_argument("--outbox", type=Path, help="outbox file (default: per-user data folder)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``field-unit`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "window":
        import os

        from field_unit.app.main import run_window

        try:
            code = run_window(
                args.bundle,
                data_dir=args.data_dir or default_data_dir() / "field-unit",
                gps=args.gps,
                theme=args.theme,
                screenshot=args.screenshot,
                seconds=args.seconds,
                ready_json=args.ready_json,
                every_s=args.every,
                min_distance_m=args.min_distance,
                camera=args.camera,
                mic=args.mic,
            )
        except ValueError as exc:
            print(f"field-unit: {exc}", file=sys.stderr)
            return 2
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # as the hall does: skip PySide6's finalisation order
    if args.command == "media":
        return _media(args)
    if args.units < 1 or args.rate <= 0 or args.duration <= 0:
        print("field-unit: --units, --rate and --duration must be positive", file=sys.stderr)
        return 2
    try:
        bundle = load_bundle(args.bundle)
    except BundleError as exc:
        print(f"field-unit: {exc}", file=sys.stderr)
        return 2
    setup_logging(None, "field-unit", level="WARNING")
    outbox = args.outbox or default_data_dir() / "field-unit" / f"{bundle.device}-outbox.db"

    def progress(tick: int, sent: int) -> None:
        if not args.summary_json and sys.stderr.isatty():
            print(f"\rsent {sent} messages", end="", file=sys.stderr)

    summary = asyncio.run(
        run_sim(
            bundle,
            units=args.units,
            rate_hz=args.rate,
            duration_s=args.duration,
            outbox=outbox,
            exercise=not args.real,
            seed=args.seed,
            report_probability=args.report_probability,
            on_tick=progress,
        )
    )
    if args.summary_json:
        print(json.dumps(summary.as_dict()))
    else:
        print(
            f"\nsent {summary.sent}, acked {summary.acked}, refused {summary.refused} "
            f"{summary.refused_codes or ''}, lost {summary.lost}, "
            f"duplicates {summary.duplicates}; ack latency p50 {summary.p50_ms} ms, "
            f"p95 {summary.p95_ms} ms, p99 {summary.p99_ms} ms"
        )
    # refusals are the hub doing its job (said in the summary); losses and doubles are not
    return 0 if summary.lost == 0 and summary.duplicates == 0 else 1


def _media(args: argparse.Namespace) -> int:
    import os
    import signal

    from shared.media.agent import MediaError, ice_servers
    from shared.media.sources import SourceError
    from shared.media.station import run_station

    try:
        servers = ice_servers(
            args.turn,
            args.turn_user,
            args.turn_password or os.environ.get("HENGSHUI_TURN_PASSWORD", ""),
        )
    except MediaError as exc:
        print(f"field-unit: {exc}", file=sys.stderr)
        return 2

    try:
        bundle = load_bundle(args.bundle)
        width, height = (int(x) for x in args.size.lower().split("x"))
    except BundleError as exc:
        print(f"field-unit: {exc}", file=sys.stderr)
        return 2
    except ValueError:
        print(f"field-unit: --size {args.size!r} is not WIDTHxHEIGHT (1280x720)", file=sys.stderr)
        return 2
    setup_logging(None, "field-unit", level="WARNING")
    outbox = args.outbox or default_data_dir() / "field-unit" / f"{bundle.device}-media-outbox.db"

    def emit(event: dict[str, object]) -> None:
        print(json.dumps(event, ensure_ascii=False), flush=True)

    async def main_async() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_station(
            bundle,
            outbox,
            camera=args.camera,
            mic=args.mic,
            width=width,
            height=height,
            cap_bps=args.cap_kbps * 1000 if args.cap_kbps else None,
            naive=args.naive,
            ice=servers,
            relay_only=args.turn_only,
            measure=args.measure,
            seconds=args.seconds,
            on_event=emit,
            stop=stop,
        )

    try:
        asyncio.run(main_async())
    except SourceError as exc:
        print(f"field-unit: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
