"""CURVE key pairs, the hub's own keys, and device key bundles.

A key bundle is the file ``command-center enroll`` writes and a device imports: the
device's name, role and CURVE key pair, the hub's public key and endpoints, its validity,
and a SHA-256 checksum that reveals a corrupted or hand-edited file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

BUNDLE_FORMAT = "hengshui-bundle/1"


class BundleError(Exception):
    """A key bundle that cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A CURVE key pair in Z85 text (40 characters each)."""

    public: str
    secret: str

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh random key pair."""
        public, secret = zmq.curve_keypair()
        return cls(public.decode("ascii"), secret.decode("ascii"))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_or_create_hub_keys(data_dir: Path) -> KeyPair:
    """The hub's CURVE key pair, created on first use in ``DATA/keys/hub.json`` (mode 0600)."""
    path = data_dir / "keys" / "hub.json"
    if path.exists():
        try:
            raw = json.loads(path.read_text("utf-8"))
            pair = KeyPair(raw["public"], raw["secret"])
            zmq.curve_public(pair.secret.encode())  # validates the secret key
        except (ValueError, KeyError, zmq.ZMQError) as exc:
            raise BundleError(
                f"hub key file {path} is corrupt ({exc}); restore it from backup — "
                "a new key would lock out every enrolled device"
            ) from None
        return pair
    pair = KeyPair.generate()
    _write_private(path, json.dumps({"public": pair.public, "secret": pair.secret}))
    return pair


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a hub listens, as a client should connect to it."""

    request: str
    publish: str
    snapshot: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict for JSON files."""
        return {"request": self.request, "publish": self.publish, "snapshot": self.snapshot}


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything a device needs to join the backbone."""

    device: str
    role: str
    keys: KeyPair
    hub_public_key: str
    endpoints: Endpoints
    issued: datetime
    expires: datetime | None

    def _body(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "device": self.device,
            "role": self.role,
            "public_key": self.keys.public,
            "secret_key": self.keys.secret,
            "hub_public_key": self.hub_public_key,
            "endpoints": self.endpoints.as_dict(),
            "issued": self.issued.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
        }

    def dumps(self) -> str:
        """The bundle file's text, with its checksum."""
        body = self._body()
        body["checksum"] = _checksum(body)
        return json.dumps(body, ensure_ascii=False, indent=2)

    def save(self, path: Path) -> None:
        """Write the bundle (mode 0600: it holds a secret key)."""
        _write_private(path, self.dumps())

    def with_endpoints(self, endpoints: Endpoints) -> Bundle:
        """The same identity pointed at other endpoints (tests, a moved hub)."""
        return Bundle(
            self.device,
            self.role,
            self.keys,
            self.hub_public_key,
            endpoints,
            self.issued,
            self.expires,
        )


def _checksum(body: dict[str, Any]) -> str:
    canon = json.dumps(
        {k: v for k, v in body.items() if k != "checksum"}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canon.encode()).hexdigest()


def load_bundle(path: Path, *, now: datetime | None = None) -> Bundle:
    """Read and check a key bundle file.

    Raises:
        BundleError: unreadable, corrupt, altered, of another format, or expired.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read key bundle {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(
            f"key bundle {path} is damaged (byte {exc.start} is not UTF-8 text); copy it "
            "again or ask the command hall for a new one"
        ) from None
    return parse_bundle(text, str(path), now=now)


def parse_bundle(text: str, source: str = "key bundle", *, now: datetime | None = None) -> Bundle:
    """Check a key bundle's text (from a file, or as read from the hall's QR code).

    Raises:
        BundleError: corrupt, altered, of another format, incomplete, or expired; never
            anything else, whatever the text.
    """
    path = source
    try:
        body = json.loads(text)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        checksum = _checksum(body)
    except (ValueError, RecursionError) as exc:
        raise BundleError(
            f"key bundle {path} is corrupt ({str(exc)[:120]}); ask the command hall for a new one"
        ) from None
    if body.get("format") != BUNDLE_FORMAT:
        raise BundleError(
            f"{path} is not a key bundle of format {BUNDLE_FORMAT} (found "
            f"{str(body.get('format'))[:40]!r}); ask the command hall to enrol this device again"
        )
    if body.get("checksum") != checksum:
        raise BundleError(
            f"key bundle {path} has been altered or damaged (checksum mismatch); "
            "ask the command hall for a new one"
        )
    now = now or datetime.now(UTC)
    try:
        keys = KeyPair(_text(body["public_key"]), _text(body["secret_key"]))
        if zmq.curve_public(keys.secret.encode()).decode() != keys.public:
            raise ValueError("public and secret keys do not match")
        ep = body["endpoints"]
        bundle = Bundle(
            device=_text(body["device"]),
            role=_text(body["role"]),
            keys=keys,
            hub_public_key=_text(body["hub_public_key"]),
            endpoints=Endpoints(_text(ep["request"]), _text(ep["publish"]), _text(ep["snapshot"])),
            issued=_aware(body["issued"]),
            expires=_aware(body["expires"]) if body.get("expires") else None,
        )
        expired = bundle.expires is not None and bundle.expires <= now
    except (KeyError, TypeError, ValueError, AttributeError, zmq.ZMQError) as exc:
        raise BundleError(f"key bundle {path} is incomplete or invalid ({exc!s:.160})") from None
    if expired:
        assert bundle.expires is not None
        raise BundleError(
            f"key bundle {path} for {bundle.device} expired at {bundle.expires.isoformat()}; "
            "ask the command hall to enrol this device again"
        )
    return bundle


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected text, found {type(value).__name__}")
    return value


def _aware(value: object) -> datetime:
    when = datetime.fromisoformat(_text(value))
    if when.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return when
