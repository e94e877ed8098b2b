"""The live situation map: the folium page in QtWebEngine, fed in batches, fully offline.

* Every page resource has a ``hall://`` address answered by :class:`HallSchemeHandler` from
  local files (the page, its script, the pinned ``.assets/``, MBTiles tiles).
* :class:`OfflineGuard` (a request interceptor) blocks every request that is not local —
  only the hosts of configured intranet tile servers pass — and records what it blocked, so
  the tests fail if the page ever tries to reach the internet.
* Python → page: :meth:`QtMapView.apply` collects changes; a 50 ms timer sends everything
  pending in one ``hall.apply(batch)`` script call. Page → Python: clicks and drawn polygons
  arrive through a QWebChannel object and leave as Qt signals.

:func:`prepare_webengine` must run before the QApplication is created.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QWidget

from command_center.app.i18n import tr
from command_center.assets import DEST as ASSETS_DIR
from command_center.assets import load_pins, missing
from command_center.map.mbtiles import Mbtiles, MbtilesError
from command_center.map.page import TileServer, cached_page, page_texts
from shared.client import PictureChanges, SituationPicture

log = logging.getLogger(__name__)

SCHEME = b"hall"
LOCAL_SCHEMES = frozenset({"hall", "qrc", "data", "blob", "about"})
BATCH_MS = 50
_MEDIA = {
    ".js": b"text/javascript",
    ".css": b"text/css",
    ".png": b"image/png",
    ".svg": b"image/svg+xml",
    ".html": b"text/html",
}


RENDER_MODES = ("auto", "gpu", "software")
_render_choice: tuple[str, str] | None = None


def choose_render(
    requested: str = "auto",
    *,
    platform: str = sys.platform,
    dri_dir: Path = Path("/dev/dri"),
    environ: Mapping[str, str] = os.environ,
) -> tuple[str, str]:
    """How the window's Qt Quick scene (the map's web view) is drawn: ``("gpu" | "software",
    why)``. ``auto`` draws in software on Linux machines without a GPU render device (Mesa
    would emulate OpenGL on the CPU with llvmpipe, which costs the hall about 80 MiB and drew
    no faster than Qt's own software renderer) and through the GPU elsewhere."""
    if requested not in RENDER_MODES:
        raise ValueError(
            f"unknown drawing mode {requested!r}: choose one of {', '.join(RENDER_MODES)}"
        )
    if requested != "auto":
        return requested, "asked for"
    backend = environ.get("QT_QUICK_BACKEND", "")
    if backend:
        mode = "software" if backend == "software" else "gpu"
        return mode, f"QT_QUICK_BACKEND={backend}"
    if environ.get("LIBGL_ALWAYS_SOFTWARE", "") not in ("", "0"):
        return "software", "LIBGL_ALWAYS_SOFTWARE is set"
    if platform.startswith("linux") and not any(dri_dir.glob("renderD*")):
        return "software", f"no GPU render device in {dri_dir}"
    return "gpu", "a GPU is available"


def render_choice() -> tuple[str, str] | None:
    """What :func:`prepare_webengine` chose, or None before it ran."""
    return _render_choice


def prepare_webengine(render: str = "auto") -> None:
    """Register the ``hall:`` scheme, choose how the scene is drawn (:func:`choose_render`)
    and set what QtWebEngine needs; call before the QApplication exists (a second call does
    nothing)."""
    global _render_choice
    if QWebEngineUrlScheme.schemeByName(QByteArray(SCHEME)).name() == QByteArray(SCHEME):
        return
    if QApplication.instance() is not None:
        raise RuntimeError("prepare_webengine() must run before the QApplication is created")
    mode, why = choose_render(render)
    if mode == "software":
        from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
    _render_choice = (mode, why)
    log.info("the map is drawn %s (%s)", "in software" if mode == "software" else "by the GPU", why)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root (kiosk machines, CI): run without it.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    for flag in ("--disable-background-networking", "--disable-component-update"):
        if flag not in flags:
            flags += " " + flag
    if "--js-flags" not in flags:
        # V8 favouring memory over speed: the page's script is small work (a batch every
        # 50 ms) and the renderer holds ~150 MiB less (`./run bench map`, docs/benchmarks.md).
        flags += " --js-flags=--optimize-for-size"
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags.strip()
    scheme = QWebEngineUrlScheme(QByteArray(SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def map_problem(assets_dir: Path = ASSETS_DIR) -> str | None:
    """Why the map cannot be shown (missing assets), or None."""
    gone = missing(load_pins(), assets_dir)
    if gone:
        return tr("地图资源缺失（{files}）：请运行 ./run setup 获取离线地图资源").format(
            files=", ".join(gone)
        )
    return None


class OfflineGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every non-local request; records what it blocked (runs on Qt's IO thread)."""

    def __init__(self, allowed_hosts: set[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed_hosts = frozenset(allowed_hosts)
        self.blocked: list[str] = []
        self.seen = 0
        self._lock = threading.Lock()

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        with self._lock:
            self.seen += 1
        if url.scheme() in LOCAL_SCHEMES or url.host() in self.allowed_hosts:
            return
        info.block(True)
        with self._lock:
            self.blocked.append(url.toString())
        log.warning("blocked a non-local request from the map page: %s", url.toString()[:200])


class HallSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ``hall://app/…``, ``hall://assets/…`` and ``hall://tiles/z/x/y``."""

    def __init__(
        self, page_html: str, mbtiles: Mbtiles | None, assets_dir: Path, parent: QObject
    ) -> None:
        super().__init__(parent)
        self.page_html = page_html.encode("utf-8")
        self.mbtiles = mbtiles
        self.assets_dir = assets_dir.resolve()
        self.served = 0

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        host, path = url.host(), url.path().lstrip("/")
        body: bytes | None = None
        media = b"application/octet-stream"
        if host == "app":
            if path == "map.html":
                body, media = self.page_html, b"text/html"
            elif path in ("hall_map.js", "hall_map.css"):
                body = resources.files("command_center.map").joinpath(path).read_bytes()
                media = _MEDIA[Path(path).suffix]
        elif host == "assets":
            target = (self.assets_dir / path).resolve()
            if target.is_relative_to(self.assets_dir) and target.is_file():
                body = target.read_bytes()
                media = _MEDIA.get(target.suffix, media)
        elif host == "tiles" and self.mbtiles is not None:
            parts = path.split("/")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                z, x, y = (int(p) for p in parts)
                body = self.mbtiles.tile(z, x, y)
                media = self.mbtiles.media_type.encode()
        if body is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buf = QBuffer(job)
        buf.setData(QByteArray(body))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        self.served += 1
        job.reply(QByteArray(media), buf)


def legend_html() -> str:
    """The map's legend: what each symbol and colour means, in the window's language."""
    import html

    e = html.escape

    def row(symbol: str, colour: str, text: str) -> str:
        return f"<div><span style='color:{colour}'>{e(symbol)}</span> {e(text)}</div>"

    units = [
        ("▲", "#ff6b35", tr("消防")),
        ("▲", "#ffffff", tr("急救")),
        ("▲", "#3b82f6", tr("公安")),
        ("▲", "#facc15", tr("救援")),
        ("▲", "#5b6673", tr("失联（超时未报位置）")),
    ]
    incidents = [
        ("●", "#ff2d2d", tr("Ⅰ级")),
        ("●", "#ff8c1a", tr("Ⅱ级")),
        ("●", "#ffd60a", tr("Ⅲ级")),
        ("●", "#3b82f6", tr("Ⅳ级")),
        ("●", "#9ca3af", tr("未定级")),
    ]
    resources = [
        ("■", "#94a3b8", tr("重点设施（学校、医院、危化企业）")),
        ("⌂", "#3ddc84", tr("避难场所，标注为 已安置/容量")),
        ("★", "#facc15", tr("救援队伍")),
        ("▣", "#facc15", tr("车辆装备")),
        ("◆", "#60a5fa", tr("物资储备库")),
        ("●", "#c084fc", tr("专家")),
        ("◉", "#22d3ee", tr("监测点")),
    ]
    parts = [f"<b>{e(tr('图例'))}</b>"]
    parts.append(f"<div class='hall-legend-head'>{e(tr('单位（箭头指向行进方向）'))}</div>")
    parts += [row(*u) for u in units]
    parts.append(f"<div class='hall-legend-head'>{e(tr('事件（颜色为等级）'))}</div>")
    parts += [row(*i) for i in incidents]
    parts.append(f"<div class='hall-legend-head'>{e(tr('资源'))}</div>")
    parts += [row(*r) for r in resources]
    parts.append(f"<div class='hall-legend-head'>{e(tr('区域'))}</div>")
    parts.append(row("▭", "#ff8c1a", tr("实线：危险区（颜色为等级）")))
    parts.append(row("▭", "#ffd60a", tr("虚线：预警区域（颜色为严重程度）")))
    parts.append(row("⬤", "#1d4ed8", tr("带数字的圆：该处聚合的数量，放大后展开")))
    return "".join(parts)


class MapBridge(QObject):
    """The page's side of the QWebChannel: events from the map."""

    ready = Signal()
    clicked = Signal(str, str)
    polygon = Signal(list)
    picked = Signal(float, float)

    @Slot()
    def pageReady(self) -> None:
        self.ready.emit()

    @Slot(str, str)
    def mapClicked(self, kind: str, key: str) -> None:
        self.clicked.emit(kind, key)

    @Slot(float, float)
    def pointPicked(self, lat: float, lon: float) -> None:
        self.picked.emit(float(lat), float(lon))

    @Slot(str)
    def polygonDrawn(self, ring_json: str) -> None:
        try:
            ring = json.loads(ring_json)
        except ValueError:
            return
        if isinstance(ring, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
            for p in ring
        ):
            self.polygon.emit([(float(a), float(b)) for a, b in ring])


class QtMapView(QWebEngineView):
    """The map widget. ``apply`` takes picture changes; they reach the page in batches."""

    loaded = Signal(bool)

    def __init__(
        self,
        picture: SituationPicture,
        *,
        mbtiles: Path | None = None,
        tile_servers: list[TileServer] | None = None,
        assets_dir: Path = ASSETS_DIR,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.problems: list[str] = []
        tiles = None
        if mbtiles is not None:
            try:
                tiles = Mbtiles(mbtiles)
            except MbtilesError as exc:  # say so, and keep the built-in basemap
                self.problems.append(tr("MBTiles 不可用：{error}").format(error=exc))
        servers = tile_servers or []
        hosts = set().union(*(s.hosts() for s in servers)) if servers else set()
        # Off the record: nothing cached on disk. Owned by the application, so it outlives
        # the page (Qt warns when a profile goes before its pages).
        self.profile = QWebEngineProfile(QApplication.instance())
        self.guard = OfflineGuard(hosts, self.profile)
        self.profile.setUrlRequestInterceptor(self.guard)
        html = cached_page(
            mbtiles=tiles.layer if tiles else None,
            tile_servers=servers,
            texts={text: tr(text) for text in page_texts() if tr(text) != text},
        )
        self.handler = HallSchemeHandler(html, tiles, assets_dir, self.profile)
        self.profile.installUrlSchemeHandler(QByteArray(SCHEME), self.handler)
        page = QWebEnginePage(self.profile, self)
        settings = page.settings()
        settings.setAttribute(
            QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False
        )
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False)
        self.setPage(page)
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self)
        self.channel.registerObject("bridge", self.bridge)
        page.setWebChannel(self.channel)
        self.page_ready = False
        self.bridge.ready.connect(self._on_ready)
        page.loadFinished.connect(self.loaded.emit)
        self._pending_units: set[str] = set()
        self._pending_incidents: set[str] = set()
        self._pending_resources: set[str] = set()
        self._pending_warnings: set[str] = set()
        self._pending_report_areas: set[str] = set()
        self._on_map: set[str] = set()
        self._zones: set[str] = set()
        self._hazards: dict[str, list[tuple[float, float]]] = {}
        self.batches_sent = 0
        self.on_applied: list[Callable[[list[str]], None]] = []
        """Called with the unit keys of each batch once the page has applied it (for
        measuring publish → marker moved)."""
        # At most one script call per BATCH_MS: a change flushes at once when the last call
        # is that old, else when it will be (one armed single-shot timer, never a backlog).
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self.flush)
        self._last_flush = 0.0
        self.setUrl(QUrl("hall://app/map.html"))

    def _on_ready(self) -> None:
        self.page_ready = True
        self.page().runJavaScript(f"hall.legend({json.dumps(legend_html(), ensure_ascii=False)})")
        self._pending_units |= set(self.picture.units) | self._on_map
        self._pending_incidents |= set(self.picture.incidents)
        self._pending_resources |= set(self.picture.resources)
        self._pending_warnings |= set(self.picture.warnings)
        self._pending_report_areas |= {k for k, r in self.picture.reports.items() if r.area}
        self._schedule()
        for key, ring in self._hazards.items():
            self.show_hazard(key, ring)

    def apply(self, changes: PictureChanges) -> None:
        """Note what changed; it reaches the page within 50 ms, batched."""
        self._pending_units |= changes.units
        self._pending_incidents |= changes.incidents
        self._pending_resources |= changes.resources | changes.monitor
        self._pending_warnings |= changes.warnings
        self._pending_report_areas |= {
            k for k in changes.reports if getattr(self.picture.reports.get(k), "area", None)
        }
        self._schedule()

    def refresh_staleness(self) -> None:
        """Resend every unit so greyed ones turn grey (every few seconds)."""
        self._pending_units |= set(self.picture.units)
        self._schedule()

    def _schedule(self) -> None:
        pending = (
            self._pending_units
            or self._pending_incidents
            or self._pending_resources
            or self._pending_warnings
            or self._pending_report_areas
        )
        if self._flush_timer.isActive() or not pending:
            return
        since_ms = (time.monotonic() - self._last_flush) * 1000
        self._flush_timer.start(max(0, int(BATCH_MS - since_ms)))

    def show_hazard(self, incident_id: str, ring: list[tuple[float, float]]) -> None:
        """Draw an assessment's hazard zone (replacing the incident's previous one); before
        the page is ready it is kept and drawn once it is."""
        self._hazards[incident_id] = ring
        if not self.page_ready:
            return
        inc = self.picture.incidents.get(incident_id)
        level = inc.level if inc else None
        zones = {"set": [[f"hazard:{incident_id}", [list(p) for p in ring], level]], "del": []}
        self.page().runJavaScript(f"hall.apply({json.dumps({'zones': zones})})")
        self.page().runJavaScript(f"hall.focus({json.dumps([list(p) for p in ring])})")

    def highlight(
        self, lat: float, lon: float, label: str, track: list[tuple[float, float]] | None = None
    ) -> None:
        """Fly to a point and ring it with its name, its track behind it (an emergency
        located from the bar)."""
        if self.page_ready:
            points = [list(p) for p in track or []]
            args = json.dumps([lat, lon, label, points], ensure_ascii=False)[1:-1]
            self.page().runJavaScript(f"hall.highlight({args})")

    def pick_point(self, on: bool) -> None:
        """Report the next click on the map as a place (``bridge.picked``), or stop."""
        if self.page_ready:
            self.page().runJavaScript(f"hall.pick({'true' if on else 'false'})")

    def unit_count(self) -> int:
        """Units sent to the map and still on it."""
        return len(self._on_map)

    def flush(self) -> None:
        """Send everything pending in one script call (at most every 50 ms)."""
        pending = (
            self._pending_units
            or self._pending_incidents
            or self._pending_resources
            or self._pending_warnings
            or self._pending_report_areas
        )
        if not self.page_ready or not pending:
            return
        self._last_flush = time.monotonic()
        batch = self.batch(self._pending_units, self._pending_incidents)
        batch["resources"] = self.resource_batch(self._pending_resources)
        batch["warnings"] = self.warning_batch(self._pending_warnings)
        for key in self._pending_report_areas:  # areas sketched on the scene, with the reports
            rep = self.picture.reports.get(key)
            if rep is not None and rep.area:
                inc = self.picture.incidents.get(rep.incident_id)
                ring = [list(p) for p in rep.area]
                batch["zones"]["set"].append([f"report:{key}", ring, inc.level if inc else None])
        self._pending_report_areas = set()
        self._pending_units, self._pending_incidents = set(), set()
        self._pending_resources, self._pending_warnings = set(), set()
        script = f"hall.apply({json.dumps(batch, ensure_ascii=False)})"
        if self.on_applied:
            keys = [u[0] for u in batch["units"]["set"]]
            self.page().runJavaScript(script, 0, lambda _r: self._applied(keys))
        else:
            self.page().runJavaScript(script)
        self.batches_sent += 1

    def _applied(self, unit_keys: list[str]) -> None:
        for callback in self.on_applied:
            callback(unit_keys)

    def warning_batch(self, keys: set[str]) -> dict[str, list[Any]]:
        """Inbound warnings' areas (polygons and circles), coloured by CAP severity."""
        out: dict[str, list[Any]] = {"set": [], "del": []}
        for key in keys:
            w = self.picture.warnings.get(key)
            if w is None:
                out["del"].append(key)
                continue
            polygons = [[list(p) for p in ring] for a in w.areas for ring in a.polygons]
            circles = [list(c) for a in w.areas for c in a.circles]
            if polygons or circles:
                label = w.headline or w.event
                out["set"].append([key, polygons, circles, w.severity, label, w.touches_city])
        return out

    def resource_batch(self, keys: set[str]) -> dict[str, list[Any]]:
        """Facilities, shelters (with occupancy), teams, depots, monitoring points (with their
        alarm state) for the changed keys."""
        out: dict[str, list[Any]] = {"set": [], "del": []}
        for key in keys:
            r = self.picture.resources.get(key)
            if r is None:
                if key not in self.picture.monitor:
                    out["del"].append(key)
                continue
            label = ""
            if r.resource_type == "shelter" and r.capacity:
                label = f"{r.occupancy}/{r.capacity}"
            elif r.resource_type == "monitoring_point" and r.last_value is not None:
                label = f"{r.last_value:g}"
            alarm = self.picture.monitor.get(key)
            out["set"].append(
                [
                    key,
                    r.resource_type,
                    r.lat,
                    r.lon,
                    r.name,
                    label,
                    alarm.severity if alarm else None,
                ]
            )
        return out

    def batch(self, unit_keys: set[str], incident_keys: set[str]) -> dict[str, Any]:
        """The JSON batch for these keys (removals for keys no longer in the picture)."""
        picture = self.picture
        units: dict[str, list[Any]] = {"set": [], "del": []}
        for key in unit_keys:
            u = picture.units.get(key)
            if u is None:
                if key in self._on_map:
                    units["del"].append(key)
                    self._on_map.discard(key)
                continue
            units["set"].append(
                [
                    key,
                    u.lat,
                    u.lon,
                    u.unit_type,
                    u.heading_deg,
                    u.callsign or key,
                    picture.is_stale(u),
                ]
            )
            self._on_map.add(key)
        incidents: dict[str, list[Any]] = {"set": [], "del": []}
        zones: dict[str, list[Any]] = {"set": [], "del": []}
        for key in incident_keys:
            inc = picture.incidents.get(key)
            if inc is None:
                incidents["del"].append(key)
                if key in self._zones:
                    zones["del"].append(key)
                    self._zones.discard(key)
                continue
            incidents["set"].append(
                [key, inc.lat, inc.lon, inc.level, inc.title, inc.status, inc.exercise]
            )
            if inc.area:
                zones["set"].append([key, [list(p) for p in inc.area], inc.level])
                self._zones.add(key)
            elif key in self._zones:
                zones["del"].append(key)
                self._zones.discard(key)
        return {"units": units, "incidents": incidents, "zones": zones}
