"""The field / liaison window: a status strip (link, queued, last contact, GPS, SOS) over
the profile's tabs — a field team: 任务 (orders), 报告, 位置; a liaison: 指令, 报告, 值班."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from field_unit.app.qt_orders_panel import QtOrdersPanel
from field_unit.app.qt_report_panel import QtReportPanel
from field_unit.app.theme import THEMES
from gui_common.wheel import guard_wheel
from shared.field import FieldSession

QUALITY_ZH = {
    "no fix": "无定位",
    "DGPS": "差分 GPS",
    "RTK fixed": "RTK 固定解",
    "RTK float": "RTK 浮点解",
    "estimated": "推算",
    "manual": "手动输入",
    "simulation": "模拟",
}
LINK_NAMES = {
    "online": "● 在线",
    "offline": "● 离线",
    "connecting": "● 连接中",
    "refused": "● 指挥中心拒绝本机密钥（已吊销或未登记）",
}
REFUSED_HELP = "待发内容保留在本机；请联系值班员重新登记本机，再导入新的密钥包"
"""What a person whose device was refused should do (the hub's handshake cannot say why)."""


CONFIRM_AFTER_MS = 1000
"""The second press that cancels an SOS counts only this long after the first (a double tap,
250 ms apart, used to send and cancel it at once)."""
CONFIRM_WITHIN_MS = 6000
"""… and only until this long after it; then the first press is forgotten."""


def sos_state_text(
    active: bool, acknowledged_by: str, repeat_s: float = 3.0, online: bool = True
) -> str:
    """What the person who pressed SOS needs to know, in plain words."""
    if not active:
        return ""
    if not online and not acknowledged_by:
        return (
            "未连上指挥中心：求救已存在本机，连接一恢复立即发出，并每 3 秒重发直到指挥中心确认。"
            "请同时用电话或对讲机呼救。"
        )
    if acknowledged_by:
        return (
            f"指挥中心已收到并确认您的求救（{acknowledged_by}），正在组织救援。"
            "只有在您已经安全时才按“我已安全·取消求救”：取消后指挥中心会收到“本人取消”。"
        )
    return (
        "求救已发出，每 3 秒重发一次，直到指挥中心确认。只有在您已经安全时才按“我已安全·取消求救”。"
    )


class QtFieldWindow(QMainWindow):
    """Composes the panels of the session's profile."""

    def __init__(self, session: FieldSession, *, theme: str = "day") -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(
            f"衡水应急 · {'联络员' if session.profile == 'liaison' else '现场'} · {session.device}"
        )
        root = QWidget()
        outer = QVBoxLayout(root)
        strip = QHBoxLayout()
        self.link = QLabel("")
        self.link.setObjectName("strip")
        self.gps = QLabel("")
        self.gps.setObjectName("strip")
        strip.addWidget(self.link, 2)
        strip.addWidget(self.gps, 1)
        self.theme_button = QPushButton("夜间" if theme == "day" else "日间")
        self.theme_button.clicked.connect(self.on_theme_clicked)
        strip.addWidget(self.theme_button)
        self.sos = QPushButton("SOS")
        self.sos.setObjectName("sos")
        self.sos.clicked.connect(self.on_sos_clicked)
        strip.addWidget(self.sos)
        outer.addLayout(strip)
        self.sos_state = QLabel("")
        self.sos_state.setObjectName("sosstate")
        self.sos_state.setWordWrap(True)
        self.sos_state.hide()
        sos_row = QHBoxLayout()
        sos_row.addWidget(self.sos_state, 1)
        # Cancelling is its own button, away from SOS, and takes a deliberate second press
        # (not sooner than a second after the first): a double tap cannot cancel a call for
        # help, and SOS pressed again never cancels it.
        self.safe = QPushButton("我已安全·取消求救")
        self.safe.setObjectName("safe")
        self.safe.clicked.connect(self.on_safe_clicked)
        self.safe.hide()
        sos_row.addWidget(self.safe)
        outer.addLayout(sos_row)
        self._safe_armed = False
        self._arming = 0
        self.prealarm = QLabel("长时间未移动：您还好吗？30 秒内不确认将自动发出求救")
        self.prealarm.setObjectName("prealarm")
        self.prealarm.hide()
        self.ok_button = QPushButton("我没事")
        self.ok_button.clicked.connect(self.on_ok_clicked)
        self.ok_button.hide()
        outer.addWidget(self.prealarm)
        outer.addWidget(self.ok_button)
        self.tabs = QTabWidget()
        self.orders = QtOrdersPanel(session)
        self.report = QtReportPanel(session)
        liaison = session.profile == "liaison"
        self.tabs.addTab(self.orders, "指令" if liaison else "任务")
        self.tabs.addTab(self.report, "报告")
        if liaison:
            self.tabs.addTab(self._duty_tab(), "值班")
            self.sos.hide()  # at a desk: the hall is a phone call away
        else:
            self.position = QLabel("")
            self.position.setWordWrap(True)
            self.tabs.addTab(self.position, "位置")
        from field_unit.app.qt_voice_panel import QtVoicePanel

        self.voice = QtVoicePanel()
        self.tabs.addTab(self.voice, "对讲")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(root)
        self.theme = theme
        self.setStyleSheet(THEMES[theme])
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self)
            self.tray.setIcon(
                self.style().standardIcon(self.style().StandardPixmap.SP_MessageBoxWarning)
            )
            self.tray.show()
        self._notified: set[str] = set()
        self.ring = self._ring_sound()
        self.rang = 0
        """How many times the new-order ring started (tests read it; CI has no speakers)."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed: set[str] = {"orders", "fix", "sos"}
        self._soon = False
        session.on_change.append(self.on_session_changed)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_timer_tick)
        self._timer.start(250)
        self.on_timer_tick()

        guard_wheel(self)  # figures change by typing or clicking, never a stray wheel

    def _duty_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.person = QLineEdit()
        self.person.setPlaceholderText("值班人姓名")
        self.post = QLineEdit()
        self.post.setPlaceholderText("岗位（如：水务局值班室）")
        self.sign = QPushButton("签到")
        self.sign.clicked.connect(self.on_sign_clicked)
        self.signed = QLabel("未签到")
        for w in (self.person, self.post, self.sign, self.signed):
            layout.addWidget(w)
        layout.addStretch(1)
        return tab

    # --- the periodic refresh ---------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop redrawing and listening: the session may close right after (and outlive the
        window)."""
        self._timer.stop()
        if self.on_session_changed in self.session.on_change:
            self.session.on_change.remove(self.on_session_changed)
        if self.ring is not None:
            self.ring.stop()
        super().closeEvent(event)

    def on_session_changed(self, what: str) -> None:
        """Note what changed; the next tick redraws it — at once for a new order or the
        hall's answer to an SOS (people wait for those), batched for the rest."""
        self._changed.add(what)
        if what in ("orders", "sos") and not self._soon:
            self._soon = True
            # with the window as context: dropped, not called, once the window is deleted
            QTimer.singleShot(0, self, self.on_timer_tick)

    def on_timer_tick(self) -> None:
        """Redraw what changed; the status strip every tick."""
        self._soon = False
        changed, self._changed = self._changed, set()
        if "orders" in changed:
            self.orders.refresh()
            self.report.refresh_incidents()
            self._notify()
        if "sos" in changed:
            active = self.session.sos.active
            self.sos.setProperty("active", active)
            ack = self.session.sos.acknowledged_by
            self.sos.setText("SOS 已发出" if active else "SOS")
            online = self.session.client.state.value == "online"
            self.sos_state.setText(sos_state_text(active, ack, self.session.sos.repeat_s, online))
            self.sos_state.setVisible(active)
            self.safe.setVisible(active)
            if not active:
                self._disarm_safe()
            self.sos.style().unpolish(self.sos)
            self.sos.style().polish(self.sos)
        if "man_down" in changed:
            self.prealarm.show()
            self.ok_button.show()
        if "fix" in changed and self.session.profile == "field":
            self._show_fix()
        self._show_link()

    def _show_link(self) -> None:
        s = self.session.sync()
        last = "从未"
        if s.last_contact is not None:
            ago = int((datetime.now(UTC) - s.last_contact).total_seconds())
            last = f"{ago} 秒前" if ago < 120 else f"{ago // 60} 分钟前"
        quality = (
            f" · 应答 {s.ack_ms:.0f} ms" if s.ack_ms is not None and s.link == "online" else ""
        )
        link = LINK_NAMES.get(s.link, s.link)
        expires = self.session.bundle.expires
        if s.link == "refused" and expires is not None and expires <= datetime.now(UTC):
            link = f"● 本机密钥包已于 {expires.astimezone():%Y-%m-%d} 过期"
        text = f"{link} · 待发 {s.queued} · 最近联系 {last}{quality}"
        if s.link == "refused":
            text += f"\n{REFUSED_HELP}"
        if self.link.text() != text:
            self.link.setText(text)
            self.link.setProperty("link", "online" if s.link == "online" else "offline")
            self.link.style().unpolish(self.link)
            self.link.style().polish(self.link)

    def _show_fix(self) -> None:
        fix = self.session.fix
        if self.session.gps_problem:
            self.gps.setText("GPS 故障")
            self.position.setText(self.session.gps_problem)
            return
        if fix is None:
            self.gps.setText("GPS 无定位")
            return
        sats = f" {fix.satellites} 星" if fix.satellites else ""
        quality = QUALITY_ZH.get(fix.quality_name, fix.quality_name)
        self.gps.setText(f"定位：{quality}{sats}")
        self.position.setText(
            f"纬度 {fix.lat:.6f}\n经度 {fix.lon:.6f}\n时间 {fix.time.astimezone():%H:%M:%S}\n"
            f"已上报位置 {self.session.positions_sent} 次"
        )

    def _ring_sound(self) -> Any:
        try:
            import tempfile
            from pathlib import Path

            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect

            from shared.tones import write_tone
        except ImportError:  # no audio libraries: the banner and the tray still show
            return None
        tone = Path(tempfile.gettempdir()) / "hengshui-field-ring.wav"
        if not tone.is_file():
            write_tone(tone, (1200.0, 900.0, 1200.0, 0.0), seconds=1.0)
        sound = QSoundEffect(self)
        sound.setSource(QUrl.fromLocalFile(str(tone)))
        return sound

    def _ring(self) -> None:
        """New orders ring until acknowledged; stop when none waits."""
        waiting = bool(self.session.orders.ringing())
        if self.ring is None:
            return
        if waiting and not self.ring.isPlaying():
            self.ring.setLoopCount(-2)  # QSoundEffect.Loop.Infinite
            self.ring.play()
            self.rang += 1
        elif not waiting and self.ring.isPlaying():
            self.ring.stop()

    def _notify(self) -> None:
        self._ring()
        for order in self.session.orders.ringing():
            if order.order_id in self._notified:
                continue
            self._notified.add(order.order_id)
            if self.tray is not None:
                self.tray.showMessage(
                    "新指令", order.text, QSystemTrayIcon.MessageIcon.Warning, 10000
                )
            QApplicationAlert.alert(self)

    # --- actions -----------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_sos_clicked(self) -> None:
        """Raise an SOS; pressed again while one is active, nothing (cancelling is
        :meth:`on_safe_clicked`, twice)."""
        if not self.session.sos.active:
            self._run(self.session.sos.raise_("sos"))

    def on_safe_clicked(self) -> None:
        """The first press asks for a second; the second, a second or more later and within
        a few seconds, cancels the SOS."""
        if not self.session.sos.active:
            return
        if not self._safe_armed:
            self._safe_armed = True
            self._arming += 1
            arming = self._arming
            self.safe.setEnabled(False)
            self.safe.setText("确认已安全？1 秒后再按一次取消求救")
            QTimer.singleShot(CONFIRM_AFTER_MS, self, lambda: self._ready_to_confirm(arming))
            QTimer.singleShot(CONFIRM_WITHIN_MS, self, lambda: self._expire(arming))
            return
        self._disarm_safe()
        self._run(self.session.sos.cancel())

    def _ready_to_confirm(self, arming: int) -> None:
        if self._safe_armed and arming == self._arming:
            self.safe.setEnabled(True)
            self.safe.setText("再按一次：确认取消求救")

    def _expire(self, arming: int) -> None:
        if arming == self._arming:  # (a later first press has timers of its own)
            self._disarm_safe()

    def _disarm_safe(self) -> None:
        self._safe_armed = False
        self.safe.setEnabled(True)
        self.safe.setText("我已安全·取消求救")

    def on_ok_clicked(self) -> None:
        """The person is fine: the man-down count starts again."""
        fix = self.session.fix
        self.session.man_down.answered(fix.time if fix else None)
        self.prealarm.hide()
        self.ok_button.hide()

    def on_theme_clicked(self) -> None:
        """Day ↔ night."""
        self.theme = "night" if self.theme == "day" else "day"
        self.setStyleSheet(THEMES[self.theme])
        self.theme_button.setText("夜间" if self.theme == "day" else "日间")

    def on_sign_clicked(self) -> None:
        """Sign in (or out, with the name emptied)."""
        person = self.person.text().strip()

        async def go() -> None:
            await self.session.sign_in(person, self.post.text().strip())
            self.signed.setText(
                f"{person} 已签到（{self.post.text().strip()}）" if person else "已签退"
            )

        self._run(go())


class QApplicationAlert:
    """Flash the window in the task bar (what the tray does where there is no tray)."""

    @staticmethod
    def alert(widget: QWidget) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.alert(widget, 0)
