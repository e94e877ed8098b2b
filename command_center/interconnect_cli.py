"""``command-center`` commands for interconnection: the provincial simulator, a test PKI,
the relay's queues.

    command-center pki init DIR [--host 10.1.2.3 ...]
    command-center province-sim --listen 127.0.0.1:8443 --record DIR --pki DIR
    command-center relay status [--data-dir DIR]
    command-center warnings ingest FILE… [--bundle B]   (one JSON line per file)
    command-center warnings watch DIR --bundle B        (a drop folder)
    command-center warnings poll URL --bundle B         (a CAP or Atom feed)
    command-center exchange key|export|verify|import …  (signed incident bundles)
    command-center intake serve --config intake.toml --pki DIR   (departments' HTTP/JSON door)
    command-center intake openapi                        (its OpenAPI 3.1 description)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

COMMANDS = ("pki", "province-sim", "relay", "warnings", "exchange", "intake")


def add_parsers(sub: Any, common: Any) -> None:
    """Add the interconnection commands to the ``command-center`` parser."""
    p = sub.add_parser("pki", help="make a test CA and certificates (city, province)")
    p.add_argument("action", choices=["init"])
    p.add_argument("folder", type=Path)
    p.add_argument(
        "--host",
        action="append",
        default=None,
        help="the provincial server's name or address (repeatable; default 127.0.0.1, localhost)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace a CA that exists (every certificate it issued stops being trusted)",
    )
    p.add_argument(
        "--department",
        action="append",
        default=[],
        metavar="CN",
        help="also a department platform's client certificate, e.g. fire.dept.hengshui "
        "(repeatable; the intake maps the common name to the department's liaison)",
    )

    p = sub.add_parser(
        "province-sim", help="a stand-in provincial platform: validates, acknowledges, records"
    )
    p.add_argument("--listen", default="127.0.0.1:8443", help="HOST:PORT")
    p.add_argument("--record", type=Path, required=True, help="folder for what it receives")
    p.add_argument("--pki", type=Path, help="folder of `pki init` (ca.crt, province.crt/.key)")
    p.add_argument("--ca", type=Path, help="CA that client certificates must be signed by")
    p.add_argument("--cert", type=Path, help="server certificate")
    p.add_argument("--key", type=Path, help="server key")
    p.add_argument(
        "--schemas", type=Path, help="another schema folder (default: the pinned .assets/standards)"
    )
    p.add_argument("--plain", action="store_true", help="plain HTTP (no TLS): tests only")

    p = sub.add_parser("relay", help="the upward relay's queues")
    common(p)
    p.add_argument("action", choices=["status"])

    p = sub.add_parser("exchange", help="signed incident bundles between isolated networks")
    x = p.add_subparsers(dest="action", required=True)
    q = x.add_parser("key", help="print this hub's exchange-signing public key (PEM)")
    common(q)
    q = x.add_parser("export", help="write one incident as a signed bundle")
    common(q)
    q.add_argument("incident")
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--origin", default="", help="this platform's name (default: the CAP sender)")
    for name in ("verify", "import"):
        q = x.add_parser(name, help=f"{name} a bundle (signature, every file's digest)")
        q.add_argument("file", type=Path)
        q.add_argument(
            "--trust",
            type=Path,
            action="append",
            required=True,
            help="the sender's public key (PEM) or a folder of them (repeatable)",
        )
        if name == "import":
            q.add_argument("--bundle", type=Path, required=True, help="a duty-officer key bundle")
            q.add_argument("--outbox", type=Path, help="the importer's durable outbox file")

    p = sub.add_parser("intake", help="the HTTP/JSON intake for department platforms (mTLS)")
    x = p.add_subparsers(dest="action", required=True)
    x.add_parser("openapi", help="print the OpenAPI 3.1 description")
    q = x.add_parser("serve", help="serve department platforms")
    q.add_argument("--config", type=Path, required=True, help="intake.toml ([[clients]])")
    q.add_argument("--listen", default="127.0.0.1:8444", help="HOST:PORT")
    q.add_argument("--pki", type=Path, help="folder with ca.crt and a server certificate")
    q.add_argument("--ca", type=Path)
    q.add_argument("--cert", type=Path)
    q.add_argument("--key", type=Path)
    q.add_argument("--outboxes", type=Path, help="folder for the liaisons' durable outboxes")

    p = sub.add_parser("warnings", help="inbound CAP warnings (meteorological, earthquake …)")
    w = p.add_subparsers(dest="action", required=True)
    for name, helptext in (
        ("ingest", "read CAP/EDXL-DE/Atom files: one JSON line per file"),
        ("watch", "ingest every file dropped into a folder"),
        ("poll", "fetch a CAP or Atom feed over HTTP(S) regularly"),
    ):
        q = w.add_parser(name, help=helptext)
        if name == "ingest":
            q.add_argument("files", type=Path, nargs="+")
        elif name == "watch":
            q.add_argument("folder", type=Path)
        else:
            q.add_argument("url")
            q.add_argument("--ca", type=Path, help="CA of the feed's HTTPS certificate")
        q.add_argument(
            "--bundle", type=Path, help="a gateway/duty-officer key bundle: send to the hub"
        )
        q.add_argument(
            "--schemas", type=Path, help="another schema folder (default: the pinned copy)"
        )
        q.add_argument("--outbox", type=Path, help="the gateway's durable outbox file")
        if name != "ingest":
            q.add_argument("--every", type=float, default=2.0 if name == "watch" else 60.0)
            q.add_argument("--once", action="store_true", help="one pass, then exit")


def run(args: argparse.Namespace) -> int:
    """Run one of :data:`COMMANDS`."""
    if args.command == "pki":
        from shared.identity.pki import init_test_pki

        if (args.folder / "ca.crt").exists() and not args.force:
            print(
                f"command-center: {args.folder / 'ca.crt'} exists: a new CA would make every "
                "certificate it issued untrusted; give --force to replace it",
                file=sys.stderr,
            )
            return 4  # exits.BAD_INPUT
        files = init_test_pki(args.folder, args.host, args.department)
        for role, f in files.items():
            print(json.dumps({"role": role, "cert": str(f.cert), "key": str(f.key)}))
        return 0
    if args.command == "province-sim":
        return _province_sim(args)
    if args.command == "relay":
        return _relay_status(args)
    if args.command == "warnings":
        return _warnings(args)
    if args.command == "exchange":
        return _exchange(args)
    if args.command == "intake":
        return _intake(args)
    raise ValueError(f"unknown command {args.command}")


def _province_sim(args: argparse.Namespace) -> int:
    from shared.relay import SchemaUnavailable, load_schemas
    from shared.sim.province import ProvinceSim

    host, port = _listen(args.listen)
    try:
        schemas = load_schemas(args.schemas)
    except SchemaUnavailable as exc:
        raise ValueError(str(exc)) from None
    tls = None if args.plain else _server_tls(args)
    sim = ProvinceSim(args.record, schemas, tls)

    async def main() -> None:
        bound = await sim.start(host, port)
        scheme = "http" if tls is None else "https"
        print(json.dumps({"ready": True, "url": f"{scheme}://{host}:{bound}/edxl"}), flush=True)
        await _until_signal()
        await sim.stop()

    try:
        asyncio.run(main())
    finally:
        sim.close()
    return 0


def _relay_status(args: argparse.Namespace) -> int:
    from shared.config import load_config
    from shared.hub.service import open_store
    from shared.relay.outbound.queue import RelayQueue
    from shared.store.models import RelayDelivery

    config = load_config(args.config)
    engine = open_store(args.data_dir, config.hub, args.db)
    try:
        queue = RelayQueue(engine)
        with engine.connect() as conn:
            from sqlalchemy import select

            names = sorted(set(conn.execute(select(RelayDelivery.destination)).scalars()))
        for name in names:
            b = queue.backlog(name)
            out = {
                "destination": name,
                "queued": b.queued,
                "delivered": b.delivered,
                "rejected": b.rejected,
                "oldest_queued": b.oldest.isoformat() if b.oldest else None,
                "last_delivered": b.last_done.isoformat() if b.last_done else None,
                "last_ack": b.last_ack,
                "last_error": b.last_error,
            }
            print(json.dumps(out, ensure_ascii=False))
        upstream = args.data_dir / "upstream-outbox.db"
        if upstream.is_file():  # a county hub: its link to the city is a destination too
            from shared.client.outbox import Outbox

            box = Outbox(upstream)
            try:
                queued = box.count()
            finally:
                box.close()
            out = {"destination": "city", "transport": "upstream", "queued": queued}
            print(json.dumps(out, ensure_ascii=False))
            names.append("city")
        if not names:
            print("no relay destination has been used on this store", file=sys.stderr)
    finally:
        engine.dispose()
    return 0


def _warnings(args: argparse.Namespace) -> int:
    import ssl

    from shared.client import HubClient
    from shared.config import default_data_dir
    from shared.identity import load_bundle
    from shared.relay import SchemaUnavailable, load_schemas
    from shared.relay.inbound.gateway import WarningGateway

    try:
        schemas = load_schemas(args.schemas)
    except SchemaUnavailable as exc:
        # never read without validation: a warning the schema refuses is not a warning
        raise ValueError(str(exc)) from None
    bundle = load_bundle(args.bundle) if args.bundle else None
    tls = None
    if args.action == "poll" and args.ca:
        tls = ssl.create_default_context(cafile=str(args.ca))

    def show(line: dict[str, Any]) -> None:
        print(json.dumps(line, ensure_ascii=False), flush=True)

    async def main() -> list[dict[str, Any]]:
        client = None
        if bundle is not None:
            outbox = args.outbox or default_data_dir() / "gateway" / f"{bundle.device}-outbox.db"
            outbox.parent.mkdir(parents=True, exist_ok=True)
            client = HubClient(bundle, outbox)
            await client.__aenter__()
        try:
            gw = WarningGateway(client, schemas)
            if args.action == "ingest":
                lines = []
                for path in args.files:
                    line = await gw.ingest_file(path)
                    show(line)
                    lines.append(line)
                return lines
            if args.action == "watch":
                return await gw.watch(args.folder, every_s=args.every, once=args.once, report=show)
            return await gw.poll(args.url, every_s=args.every, once=args.once, tls=tls, report=show)
        finally:
            if client is not None:
                await client.aclose()

    lines = asyncio.run(main())
    return 0 if all(line["accepted"] for line in lines) else 1


def _exchange(args: argparse.Namespace) -> int:
    from shared.relay.exchange.bundle import (
        BundleRefused,
        collect,
        describe,
        load_or_create_signing_key,
        load_trusted,
        public_pem,
        read_bundle,
        write_bundle,
    )

    try:
        if args.action in ("key", "export"):
            from shared.config import load_config
            from shared.hub.service import open_store
            from shared.relay.outbound.alerts import load_cap_settings
            from shared.store.blobs import BlobStore

            key = load_or_create_signing_key(args.data_dir)
            if args.action == "key":
                sys.stdout.write(public_pem(key).decode())
                return 0
            config = load_config(args.config)
            engine = open_store(args.data_dir, config.hub, args.db)
            try:
                origin = args.origin or load_cap_settings().sender.sender
                bundle = collect(engine, args.incident, origin)
            finally:
                engine.dispose()
            blobs = BlobStore(args.data_dir / "attachments", config.hub.attachment_max_bytes)
            manifest = write_bundle(bundle, blobs, key, args.out)
            print(
                json.dumps(
                    {
                        "written": str(args.out),
                        "bundle_id": manifest.bundle_id,
                        "files": len(manifest.files),
                        "incident": args.incident,
                    }
                )
            )
            return 0
        verified = read_bundle(args.file, load_trusted(args.trust))
    except BundleRefused as exc:
        print(
            json.dumps(
                {"file": str(getattr(args, "file", "")), "accepted": False, "reason": str(exc)},
                ensure_ascii=False,
            )
        )
        return 1
    if args.action == "verify":
        print(
            json.dumps(
                {"file": str(args.file), "accepted": True, **describe(verified)}, ensure_ascii=False
            )
        )
        return 0
    return _exchange_import(args, verified)


def _exchange_import(args: argparse.Namespace, verified: Any) -> int:
    from shared.client import HubClient
    from shared.config import default_data_dir
    from shared.identity import load_bundle
    from shared.relay.exchange.importer import import_bundle

    bundle = load_bundle(args.bundle)
    outbox = args.outbox or default_data_dir() / "exchange" / f"{bundle.device}-outbox.db"
    outbox.parent.mkdir(parents=True, exist_ok=True)

    async def main() -> dict[str, Any]:
        async with HubClient(bundle, outbox) as client:
            await client.wait_online(30)
            return await import_bundle(
                client, verified, progress=lambda t: print(f"importing {t}", file=sys.stderr)
            )

    try:
        summary = asyncio.run(main())
    except (ValueError, TimeoutError) as exc:
        print(
            json.dumps(
                {"file": str(args.file), "imported": False, "reason": str(exc)}, ensure_ascii=False
            )
        )
        return 1
    print(json.dumps({"file": str(args.file), "imported": True, **summary}, ensure_ascii=False))
    return 0


def _intake(args: argparse.Namespace) -> int:
    from shared.config import default_data_dir
    from shared.identity import load_bundle
    from shared.relay.inbound.intake import Intake, load_intake_config, openapi

    if args.action == "openapi":
        print(json.dumps(openapi(), ensure_ascii=False, indent=2))
        return 0
    config = load_intake_config(args.config)
    bundles = {c.certificate_cn: load_bundle(Path(c.bundle)) for c in config.clients}
    host, port = _listen(args.listen)
    tls = _server_tls(args, "intake")
    door = Intake(bundles, args.outboxes or default_data_dir() / "intake")

    async def main() -> None:
        bound = await door.start(host, port, tls)
        print(json.dumps({"ready": True, "url": f"https://{host}:{bound}/"}), flush=True)
        try:
            await _until_signal()
        finally:
            await door.aclose()

    asyncio.run(main())
    return 0


def _listen(addr: str) -> tuple[str, int]:
    host, _, port_text = addr.rpartition(":")
    if not host or not port_text.isdigit():
        raise ValueError(f"--listen {addr!r}: give HOST:PORT")
    return host, int(port_text)


def _server_tls(args: argparse.Namespace, stem: str = "province") -> Any:
    """The server's TLS context from --pki DIR (its ``STEM`` certificate: the province
    simulator's or the intake's own) or --ca/--cert/--key; client certificates signed by
    the CA are required."""
    import ssl

    from shared.sim.province import server_tls

    ca = args.ca or (args.pki / "ca.crt" if args.pki else None)
    cert = args.cert or (args.pki / f"{stem}.crt" if args.pki else None)
    key = args.key or (args.pki / f"{stem}.key" if args.pki else None)
    if not (ca and cert and key):
        raise ValueError("give --pki DIR, or --ca, --cert and --key")
    try:
        return server_tls(ca, cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"TLS files {ca}, {cert}, {key} unusable: {exc}") from None


async def _until_signal() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
