"""Every function that reads outside input, as a fuzz target.

A target takes bytes and feeds them to one boundary. The boundary may refuse the input with
its documented error (caught here); anything else it raises is a crash. Each target also
names its seeds: well-formed inputs of every shape, from which the fuzzer mutates.

Targets are plain functions so the regression test (``tests/test_fuzz.py``) replays every
kept input without atheris, and ``python -m fuzz`` runs them under atheris.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


class HandlerFailed(Exception):
    """The hub answered a message ``internal``: one of its handlers raised (a bug)."""


@dataclass(frozen=True)
class Target:
    """One boundary: ``run(data)`` must return, or raise only what ``refuses`` says."""

    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    about: str


@contextlib.contextmanager
def _as_file(data: bytes, suffix: str = "") -> Iterator[Path]:
    """``data`` as a temporary file, for boundaries that read a path."""
    fd, name = tempfile.mkstemp(prefix="fuzz-", suffix=suffix)
    try:
        os.write(fd, data)
        os.close(fd)
        yield Path(name)
    finally:
        os.unlink(name)


# --- the backbone ---------------------------------------------------------------------------


def _messages() -> list[Any]:
    from shared.protocol import (
        AttachmentChunk,
        DispatchOrder,
        Emergency,
        IncidentDeclare,
        IncidentTransition,
        LevelOverride,
        MediaSignal,
        OrderUpdate,
        Ping,
        PositionReport,
        ResourceStatus,
        ResponseCommand,
        SituationReport,
    )

    common = {"sender": "fuzz-dev", "sent": T0}
    return [
        Ping(id="p-1", **common),
        PositionReport(id="u-1", unit_id="FIRE-01", lat=37.74, lon=115.67, fix_time=T0, **common),
        SituationReport(
            id="r-1",
            incident_id="INC-1",
            stage="initial",
            title="堤坝渗水",
            text="滏阳河左岸",
            dead=1,
            lat=37.7,
            lon=115.7,
            area=[(37.7, 115.7), (37.71, 115.7), (37.71, 115.71)],
            **common,
        ),
        IncidentDeclare(
            id="i-1",
            incident_id="INC-1",
            title="化工厂泄漏",
            lat=37.7,
            lon=115.7,
            type_code="accident.hazchem.leak",
            **common,
        ),
        IncidentTransition(id="t-1", incident_id="INC-1", to="verified", note="核实", **common),
        LevelOverride(id="l-1", incident_id="INC-1", level=2, reason="升级", **common),
        DispatchOrder(id="o-1", order_id="ORD-1", recipient="liaison-fire", text="出动", **common),
        OrderUpdate(id="ou-1", order_id="ORD-1", state="accepted", note="收到", **common),
        ResourceStatus(id="rs-1", resource_id="TEAM-1", availability="assigned", **common),
        ResponseCommand(id="rc-1", incident_id="INC-1", action="activate", level=3, **common),
        Emergency(id="e-1", alert_id="SOS-1", lat=37.7, lon=115.7, **common),
        MediaSignal(id="m-1", session_id="S-1", action="end", **common),
        AttachmentChunk(id="a-1", sha256="0" * 64, size=3, offset=0, data=b"abc", **common),
    ]


def _message_seeds() -> list[bytes]:
    from shared.protocol import encode

    return [encode(m) for m in _messages()]


def request(data: bytes) -> None:
    """The hub's decoding of a request frame: only ``ProtocolError``."""
    from shared.protocol import ProtocolError, decode_request

    with contextlib.suppress(ProtocolError):
        decode_request(data)


@functools.cache
def _persister() -> tuple[Any, Any]:
    from shared.hub.persist import Persister
    from shared.hub.state import StateStore
    from shared.store import open_engine, sqlite_url
    from shared.store.blobs import BlobStore

    folder = Path(tempfile.mkdtemp(prefix="fuzz-hub-"))
    engine = open_engine(sqlite_url(folder / "hub.db"))
    from shared.domain import DeadlineEngine

    persister = Persister(engine, StateStore(), DeadlineEngine(), blobs=BlobStore(folder, 1 << 20))
    return persister, engine


