"""Exchange bundles: one incident carried between isolated networks as one signed file.

A bundle is a zip holding ``incident.json`` (the incident, every report version, the
response steps), ``attachments/<sha256>`` (the reports' photos and documents),
``manifest.json`` (every other file's SHA-256 and size) and ``signature.json`` (Ed25519 over
the manifest's bytes, with the signing key). The exporting hub signs with its own key
(``DATA/exchange-signing.key``, made on first use); the importing side trusts the public keys
it was given. Import refuses, saying why: an unknown signer, a signature that does not
verify, a file changed, added or missing, a path that is not one of the bundle's own, and
sizes or compression ratios beyond bounds (zip bombs).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, select

from shared.protocol import new_id
from shared.protocol.ids import derived_id
from shared.protocol.messages import AttachmentRef
from shared.protocol.state import ResponseStep
from shared.store.blobs import BlobStore
from shared.store.models import (
    Incident,
    Order,
    OrderEvent,
    Report,
    ReportAttachment,
    ResponseStepRow,
)
from shared.store.states import area_of, from_row

FORMAT = "hengshui-exchange/1"
MAX_BUNDLE_BYTES = 1024 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_RATIO = 100
_ATTACHMENT = re.compile(r"^attachments/[0-9a-f]{64}$")
_FIXED = ("incident.json", "manifest.json", "signature.json")
SIGNING_KEY = "exchange-signing.key"


class BundleRefused(ValueError):
    """A bundle that cannot be trusted or read; the message says why."""


class BundledIncident(msgspec.Struct, frozen=True, kw_only=True):
    """The incident's headline facts as exported."""

    incident_id: str
    title: str
    lat: float
    lon: float
    status: str
    level: int | None = None
    division: str | None = None
    type_code: str = ""
    occurred: datetime | None = None
    exercise: bool = False
    dead: int = 0
    missing: int = 0
    seriously_injured: int = 0
    trapped: int = 0
    evacuated: int = 0
    direct_loss_cny: int = 0
    area: list[tuple[float, float]] | None = None
    closed_reason: str = ""


class BundledReport(msgspec.Struct, frozen=True, kw_only=True):
    """One report version (初报 / 续报 / 终报) as exported."""

    report_id: str
    stage: str
    title: str
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    dead: int = 0
    missing: int = 0
    injured: int = 0
    sender: str = ""
    sent: datetime
    source: str = "field"
    author: str = ""
    version: int = 0
    exercise: bool = False
    attachments: list[AttachmentRef] = msgspec.field(default_factory=list)
    area: list[tuple[float, float]] | None = None


class BundledOrderStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of an order with its words (a decline's reason, a cancel's)."""

    from_state: str
    to_state: str
    by: str
    person: str = ""
    at: datetime
    note: str = ""


class BundledOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order given for the incident, its latest state and every answer."""

    order_id: str
    recipient: str
    text: str
    state: str
    issued_by: str
    issued_at: datetime | None = None
    updated: datetime
    note: str = ""
    steps: list[BundledOrderStep] = msgspec.field(default_factory=list)


