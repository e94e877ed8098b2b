"""The command-hall main window: composes the panels, owns nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from command_center.app.i18n import tr
from command_center.app.qt_alarm_bar import AckEmergency, QtAlarmBar
from command_center.app.qt_assessment_panel import QtAssessmentPanel, Respond
from command_center.app.qt_dispatch_board import IssueOrder, QtDispatchBoard
from command_center.app.qt_duty_panel import QtDutyPanel, WriteLog
from command_center.app.qt_incident_board import FileWritten, QtIncidentBoard
from command_center.app.qt_incident_forms import Act, ReadRecord, TakeCall
from command_center.app.qt_situation_view import QtSituationView
from command_center.app.qt_statistics import QtStatistics
from command_center.app.qt_unit_table import QtUnitTable
from command_center.app.qt_warning_panel import ConfirmDraft, QtWarningPanel
from command_center.app.theme import STYLE, scaled_style
from command_center.map.qt_map_view import QtMapView, map_problem
from gui_common.wheel import guard_wheel
from shared.client import LinkState, Replica, SituationPicture

FRAME_MS = 25  # how often picture changes are taken; the map sends at most one batch per 50 ms


PANEL_PX = 960
"""What the panels need to show ids, states and the words beside them without cutting."""


class QtMainWindow(QMainWindow):
    """Title and status line, the situation view, and the unit list."""

    def __init__(
        self,
        picture: SituationPicture,
        replica: Replica,
        *,
        use_map: bool = True,
        mbtiles: Path | None = None,
        issue_order: IssueOrder | None = None,
        respond: Respond | None = None,
        write_log: WriteLog | None = None,
        confirm_draft: ConfirmDraft | None = None,
        file_written: FileWritten | None = None,
        ack_emergency: AckEmergency | None = None,
        act: Act | None = None,
        take_call: TakeCall | None = None,
        new_incident_id: Callable[[], str] = lambda: "",
        read_record: ReadRecord | None = None,
        media: Callable[[], tuple[Any, Path | None]] | None = None,
    ) -> None:
        super().__init__()
        self.picture = picture
        self.replica = replica
        self.setWindowTitle(tr("衡水市应急指挥平台 — 指挥大厅"))
        self.setStyleSheet(STYLE)
        root = QWidget()
        outer = QVBoxLayout(root)
        header = QHBoxLayout()
        title = QLabel(tr("衡水市应急指挥平台 · 态势总览"))
        title.setObjectName("title")
        self.status = QLabel(tr("正在连接指挥中心…"))
        self.status.setObjectName("status")
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(title)
        header.addWidget(self.status, 1)
        outer.addLayout(header)
        self.alarms = QtAlarmBar(picture, ack_emergency=ack_emergency)
        outer.addWidget(self.alarms)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        outer.addWidget(self.problem)
        body = QHBoxLayout()
        problem = map_problem() if use_map else None
        self.view: QtMapView | QtSituationView
        if use_map and problem is None:
            self.view = QtMapView(picture, mbtiles=mbtiles)
            problems = self.view.problems
        else:
            # No map assets: the window still opens, with the simple view, and says why.
            self.view = QtSituationView(picture)
            problems = [problem] if problem else []
        if problems:
            self.problem.setText("⚠ " + "；".join(problems))
            self.problem.show()
        self.table = QtUnitTable(picture)
        self.dispatch = QtDispatchBoard(picture, issue_order)
        self.incidents = QtIncidentBoard(
            picture,
            file_written=file_written,
            act=act,
            take_call=take_call,
            new_id=new_incident_id,
            read_record=read_record,
        )
        self.assessment = QtAssessmentPanel(picture, respond, issue=issue_order)
        self.incidents.selected.connect(self.assessment.show_incident)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.incidents, tr("事件"))
        self.tabs.addTab(self.assessment, tr("研判"))
        self.tabs.addTab(self.table, tr("单位"))
        self.tabs.addTab(self.dispatch, tr("调度"))
        self.table.dispatch.connect(self.dispatch_to)
        self.alarms.locate.connect(self.locate_emergency)
        device = getattr(getattr(replica, "bundle", None), "device", "")
        self.duty = QtDutyPanel(picture, write_log, act=act, device=device)
        self.tabs.addTab(self.duty, tr("值班"))
        self.statistics = QtStatistics(picture)
        self.tabs.addTab(self.statistics, tr("统计"))
        self.warnings = QtWarningPanel(picture, confirm_draft)
        self.tabs.addTab(self.warnings, tr("预警·报送"))
        # The video wall is built when first looked at: the media stack (aiortc, FFmpeg)
        # costs memory a hall that never watches a feed need not pay.
        self._media_factory = media
        self.video_wall: Any = None
        self.video_tab = QLabel(tr("视频墙: 打开本页时启动"))
        self.video_tab.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if media is not None:
            self.tabs.addTab(self.video_tab, tr("视频"))
        self.tabs.currentChanged.connect(self.on_tab_changed)
        if isinstance(self.view, QtMapView):
            self.view.bridge.clicked.connect(self.on_map_clicked)
            self.view.bridge.picked.connect(self.incidents.form.set_point)
            self.view.bridge.polygon.connect(self.incidents.form.set_area)
            self.incidents.form.pick.connect(self.view.pick_point)
            self.assessment.zone.connect(self.view.show_hazard)
        else:
            self.incidents.form.pick_button.setEnabled(False)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.view)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.splitterMoved.connect(self._split_moved)
        body.addWidget(self.split)
        outer.addLayout(body, 1)
        self.font_scale = 1.0
        self._split_set = False
        """Whether the map/panel split was restored or set for the window's size."""
        self.desk: QWidget | None = None
        """The panels' own window when the map has the wall to itself."""
        self._shortcuts()
        self.setCentralWidget(root)
        self._last_table = 0.0
        self._started = time.monotonic()
        self._map_problems = problems
        self.link_state: Callable[[], LinkState] | None = None
        """The client's link to the hub (set by the application; None: read-only)."""
        self.hub_address = ""
        self._refused = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_timer_tick)
        self._timer.start(FRAME_MS)
        self._stale_timer = QTimer(self)
        self._stale_timer.timeout.connect(self.on_stale_timer_tick)
        self._stale_timer.start(1000)

        guard_wheel(self)  # figures change by typing or clicking, never a stray wheel

    def on_timer_tick(self) -> None:
        """Apply everything that changed since the last frame in one pass."""
        changes = self.picture.take_changes()
        if changes:
            self.view.apply(changes)
        now = time.monotonic()
        if changes.units and now - self._last_table > 0.5:
            self._last_table = now
            self.table.refresh()
        if changes.orders or changes.presence or changes.incidents:
            self.dispatch.refresh()
        if changes.incidents or changes.reports or changes.alarms:
            self.incidents.refresh()
        if changes.resources:
            self.assessment.resources_changed()
        if changes.responses or changes.resources:
            self.assessment.refresh()
        if changes.alarms or changes.monitor or changes.emergencies:
            self.alarms.refresh()
        if changes.duty:
            self.duty.refresh()
        if changes.warnings:
            self.warnings.refresh()
        elif changes.relay:
            self.warnings.refresh_relay()
        if changes.relay:
            backlog = sum(st.queued for st in self.picture.relay.values())
            title = tr("预警·报送") + (f" ⚠{backlog}" if backlog else "")
            self.tabs.setTabText(self.tabs.indexOf(self.warnings), title)
        if (changes.incidents or changes.reports) and self.tabs.currentWidget() is self.statistics:
            self.statistics.refresh()
        self._update_status(now)

    def _show_problems(self, live: bool, now: float) -> None:
        """The banner: map problems, and what is wrong with the link and how to fix it."""
        problems = list(self._map_problems)
        state = self.link_state() if self.link_state is not None else None
        # The client retries a refused key with a fresh socket now and then: remember the
        # refusal until the hub answers again, so the banner does not flicker.
        if state is LinkState.REFUSED:
            self._refused = True
        elif live:
            self._refused = False
        if self._refused:
            problems.append(
                tr(
                    "指挥中心拒绝了本机的密钥（已吊销、过期或未登记）：请管理员用 "
                    "command-center enroll 重新登记本机，并导入新的密钥包"
                )
            )
        elif not live and now - self._started > 5.0:
            where = f" {self.hub_address}" if self.hub_address else ""
            problems.append(
                tr(
                    "无法连接指挥中心{where}：请检查网络和指挥中心服务；"
                    "恢复后自动重连，期间的操作已排队"
                ).format(where=where)
            )
        text = "⚠ " + "；".join(problems) if problems else ""
        if text != self.problem.text():
            self.problem.setText(text)
            self.problem.setVisible(bool(text))

    # --- large displays ---------------------------------------------------------------

    def _shortcuts(self) -> None:
        """F11 full screen; Ctrl+= / Ctrl+- / Ctrl+0 text size; Ctrl+1 … Ctrl+N the tabs;
        Ctrl+M mutes the alarm tone."""
        keys: list[tuple[str, Callable[[], None]]] = [
            ("F11", self.toggle_full_screen),
            ("Ctrl+=", lambda: self.scale_fonts(self.font_scale * 1.15)),
            ("Ctrl++", lambda: self.scale_fonts(self.font_scale * 1.15)),
            ("Ctrl+-", lambda: self.scale_fonts(self.font_scale / 1.15)),
            ("Ctrl+0", lambda: self.scale_fonts(1.0)),
            ("Ctrl+M", self.alarms.on_mute_clicked),
        ]
        for i in range(self.tabs.count()):
            keys.append((f"Ctrl+{i + 1}", partial(self.tabs.setCurrentIndex, i)))
        self.shortcuts: list[QShortcut] = []
        for key, action in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(action)
            self.shortcuts.append(shortcut)

    def resizeEvent(self, event: Any) -> None:
        """Until someone moves the divider, the panels get what they need to be read
        (:data:`PANEL_PX`, or two fifths of a wider screen) and the map the rest."""
        super().resizeEvent(event)
        if not self._split_set and self.split.parent() is not None:
            # the splitter is laid out after this event: the window's new width stands in
            # for its own (the sizes are kept in proportion when it is)
            width = max(1, event.size().width())
            # the panels need about 960 px for whole ids and the words beside them; beyond
            # that the map takes three fifths
            panel = min(width, max(width * 2 // 5, min(PANEL_PX, width // 2)))
            self.split.setSizes([width - panel, panel])

    def _split_moved(self, _pos: int, _index: int) -> None:
        self._split_set = True

    def toggle_full_screen(self) -> None:
        """Full screen on the wall display, or back."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def scale_fonts(self, scale: float) -> None:
        """Text size for the distance of the wall (0.6× … 3×)."""
        self.font_scale = max(0.6, min(3.0, scale))
        self.setStyleSheet(scaled_style(self.font_scale))
        if isinstance(self.view, QtMapView):
            self.view.setZoomFactor(self.font_scale)

    def place_on_screen(self, index: int, *, full_screen: bool) -> str | None:
        """Move to screen ``index`` (0 = primary); returns a problem, or None."""
        screens = QGuiApplication.screens()
        if not 0 <= index < len(screens):
            return tr("没有第 {n} 块屏幕（共 {count} 块），窗口留在主屏").format(
                n=index + 1, count=len(screens)
            )
        screen = screens[index]
        self.setScreen(screen)
        self.move(screen.availableGeometry().topLeft())
        if full_screen:
            self.showFullScreen()
        return None

    def split_screens(self, wall: int, desk: int) -> str | None:
        """The map full screen on the wall, the panels in their own window on the desk
        screen; returns a problem (a screen that is not there), or None."""
        screens = QGuiApplication.screens()
        for n in (wall, desk):
            if not 0 <= n < len(screens):
                return tr("没有第 {n} 块屏幕（共 {count} 块），地图和面板留在同一窗口").format(
                    n=n + 1, count=len(screens)
                )
        self.desk = QWidget()
        self.desk.setWindowTitle(tr("衡水市应急指挥平台 — 指挥席"))
        self.desk.setStyleSheet(self.styleSheet())
        layout = QVBoxLayout(self.desk)
        layout.addWidget(self.tabs)  # re-parents the panels out of the splitter
        self.desk.setScreen(screens[desk])
        self.desk.move(screens[desk].availableGeometry().topLeft())
        self.desk.resize(screens[desk].availableGeometry().size())
        self.desk.show()
        self.place_on_screen(wall, full_screen=True)
        return None

    def save_layout(self, settings: QSettings) -> None:
        """Window geometry, the map/panel split, the tab and text size."""
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/split", self.split.saveState())
        settings.setValue("window/tab", self.tabs.currentIndex())
        settings.setValue("window/font_scale", self.font_scale)
        settings.sync()

    def restore_layout(self, settings: QSettings) -> bool:
        """Bring back what :meth:`save_layout` kept (missing values are left alone); False
        when there was no saved window (the first start: the caller fills the screen)."""
        geometry = settings.value("window/geometry")
        saved = isinstance(geometry, QByteArray)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        split = settings.value("window/split")
        if isinstance(split, QByteArray):
            self.split.restoreState(split)
            self._split_set = True
        tab = settings.value("window/tab")
        if tab is not None:
            self.tabs.setCurrentIndex(int(tab))
        scale = settings.value("window/font_scale")
        if scale is not None:
            self.scale_fonts(float(scale))
        return saved

    def on_tab_changed(self, _index: int) -> None:
        """Charts are drawn when they are looked at; the video wall starts when first shown."""
        if self.tabs.currentWidget() is self.statistics:
            self.statistics.refresh()
        elif self.tabs.currentWidget() is self.video_tab:
            self.open_video_wall()

    def open_video_wall(self) -> Any:
        """The video wall tab, built and started on first use."""
        if self.video_wall is None and self._media_factory is not None:
            from command_center.app.qt_video_wall import QtVideoWall

            media, recordings = self._media_factory()
            sizes = self.split.sizes()  # the wall's tiles must not push the map aside
            self.video_wall = QtVideoWall(media, self.picture, recordings)
            self.video_wall.setMinimumWidth(0)
            index = self.tabs.indexOf(self.video_tab)
            self.tabs.blockSignals(True)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, self.video_wall, tr("视频"))
            self.tabs.setCurrentIndex(index)
            self.tabs.blockSignals(False)
            if self.split.indexOf(self.tabs) >= 0:
                self.split.setSizes(sizes)
            media.start()
        return self.video_wall

    def locate_emergency(self, alert_id: str) -> None:
        """An SOS clicked in the bar: the map flies to the person and rings them; their unit
        is selected in the unit list."""
        e = self.picture.emergencies.get(alert_id)
        if e is None:
            return
        lat, lon = self.alarms.position(e)
        who = e.callsign or e.device
        unit = self.alarms.unit_of(e)
        track = list(self.picture.tracks.get(unit.unit_id, ())) if unit is not None else []
        if lat is not None and lon is not None and isinstance(self.view, QtMapView):
            self.view.highlight(lat, lon, f"SOS {who}", track)
        if unit is not None:
            self.tabs.setCurrentWidget(self.table)
            self.table.select_unit(unit.unit_id)

    def dispatch_to(self, key: str) -> None:
        """The dispatch tab, with ``key`` (``unit:ID``, ``team:ID`` …) as the recipient and
        the selected incident filled in, ready for the order's words."""
        self.tabs.setCurrentWidget(self.dispatch)
        if not self.dispatch.choose(key, self.incidents.current):
            self.dispatch.result.setText(tr("找不到接收方 {key}").format(key=key))

    def on_map_clicked(self, kind: str, key: str) -> None:
        """A click on an incident opens it on the board; on a warning, in the warnings tab;
        on a unit, its row in the unit list; on a team, the dispatch form for it."""
        if kind == "unit":
            self.tabs.setCurrentWidget(self.table)
            self.table.select_unit(key)
        elif kind == "resource":
            res = self.picture.resources.get(key)
            if res is not None and res.resource_type == "team":
                self.dispatch_to(f"team:{key}")
        elif kind == "incident":
            self.tabs.setCurrentWidget(self.incidents)
            self.incidents.select(key)
        elif kind == "warning":
            self.tabs.setCurrentWidget(self.warnings)
            self.warnings.select(key)

    def on_stale_timer_tick(self) -> None:
        """Grey out units that stopped reporting."""
        self.view.refresh_staleness()
        self.table.refresh()
        self.dispatch.refresh()  # the waiting times move on
        self.incidents.show_detail()  # and the deadline countdowns

    def _update_status(self, now: float) -> None:
        live = self.replica.synced.is_set() and now - self.replica.last_beat < 3.0
        self._show_problems(live, now)
        fresh, stale = self.picture.unit_counts()
        presence = self.picture.presence_counts()
        link = tr("● 已连接") if live else tr("● 未连接")
        self.status.setProperty("state", "online" if live else "offline")
        online, late, off = presence["online"], presence["stale"], presence["offline"]
        counts = tr(
            "单位 {fresh} 在线 / {stale} 失联   事件 {incidents}   "
            "终端 在线 {online} · 延迟 {late} · 离线 {off}"
        ).format(
            fresh=fresh,
            stale=stale,
            incidents=len(self.picture.incidents),
            online=online,
            late=late,
            off=off,
        )
        self.status.setText(f"{link}   {counts}")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