def hub_message(data: bytes) -> None:
    """A frame decoded and handled by the hub's handlers as a leader's (the role allowed the
    most): refused or stored, never a handler failure."""
    from shared.protocol import ProtocolError, decode_request

    try:
        msg = decode_request(data)
    except ProtocolError:
        return
    persister, _ = _persister()
    before = persister.failures
    persister.commit([(b"rid", msg, "fuzz-dev", "leader")], [], T0)
    if persister.failures != before:
        raise HandlerFailed(f"a handler failed on a {type(msg).__name__}")


def client_frames(data: bytes) -> None:
    """What a client reads from the hub: replies, publications, snapshot chunks, beats."""
    from shared.protocol import (
        DECODE_FAILURES,
        decode_batch,
        decode_beat,
        decode_chunk,
        decode_reply,
    )

    if not data:
        return
    decoder = (decode_reply, decode_batch, decode_chunk, decode_beat)[data[0] % 4]
    with contextlib.suppress(DECODE_FAILURES):
        decoder(data[1:])


def _client_seeds() -> list[bytes]:
    from shared.protocol import Ack, Error, HubBeat, encode
    from shared.protocol.state import SnapshotChunk, UnitState, Update, UpdateBatch

    unit = UnitState(
        unit_id="U-1",
        device="dev",
        lat=37.7,
        lon=115.7,
        fix_time=T0,
        heading_deg=None,
        speed_mps=None,
        unit_type="fire",
        callsign="消防一队",
        exercise=False,
    )
    seeds = [
        b"\x00" + encode(Ack(id="a", sender="hub", sent=T0, ref="x", status="ok", committed=T0)),
        b"\x00"
        + encode(Error(id="e", sender="hub", sent=T0, ref=None, code="invalid", detail="why")),
        b"\x01" + encode(UpdateBatch("unit", [Update(1, "U-1", unit)])),
        b"\x02"
        + encode(SnapshotChunk(epoch="E", items=[("unit", "U-1", unit)], seqs={}, last=True)),
        b"\x03" + encode(HubBeat(T0, {"unit": 3}, "E")),
    ]
    return seeds


def snapshot_request(data: bytes) -> None:
    """The hub's snapshot service decoding a request."""
    import msgspec

    from shared.protocol import DECODE_FAILURES, SnapshotRequest

    with contextlib.suppress(DECODE_FAILURES):
        msgspec.msgpack.decode(data, type=SnapshotRequest)


# --- interconnection -----------------------------------------------------------------------


@functools.cache
def _schemas() -> Any:
    from shared.relay import load_schemas

    return load_schemas()  # the pinned copy ./run setup fetches


def cap(data: bytes) -> None:
    """A warning document (CAP, EDXL-DE or Atom) from a file, a folder or a feed: read or
    refused with a reason, never raised."""
    from shared.relay.inbound.warnings import read_document

    found = read_document(data, schemas=_schemas(), now=T0, source="fuzz")
    if not found:
        raise AssertionError("read_document returned nothing")


def _cap_seeds() -> list[bytes]:
    here = Path(__file__).resolve().parent / "seeds" / "cap"
    return [p.read_bytes() for p in sorted(here.glob("*.xml"))]


def intake_json(data: bytes) -> None:
    """A department platform's JSON body: decoded, or a reason (a string)."""
    from shared.relay.inbound.intake import (
        OrderAnswerBody,
        ReportBody,
        ResourceStatusBody,
        decode_body,
    )

    if not data:
        return
    kind = (ReportBody, ResourceStatusBody, OrderAnswerBody)[data[0] % 3]
    decode_body(data[1:], kind)


