"""Fetching the pinned map assets from an npm registry (a real HTTP server on loopback)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from command_center.assets import AssetError, Package, Pins, fetch, load_pins, missing


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