class ExchangeBundle(msgspec.Struct, frozen=True, kw_only=True):
    """``incident.json``."""

    format: str = FORMAT
    bundle_id: str
    created: datetime
    origin: str
    """The exporting platform (its name, e.g. the city's CAP sender)."""
    incident: BundledIncident
    reports: list[BundledReport]
    response: list[ResponseStep] = msgspec.field(default_factory=list)
    orders: list[BundledOrder] = msgspec.field(default_factory=list)
    """The orders given for it, with every answer (absent in bundles made before)."""


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """``manifest.json``: every other file's digest and size."""

    format: str = FORMAT
    bundle_id: str
    created: datetime
    origin: str
    incident_id: str
    files: dict[str, tuple[str, int]]


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    """``signature.json``."""

    algorithm: str = "Ed25519"
    key_id: str
    public_key: str
    """Raw public key, base64."""
    signature: str
    """Over the exact bytes of manifest.json, base64."""


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name for a public key (first 16 hex digits of its SHA-256)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The hub's bundle-signing key (made on first use, mode 0600), beside its other keys."""
    path = data_dir / SIGNING_KEY
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise BundleRefused(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    """The public half, PEM, for the receiving side to trust."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_trusted(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    """Trusted public keys from PEM files (or folders of ``*.pub``/``*.pem``), by key id.

    Raises:
        BundleRefused: a file that is not an Ed25519 public key.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    files: list[Path] = []
    for p in paths:
        files += sorted([*p.glob("*.pub"), *p.glob("*.pem")]) if p.is_dir() else [p]
    for f in files:
        try:
            key = serialization.load_pem_public_key(f.read_bytes())
        except (OSError, ValueError) as exc:
            raise BundleRefused(f"trusted key {f} cannot be read: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise BundleRefused(f"trusted key {f} is not an Ed25519 public key")
        keys[key_id(key)] = key
    return keys


# --- export -----------------------------------------------------------------------------


def collect(engine: Engine, incident_id: str, origin: str) -> ExchangeBundle:
    """The incident as stored by the hub, every report version in order.

    Raises:
        BundleRefused: no such incident.
    """
    with engine.connect() as conn:
        inc = conn.execute(
            select(Incident.__table__).where(Incident.incident_id == incident_id)
        ).first()
        if inc is None:
            raise BundleRefused(f"no incident {incident_id!r} in this store")
        rows = conn.execute(
            select(Report.__table__)
            .where(Report.incident_id == incident_id)
            .order_by(Report.version, Report.id)
        ).all()
        ids = [r.msg_id for r in rows]
        atts: dict[str, list[AttachmentRef]] = {}
        if ids:
            for a in conn.execute(
                select(ReportAttachment.__table__)
                .where(ReportAttachment.report_msg_id.in_(ids))
                .order_by(ReportAttachment.id)
            ).all():
                atts.setdefault(a.report_msg_id, []).append(
                    AttachmentRef(a.sha256, a.name, a.media_type, a.size)
                )
        steps = conn.execute(
            select(ResponseStepRow.__table__)
            .where(ResponseStepRow.incident_id == incident_id)
            .order_by(ResponseStepRow.id)
        ).all()
        orders = []
        for o in conn.execute(
            select(Order.__table__)
            .where(Order.incident_id == incident_id)
            .order_by(Order.issued_at, Order.order_id)
        ).all():
            events = conn.execute(
                select(OrderEvent.__table__)
                .where(OrderEvent.order_id == o.order_id)
                .order_by(OrderEvent.id)
            ).all()
            orders.append(
                from_row(
                    BundledOrder,
                    o._mapping,
                    steps=[from_row(BundledOrderStep, ev._mapping) for ev in events],
                )
            )
    return ExchangeBundle(
        bundle_id=f"BX-{new_id()}",
        created=datetime.now(UTC),
        origin=origin,
        incident=from_row(BundledIncident, inc._mapping, area=area_of(inc.area)),
        reports=[
            from_row(
                BundledReport,
                r._mapping,
                report_id=r.msg_id,
                attachments=atts.get(r.msg_id, []),
                area=area_of(r.area),
            )
            for r in rows
        ],
        response=[from_row(ResponseStep, s._mapping) for s in steps],
        orders=orders,
    )


def write_bundle(
    bundle: ExchangeBundle, blobs: BlobStore, key: Ed25519PrivateKey, out: Path
) -> Manifest:
    """Write ``bundle`` with its attachments, manifest and signature to ``out`` (atomically)."""
    files: dict[str, bytes] = {"incident.json": msgspec.json.encode(bundle)}
    for rep in bundle.reports:
        for a in rep.attachments:
            files[f"attachments/{a.sha256}"] = blobs.read(a.sha256)
    manifest = Manifest(
        bundle_id=bundle.bundle_id,
        created=bundle.created,
        origin=bundle.origin,
        incident_id=bundle.incident.incident_id,
        files={n: (hashlib.sha256(d).hexdigest(), len(d)) for n, d in files.items()},
    )
    manifest_bytes = msgspec.json.encode(manifest)
    public = key.public_key()
    signature = Signature(
        key_id=key_id(public),
        public_key=base64.b64encode(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ).decode(),
        signature=base64.b64encode(key.sign(manifest_bytes)).decode(),
    )
    tmp = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest_bytes)
        zf.writestr("signature.json", msgspec.json.encode(signature))
        for name, data in files.items():
            kind = zipfile.ZIP_STORED if name.startswith("attachments/") else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, kind)
    os.replace(tmp, out)
    return manifest


# --- import -----------------------------------------------------------------------------


class VerifiedBundle(msgspec.Struct, frozen=True, kw_only=True):
    """A bundle whose signature and every file checked out."""

    bundle: ExchangeBundle
    manifest: Manifest
    signer: str
    attachments: dict[str, bytes]