def _intake_seeds() -> list[bytes]:
    return [
        b'\x00{"request_id": "fire-0001", "incident_id": "F-1", "stage": "initial", '
        b'"title": "\xe6\xb6\x88\xe9\x98\xb2", "dead": 1, "author": "x"}',
        b'\x01{"request_id": "fire-0002", "resource_id": "T-1", "availability": "assigned", '
        b'"stock": {"sandbags": 20}}',
        b'\x02{"request_id": "fire-0003", "state": "declined", "note": "\\u8b66\\u529b"}',
    ]


@functools.cache
def _exchange_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def exchange(data: bytes) -> None:
    """An exchange bundle (a zip, signed): verified or ``BundleRefused``."""
    from shared.relay.exchange.bundle import BundleRefused, key_id, read_bundle

    public = _exchange_key().public_key()
    with contextlib.suppress(BundleRefused):
        read_bundle(data, {key_id(public): public})


def _exchange_seeds() -> list[bytes]:
    from shared.relay.exchange.bundle import (
        BundledIncident,
        BundledReport,
        ExchangeBundle,
        write_bundle,
    )
    from shared.store.blobs import BlobStore

    bundle = ExchangeBundle(
        bundle_id="B-1",
        created=T0,
        origin="hengshui",
        incident=BundledIncident(
            incident_id="INC-1", title="大雾追尾", lat=37.6, lon=115.9, status="verified"
        ),
        reports=[BundledReport(report_id="R-1", stage="initial", title="初报", sent=T0)],
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "b.hsx"
        write_bundle(bundle, BlobStore(Path(tmp) / "blobs", 1 << 20), _exchange_key(), out)
        signed = out.read_bytes()
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as zf:
        zf.writestr("incident.json", b"{}")
    return [signed, junk.getvalue()]


def key_bundle(data: bytes) -> None:
    """A key bundle file (a USB stick) or the text read from the hall's QR code."""
    from shared.identity import BundleError, load_bundle, parse_bundle

    with _as_file(data, "") as path, contextlib.suppress(BundleError):
        load_bundle(path)
    with contextlib.suppress(BundleError, UnicodeDecodeError):
        parse_bundle(data.decode("utf-8", "surrogatepass"))


def _bundle_seeds() -> list[bytes]:
    from shared.identity import Bundle, Endpoints, KeyPair

    keys = KeyPair.generate()
    bundle = Bundle(
        "fire-01",
        "field",
        keys,
        KeyPair.generate().public,
        Endpoints("tcp://10.0.0.1:7701", "tcp://10.0.0.1:7702", "tcp://10.0.0.1:7703"),
        T0,
        None,
    )
    return [bundle.dumps().encode()]


def province_answer(data: bytes) -> None:
    """The provincial platform's answer to a relayed document: read, or ``ValueError``."""
    from shared.relay.formats.answers import read_answer

    with contextlib.suppress(ValueError):
        read_answer(data)


def _answer_seeds() -> list[bytes]:
    from shared.relay.formats.answers import ack_for, error_for
    from shared.relay.formats.edxl import distribution_xml, read_distribution
    from shared.relay.formats.safexml import parse_untrusted

    error = error_for("D-1", "province", T0, ["missing area"])
    ack = ack_for(read_distribution(parse_untrusted(distribution_xml(error))), "province", T0)
    return [distribution_xml(ack), distribution_xml(error)]


# --- field devices ---------------------------------------------------------------------------


def nmea(data: bytes) -> None:
    """NMEA lines from a serial GPS receiver or a recording."""
    from shared.gps.nmea import NmeaReader

    reader = NmeaReader()
    for line in data.split(b"\n")[:64]:
        reader.feed(line)


def gpsd(data: bytes) -> None:
    """One line of gpsd's JSON."""
    from shared.gps.sources import tpv_fix

    tpv_fix(data)


def sdp(data: bytes) -> None:
    """A peer's SDP offer or answer: usable, or ``MediaError``."""
    from shared.media.agent import MediaError, check_sdp

    text = data.decode("utf-8", "replace")
    with contextlib.suppress(MediaError):
        check_sdp(text, needs_video=bool(data[:1] == b"v"), needs_audio=True)


def _sdp_seeds() -> list[bytes]:
    here = Path(__file__).resolve().parent / "seeds" / "sdp"
    return [p.read_bytes() for p in sorted(here.glob("*.sdp"))]


def config(data: bytes) -> None:
    """A hub configuration file: read, or ``ConfigError``."""
    from shared.config import ConfigError, load_config

    with _as_file(data, ".toml") as path, contextlib.suppress(ConfigError):
        load_config(path)


def _config_seeds() -> list[bytes]:
    root = Path(__file__).resolve().parent.parent
    return [(root / "resources" / "hub.example.toml").read_bytes()]


def mbtiles(data: bytes) -> None:
    """An MBTiles file given to the hall: usable, or ``MbtilesError``."""
    from command_center.map.mbtiles import Mbtiles, MbtilesError

    with _as_file(data, ".mbtiles") as path, contextlib.suppress(MbtilesError):
        Mbtiles(path).close()


def _mbtiles_seeds() -> list[bytes]:
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.mbtiles"
        db = sqlite3.connect(path)
        db.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB);"
            "INSERT INTO metadata VALUES ('name', 'hengshui'), ('format', 'png'),"
            " ('bounds', '115.1,37.0,116.6,38.3');"
            "INSERT INTO tiles VALUES (8, 210, 157, x'89504e47');"
        )
        db.commit()
        db.close()
        return [path.read_bytes()]


