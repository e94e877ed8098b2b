"""The offline situation map in a real QtWebEngine view under Xvfb: what it shows, what it
refuses to fetch, MBTiles, drawn polygons, missing assets."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from command_center.map.mbtiles import Mbtiles, MbtilesError
from command_center.map.qt_map_view import QtMapView, choose_render, map_problem
from shared.client import SituationPicture
from shared.protocol import IncidentState, UnitState
from shared.sim import make_units
from tests.support import idle_replica


def _js(qtbot: Any, view: QtMapView, script: str, timeout: int = 5000) -> Any:
    out: list[Any] = []
    view.page().runJavaScript(script, 0, out.append)
    qtbot.waitUntil(lambda: bool(out), timeout=timeout)
    return out[0]


def _js_json(qtbot: Any, view: QtMapView, expr: str, timeout: int = 5000) -> Any:
    """The value of ``expr`` (a promise is awaited) as JSON, polled from the page."""
    _js(
        qtbot,
        view,
        "window.__r = undefined; Promise.resolve().then(() => " + expr + ")"
        ".then(v => { window.__r = JSON.stringify(v); })"
        ".catch(e => { window.__r = JSON.stringify('ERROR ' + e); }); 1",
    )
    out: list[str] = []

    def done() -> bool:
        value = _js(qtbot, view, "window.__r === undefined ? '' : window.__r")
        if value:
            out.append(value)
        return bool(value)

    qtbot.waitUntil(done, timeout=timeout)
    return json.loads(out[0])


def _counts(qtbot: Any, view: QtMapView) -> dict[str, Any]:
    return json.loads(_js(qtbot, view, "JSON.stringify(hall.counts())"))  # type: ignore[no-any-return]


def _unit(u: Any, lat: float | None = None) -> UnitState:
    return UnitState(
        unit_id=u.unit_id,
        device="sim",
        lat=lat if lat is not None else u.lat,
        lon=u.lon,
        fix_time=datetime.now(UTC),
        heading_deg=90.0,
        speed_mps=u.speed_mps,
        unit_type=u.unit_type,
        callsign=u.callsign,
    )


def _view(qtbot: Any, picture: SituationPicture, **kw: Any) -> QtMapView:
    view = QtMapView(picture, **kw)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: view.page_ready, timeout=20_000)
    return view


def test_units_and_incidents_appear_and_move_with_no_request_leaving(
    qtbot: Any, artifacts: Path
) -> None:
    picture = SituationPicture()
    view = _view(qtbot, picture)  # how soon the map is ready is ./run bench map's figure
    units = make_units("M", 200, seed=4)
    for u in units:
        picture.on_update("unit", u.unit_id, _unit(u))
    area = [(37.60, 115.60), (37.60, 115.66), (37.64, 115.66), (37.64, 115.60), (37.60, 115.60)]
    now = datetime.now(UTC)
    picture.on_update(
        "incident",
        "I-1",
        IncidentState(
            incident_id="I-1",
            title="滏阳河漫堤",
            lat=37.62,
            lon=115.63,
            status="responding",
            updated=now,
            level=2,
            area=area,
        ),
    )
    picture.on_update(
        "incident",
        "EX-1",
        IncidentState(
            incident_id="EX-1",
            title="演练",
            lat=37.9,
            lon=115.8,
            status="reported",
            updated=now,
            level=4,
            exercise=True,
        ),
    )
    view.apply(picture.take_changes())
    qtbot.waitUntil(lambda: _counts(qtbot, view)["units"] == 200, timeout=10_000)
    counts = _counts(qtbot, view)
    assert (counts["incidents"], counts["zones"], counts["bridge"]) == (2, 1, True)
    sent = view.batches_sent
    # Moving 50 units: they move on the page, in one batched call.
    for u in units[:50]:
        picture.on_update("unit", u.unit_id, _unit(u, lat=u.lat + 0.01))
    view.apply(picture.take_changes())
    first = units[0]
    qtbot.waitUntil(
        lambda: (
            abs(_js_json(qtbot, view, f"hall.unitAt({first.unit_id!r})")[0] - (first.lat + 0.01))
            < 1e-9
        ),
        timeout=5000,
    )
    assert view.batches_sent == sent + 1
    # Removing a unit and an incident (closed) takes them off.
    picture.on_update("unit", units[1].unit_id, None)
    picture.on_update("incident", "I-1", None)
    view.apply(picture.take_changes())
    qtbot.waitUntil(lambda: _counts(qtbot, view)["units"] == 199, timeout=5000)
    assert _counts(qtbot, view)["zones"] == 0 and view.unit_count() == 199
    view.grab().save(str(artifacts / "map-200-units.png"))
    # Nothing the page loaded came from anywhere but hall:// and qrc://.
    assert view.guard.blocked == []
    assert view.guard.seen >= 10 and view.handler.served >= 10


def test_a_request_for_the_internet_is_blocked_and_recorded(qtbot: Any) -> None:
    view = _view(qtbot, SituationPicture())
    _js(
        qtbot,
        view,
        "var i = new Image(); i.src = 'https://tile.openstreetmap.org/5/26/12.png';"
        "fetch('http://example.com/leak.js').catch(() => 0); 1",
    )
    qtbot.waitUntil(lambda: len(view.guard.blocked) >= 2, timeout=5000)
    assert any("tile.openstreetmap.org" in u for u in view.guard.blocked)
    assert any("example.com" in u for u in view.guard.blocked)


def _png(colour: str) -> bytes:
    image = QImage(256, 256, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(buf.data().data())


def _mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes]) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    db.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("name", "测试瓦片"), ("format", "png"), ("bounds", "115.2,37.0,116.6,38.4")],
    )
    for (z, x, y), data in tiles.items():
        db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
    db.commit()
    db.close()


def test_mbtiles_tiles_are_served_and_a_corrupt_file_is_explained(
    qtbot: Any, tmp_path: Path
) -> None:
    good = tmp_path / "city.mbtiles"
    tile = _png("#336699")
    _mbtiles(good, {(9, 420, 194): tile})  # an XYZ tile over Hengshui
    reader = Mbtiles(good)
    assert reader.tile(9, 420, 194) == tile and reader.tile(9, 0, 0) is None
    assert (reader.layer.min_zoom, reader.layer.max_zoom) == (9, 9)
    view = _view(qtbot, SituationPicture(), mbtiles=good)
    assert view.problems == []
    # Leaflet loads tiles as images: the same way here.
    loaded = _js_json(
        qtbot,
        view,
        "new Promise(ok => { const i = new Image(); i.onload = () => ok([i.naturalWidth, "
        "i.naturalHeight]); i.onerror = () => ok('error'); i.src = 'hall://tiles/9/420/194'; })",
    )
    assert loaded == [256, 256]
    missing_tile = _js_json(
        qtbot,
        view,
        "new Promise(ok => { const i = new Image(); i.onload = () => ok('loaded'); "
        "i.onerror = () => ok('error'); i.src = 'hall://tiles/9/0/0'; })",
    )
    assert missing_tile == "error"
    html = view.handler.page_html.decode()
    name = "本地瓦片（MBTiles） 测试瓦片"
    assert name in html or json.dumps(name)[1:-1] in html  # in the layer switcher
    corrupt = tmp_path / "broken.mbtiles"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(MbtilesError, match="not a usable MBTiles file"):
        Mbtiles(corrupt)
    broken = _view(qtbot, SituationPicture(), mbtiles=corrupt)
    assert len(broken.problems) == 1 and "not a usable MBTiles file" in broken.problems[0]
    assert _counts(qtbot, broken)["bridge"] is True  # the map still works


def test_a_drawn_polygon_reaches_python(qtbot: Any) -> None:
    view = _view(qtbot, SituationPicture())
    with qtbot.waitSignal(view.bridge.polygon, timeout=5000) as got:
        _js(
            qtbot,
            view,
            "hall.map().fire(L.Draw.Event.CREATED, {layer: L.polygon("
            "[[37.70, 115.60], [37.70, 115.70], [37.75, 115.65]])}); 1",
        )
    assert got.args == [[(37.70, 115.60), (37.70, 115.70), (37.75, 115.65)]]


def test_missing_assets_are_explained(tmp_path: Path) -> None:
    problem = map_problem(tmp_path / "empty")
    assert problem is not None and "./run setup" in problem and "leaflet@1.9.4" in problem
    assert map_problem() is None  # set-up fetched them for this checkout


def test_the_window_opens_without_map_assets_and_says_why(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:

    from command_center.app import qt_main_window
    from command_center.app.qt_situation_view import QtSituationView

    monkeypatch.setattr(qt_main_window, "map_problem", lambda: "地图资源缺失：请运行 ./run setup")
    replica = idle_replica()
    window = qt_main_window.QtMainWindow(SituationPicture(), replica)
    qtbot.addWidget(window)
    window.show()
    assert isinstance(window.view, QtSituationView)
    assert window.problem.isVisible() and "./run setup" in window.problem.text()


def test_resources_and_monitoring_alarms_show_on_the_map(qtbot: Any, artifacts: Path) -> None:
    from shared.domain import sample_data
    from shared.protocol import MonitorAlarmState, ResourceState

    picture = SituationPicture()
    view = _view(qtbot, picture)
    now = datetime.now(UTC)
    for r in sample_data().resources:
        fields = {f: getattr(r, f) for f in r.__struct_fields__}
        rid = fields.pop("resource_id")
        picture.on_update(
            "resource", rid, ResourceState(resource_id=rid, updated=now, sample=True, **fields)
        )
    view.apply(picture.take_changes())
    qtbot.waitUntil(lambda: _counts(qtbot, view)["resources"] == 105, timeout=10_000)
    picture.on_update(
        "monitor",
        "WL-FUYANG-1",
        MonitorAlarmState(
            point_id="WL-FUYANG-1",
            name="滏阳河衡水站水位",
            measure="water_level_m",
            value=23.9,
            threshold=23.5,
            severity="alarm",
            measured=now,
            raised=now,
            lat=37.745,
            lon=115.703,
        ),
    )
    view.apply(picture.take_changes())
    qtbot.waitUntil(
        lambda: _js_json(qtbot, view, "document.querySelectorAll('.hall-alarm-alarm').length") >= 0,
        timeout=5000,
    )
    _js(qtbot, view, "hall.map().setView([37.745, 115.703], 13); 1")
    qtbot.waitUntil(
        lambda: _js_json(qtbot, view, "document.querySelectorAll('.hall-alarm-alarm').length") == 1,
        timeout=5000,
    )
    picture.on_update("resource", "SH-131102", None)
    view.apply(picture.take_changes())
    qtbot.waitUntil(lambda: _counts(qtbot, view)["resources"] == 104, timeout=5000)
    # the legend names every symbol drawn; a click folds it away
    legend = _js_json(qtbot, view, "document.querySelector('.hall-legend').innerText")
    for text in ("图例", "救援队伍", "避难场所", "失联", "Ⅰ级", "预警区域", "聚合"):
        assert text in legend
    # county names stay above the clusters
    label_z = _js_json(
        qtbot, view, "Number(document.querySelector('.hall-label-icon').style.zIndex)"
    )
    cluster_z = _js_json(
        qtbot,
        view,
        "Math.max(...[...document.querySelectorAll('.marker-cluster, .hall-resource-cluster')]"
        ".map(e => Number(e.style.zIndex)), 0)",
    )
    assert label_z > cluster_z
    view.grab().save(str(artifacts / "map-resources.png"))
    assert view.guard.blocked == []


def test_the_page_is_built_once_per_inputs_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from command_center.map import page

    first = page.cached_page(cache_dir=tmp_path)
    assert "hall.init(" in first and len(list(tmp_path.glob("map-*.html"))) == 1

    def no_build(**_kw: object) -> str:
        raise AssertionError("the cached page should have been used")

    monkeypatch.setattr(page, "build_page", no_build)
    assert page.cached_page(cache_dir=tmp_path) == first
    server = page.TileServer(name="天地图（内网）", url="http://t{s}.tdt.intranet/{z}/{x}/{y}")
    with pytest.raises(AssertionError, match="should have been used"):
        page.cached_page(tile_servers=[server], cache_dir=tmp_path)  # other inputs: rebuilt
    with pytest.raises(AssertionError, match="should have been used"):
        page.cached_page(texts={"桃城区": "Taocheng District"}, cache_dir=tmp_path)
    # No translation is the same page as an empty one (the Chinese window keeps its cache).
    assert page.page_key(None, None, 9, {}) == page.page_key(None, None, 9)


def test_the_page_shows_its_own_texts_translated() -> None:
    from command_center.map import page

    english = {page.BASEMAP_NAME: "Divisions", "桃城区": "Taocheng District"}
    built = page.build_page(texts=english)

    def count(text: str) -> int:  # as written, or as folium's JSON escapes it
        return built.count(text) + built.count(json.dumps(text)[1:-1])

    assert count("Divisions") >= 1 and count(page.BASEMAP_NAME) == 0
    assert count("Taocheng District") >= 2 and count("桃城区") == 0  # label and tooltip
    assert count("冀州区") >= 2  # a name with no translation stays as it is
    from shared.geo.boundaries import hengshui_boundaries

    names = {f["properties"]["name"] for f in hengshui_boundaries()["features"]}
    assert "桃城区" in names  # the shared boundaries were not changed in place
    assert names <= set(page.page_texts())  # every division name can be translated


def test_the_drawing_mode_follows_the_machine_and_the_operator(tmp_path: Path) -> None:
    no_gpu = tmp_path / "nodri"  # a machine with no render device (VMs, Xvfb, CI)
    gpu = tmp_path / "dri"
    gpu.mkdir()
    (gpu / "renderD128").touch()

    def on_linux(requested: str, dri: Path, **environ: str) -> tuple[str, str]:
        return choose_render(requested, platform="linux", dri_dir=dri, environ=environ)

    mode, why = on_linux("auto", no_gpu)
    assert mode == "software" and "no GPU render device" in why
    assert on_linux("auto", gpu)[0] == "gpu"
    assert choose_render("auto", platform="win32", dri_dir=no_gpu, environ={})[0] == "gpu"
    # The operator's word wins over the guess, and so does an explicit environment.
    assert on_linux("gpu", no_gpu) == ("gpu", "asked for")
    assert on_linux("software", gpu)[0] == "software"
    assert on_linux("auto", gpu, QT_QUICK_BACKEND="software")[0] == "software"
    assert on_linux("auto", no_gpu, QT_QUICK_BACKEND="opengl")[0] == "gpu"
    assert on_linux("auto", gpu, LIBGL_ALWAYS_SOFTWARE="1")[0] == "software"
    with pytest.raises(ValueError, match="choose one of auto, gpu, software"):
        choose_render("vulkan")