def read_bundle(
    data: bytes | Path, trusted: dict[str, Ed25519PublicKey], *, max_bytes: int = MAX_BUNDLE_BYTES
) -> VerifiedBundle:
    """Open and verify a bundle.

    Raises:
        BundleRefused: not a bundle, an untrusted or wrong signature, a file changed, added or
            missing, or bounds exceeded — the message says which.
    """
    try:
        raw = data.read_bytes() if isinstance(data, Path) else data
    except OSError as exc:
        raise BundleRefused(f"cannot read the bundle: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise BundleRefused(f"bundle of {len(raw)} bytes is over the {max_bytes}-byte limit")
    try:
        return _read_bundle(raw, trusted, max_bytes)
    except BundleRefused:
        raise
    except Exception as exc:  # a damaged archive: zipfile, zlib and the decoders raise many kinds
        raise BundleRefused(
            f"the bundle is damaged ({type(exc).__name__}: {str(exc)[:160]}); ask the sending "
            "platform to export it again"
        ) from None


def _read_bundle(
    raw: bytes, trusted: dict[str, Ed25519PublicKey], max_bytes: int
) -> VerifiedBundle:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise BundleRefused("not an exchange bundle (not a zip file)") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise BundleRefused(f"{len(infos)} entries is over the limit of {MAX_ENTRIES}")
        names = [i.filename for i in infos]
        for i in infos:
            if i.filename not in _FIXED and not _ATTACHMENT.match(i.filename):
                raise BundleRefused(f"unexpected entry {i.filename[:80]!r} (refused, not opened)")
            if i.compress_size and i.file_size / max(i.compress_size, 1) > MAX_RATIO:
                raise BundleRefused(f"entry {i.filename!r} expands {MAX_RATIO}× or more")
        if len(set(names)) != len(names):
            raise BundleRefused("an entry appears twice")
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise BundleRefused(f"contents of {total} bytes are over the {max_bytes}-byte limit")
        missing = [n for n in _FIXED if n not in names]
        if missing:
            raise BundleRefused(f"not an exchange bundle: {', '.join(missing)} missing")

        def read(name: str) -> bytes:
            info = zf.getinfo(name)
            with zf.open(info) as fh:
                body = fh.read(info.file_size + 1)
            if len(body) != info.file_size:
                raise BundleRefused(f"entry {name!r} is not the size it claims")
            return body

        manifest_bytes = read("manifest.json")
        try:
            sig = msgspec.json.decode(read("signature.json"), type=Signature)
            manifest = msgspec.json.decode(manifest_bytes, type=Manifest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BundleRefused(f"manifest or signature unreadable: {exc}") from None
        key = trusted.get(sig.key_id)
        if key is None:
            raise BundleRefused(
                f"signed by key {sig.key_id}, which is not trusted here: ask the sending "
                "platform for its exchange-signing public key and pass it with --trust"
            )
        try:
            key.verify(base64.b64decode(sig.signature), manifest_bytes)
        except (InvalidSignature, ValueError):
            raise BundleRefused("the signature does not match the manifest (tampered)") from None
        content = [n for n in names if n not in ("manifest.json", "signature.json")]
        extra = sorted(set(content) - set(manifest.files))
        absent = sorted(set(manifest.files) - set(content))
        if extra or absent:
            raise BundleRefused(f"files not in the manifest: {extra}; missing: {absent}")
        bodies: dict[str, bytes] = {}
        for name, (digest, size) in manifest.files.items():
            body = read(name)
            if len(body) != size or hashlib.sha256(body).hexdigest() != digest:
                raise BundleRefused(f"{name} does not match the manifest (tampered)")
            bodies[name] = body
    try:
        bundle = msgspec.json.decode(bodies["incident.json"], type=ExchangeBundle)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BundleRefused(f"incident.json unreadable: {exc}") from None
    if bundle.bundle_id != manifest.bundle_id or bundle.format != FORMAT:
        raise BundleRefused("incident.json does not belong to this manifest")
    attachments = {n.split("/", 1)[1]: b for n, b in bodies.items() if n.startswith("attachments/")}
    for rep in bundle.reports:
        for a in rep.attachments:
            if a.sha256 not in attachments:
                raise BundleRefused(
                    f"report {rep.report_id} names attachment {a.sha256[:12]}… not carried"
                )
            if hashlib.sha256(attachments[a.sha256]).hexdigest() != a.sha256:
                raise BundleRefused(f"attachment {a.sha256[:12]}… is not what its name says")
    return VerifiedBundle(
        bundle=bundle, manifest=manifest, signer=sig.key_id, attachments=attachments
    )


def import_ids(bundle_id: str, item: str, secret: str) -> str:
    """The message id an imported item gets: importing the same bundle again (with the same
    key bundle) is a no-op; keyed with the importer's secret, so a bundle's id, which anyone
    holding the file can read, is not enough to send something under it first."""
    return derived_id("bx", secret, bundle_id, item)


def describe(v: VerifiedBundle) -> dict[str, Any]:
    """What a verified bundle holds, for a JSON line."""
    return {
        "bundle_id": v.bundle.bundle_id,
        "origin": v.bundle.origin,
        "signer": v.signer,
        "incident": v.bundle.incident.incident_id,
        "reports": len(v.bundle.reports),
        "orders": len(v.bundle.orders),
        "attachments": len(v.attachments),
        "created": v.bundle.created.isoformat(),
    }