def _nmea_seeds() -> list[bytes]:
    return [
        b"$GPGGA,080000.00,3744.000,N,11540.200,E,1,08,0.9,20.0,M,-5.0,M,,*4B\n"
        b"$GPRMC,080000.00,A,3744.000,N,11540.200,E,0.5,90.0,281126,,,A*6C\n",
        b"$GPRMC,080001.00,V,,,,,,,281126,,,N*7A\n",
    ]


def _gpsd_seeds() -> list[bytes]:
    return [
        b'{"class":"TPV","mode":3,"lat":37.74,"lon":115.67,"time":"2026-11-28T08:00:00Z",'
        b'"speed":1.5,"track":90,"alt":20,"status":2}',
        b'{"class":"SKY","satellites":[]}',
    ]


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("request", request, _message_seeds, "request frames at the hub's ROUTER"),
        Target(
            "hub_message",
            hub_message,
            _message_seeds,
            "request frames decoded and handled by the hub's handlers (SQLite)",
        ),
        Target("client_frames", client_frames, _client_seeds, "replies, updates, chunks, beats"),
        Target("snapshot_request", snapshot_request, _message_seeds, "the snapshot service"),
        Target("cap", cap, _cap_seeds, "CAP / EDXL-DE / Atom warning documents"),
        Target("intake_json", intake_json, _intake_seeds, "department intake JSON bodies"),
        Target("exchange", exchange, _exchange_seeds, "signed exchange bundles (zip)"),
        Target(
            "province_answer",
            province_answer,
            _answer_seeds,
            "the provincial platform's EDXL-DE answers",
        ),
        Target("key_bundle", key_bundle, _bundle_seeds, "key bundle files and QR text"),
        Target("nmea", nmea, _nmea_seeds, "NMEA sentences from a GPS receiver"),
        Target("gpsd", gpsd, _gpsd_seeds, "gpsd JSON reports"),
        Target("sdp", sdp, _sdp_seeds, "SDP offers and answers from a peer"),
        Target("config", config, _config_seeds, "the hub's TOML configuration"),
        Target("mbtiles", mbtiles, _mbtiles_seeds, "MBTiles files for the hall's basemap"),
    )
}
"""Every target by name."""

CORPUS = Path(__file__).resolve().parent / "corpus"
"""Kept inputs per target (``corpus/NAME/``): crashers found once, kept as regressions."""


def kept_inputs(name: str) -> list[Path]:
    """The inputs kept for ``name``."""
    folder = CORPUS / name
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def b64(data: bytes) -> str:
    """For messages: a short printable form of an input."""
    return base64.b64encode(data[:60]).decode()
