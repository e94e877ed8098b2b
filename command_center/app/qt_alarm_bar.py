"""The alarm bar: every open alarm in one line across the top of the hall — reporting
deadlines (overdue red, due soon amber), unanswered orders, monitoring points over their
thresholds — flashing while anything is overdue, with a tone for every new alarm until
someone presses 静音 (mute lasts until the next new alarm)."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QWidget

from command_center.app.i18n import tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.geo.boundaries import describe_place
from shared.protocol import EmergencyState, UnitState
from shared.tones import write_tone

AckEmergency = Callable[[str], Awaitable[str | None]]
"""alert id → None when the acknowledgement was stored, else the refusal."""

TONE_HZ = (880.0, 660.0)
"""Two alternating tones, half a second: hard to mistake for anything else in the hall."""


def alarm_tone(path: Path) -> Path:
    """Write the hall's alarm tone as a WAV file."""
    return write_tone(path, TONE_HZ)


class _ClickableLabel(QLabel):
    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class QtAlarmBar(QWidget):
    """Open alarms, newest first, with sound for new ones. An SOS names the place and,
    clicked (or 定位), takes the hall to it; once acknowledged it leaves the bar for the
    alarm history (报警记录), which keeps who acknowledged it and when."""

    locate = Signal(str)
    """An emergency's alert id: show me where it is."""

    def __init__(
        self,
        picture: SituationPicture,
        parent: QWidget | None = None,
        *,
        ack_emergency: AckEmergency | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.ack_emergency = ack_emergency
        self.setObjectName("alarmbar")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        self.label = _ClickableLabel(tr("无报警"))
        self.label.setObjectName("alarms")
        self.label.clicked.connect(self.on_label_clicked)
        # however many alarms, the line wraps inside the window and never widens it (two SOS
        # once pushed 静音, 报警记录 and the rest off a 1920 px wall)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(200)
        row.addWidget(self.label, 1)
        self.locate_button = QPushButton(tr("定位"))
        self.locate_button.setToolTip(tr("在地图上显示求救人员的位置，并在单位列表中选中"))
        self.locate_button.clicked.connect(self.on_label_clicked)
        self.locate_button.hide()
        row.addWidget(self.locate_button)
        self.ack = QPushButton(tr("确认求救"))
        self.ack.setObjectName("sosack")
        self.ack.clicked.connect(self.on_ack_clicked)
        self.ack.hide()
        row.addWidget(self.ack)
        self.mute = QPushButton(tr("静音"))
        self.mute.clicked.connect(self.on_mute_clicked)
        row.addWidget(self.mute)
        self.history_button = QPushButton(tr("报警记录"))
        self.history_button.clicked.connect(self.on_history_clicked)
        row.addWidget(self.history_button)
        self.history: list[str] = []
        """Alarms that left the bar, newest first: what, where, who acknowledged, when."""
        self._in_history: set[str] = set()
        self.menu: QMenu | None = None
        self._actions = UiActions()
        self.known: set[str] = set()
        self.muted = False
        self.sounded = 0
        """How many times the tone was started (the tests read it; CI has no speakers)."""
        self.sound = None
        try:
            from PySide6.QtMultimedia import QSoundEffect

            tone = Path(tempfile.gettempdir()) / "hengshui-alarm.wav"
            if not tone.is_file():  # written once per machine, not at every start
                alarm_tone(tone)
            self.sound = QSoundEffect(self)
            self.sound.setSource(QUrl.fromLocalFile(str(tone)))
            self.sound.setLoopCount(2)
        except ImportError:  # no audio libraries on this machine: the bar still flashes
            self.sound = None
        self._flash = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_flash_timer)
        self._timer.start(500)

    def entries(self) -> list[tuple[str, str, bool]]:
        """(key, text, urgent) for every open alarm, urgent ones first."""
        out: list[tuple[str, str, bool]] = []
        # emergencies first, the newest first: a new SOS is never behind older ones
        newest = sorted(self.picture.emergencies.items(), key=lambda kv: kv[1].raised)
        rank: dict[str, int] = {}
        for order, (key, e) in enumerate(reversed(newest)):
            if e.acknowledged_by:
                continue  # in the history; the field unit knows the hall is acting
            text = tr("{what}：{who} {where}（未确认，点击定位）").format(
                what=self._what(e), who=e.callsign or e.device, where=self.where(e)
            )
            out.append((f"!emergency:{key}", text, True))
            rank[f"!emergency:{key}"] = order
        for key, a in self.picture.alarms.items():
            if key.startswith("order:"):
                what = a.detail or a.incident_id or tr(a.name)
                text = tr("指令未确认：{what}").format(what=what)
                out.append((key, text, True))
                continue
            if key.startswith("device:"):  # a device cut off for sending malformed data
                text = tr("设备 {device} 持续发送异常数据（已切断，请核查并吊销）").format(
                    device=a.incident_id
                )
                out.append((key, text, True))
                continue
            overdue = a.kind == "overdue"
            verb = tr("{name}已超时") if overdue else tr("{name}将到期")
            drill = tr("【演练】") if a.exercise else ""
            out.append((key, f"{drill}{a.incident_id} " + verb.format(name=tr(a.name)), overdue))
        for key, m in self.picture.monitor.items():
            urgent = m.severity == "alarm"
            limit = tr("（报警值 {t}）") if urgent else tr("（预警值 {t}）")
            text = f"{m.name} {m.value:g}" + limit.format(t=f"{m.threshold:g}")
            out.append((f"monitor:{key}", text, urgent))
        # urgent first; among them emergencies (newest first), then the rest by key
        out.sort(key=lambda e: (not e[2], rank.get(e[0], len(rank)), e[0]))
        return out

    @staticmethod
    def _what(e: EmergencyState) -> str:
        return tr("人员倒地（无移动）") if e.kind == "man_down" else tr("紧急求救 SOS")

    def where(self, e: EmergencyState) -> str:
        """The place of an emergency in words: 武邑县，距阜城县驻地 7.5 km."""
        lat, lon = self.position(e)
        if lat is None or lon is None:
            return tr("（位置未知）")
        place = describe_place(lat, lon, self.picture.named_places())
        county = tr(place.county) if place.county else tr("衡水市境外")
        if place.near is None or place.near_m is None:
            return county
        distance = (
            f"{place.near_m:.0f} m" if place.near_m < 1000 else f"{place.near_m / 1000:.1f} km"
        )
        return tr("{county}，距{near} {distance}").format(
            county=county, near=place.near, distance=distance
        )

    def position(self, e: EmergencyState) -> tuple[float | None, float | None]:
        """Where the person is now: their unit's latest fix, else the alert's own point."""
        unit = self.unit_of(e)
        if unit is not None:
            return unit.lat, unit.lon
        return e.lat, e.lon

    def unit_of(self, e: EmergencyState) -> UnitState | None:
        """The unit on the map the emergency's device reports (None: none)."""
        units = [u for u in self.picture.units.values() if u.device == e.device]
        if e.callsign:
            units = [u for u in units if u.callsign == e.callsign] or units
        return max(units, key=lambda u: u.fix_time) if units else None

    def _record_history(self) -> None:
        for e in self.picture.emergencies.values():
            if e.acknowledged_by and e.alert_id not in self._in_history:
                self._in_history.add(e.alert_id)
                when = (e.acknowledged_at or e.last_seen).astimezone().strftime("%H:%M:%S")
                raised = e.raised.astimezone().strftime("%H:%M:%S")
                self.history.insert(
                    0,
                    tr("{raised} {what}：{who} {where} — {by} 于 {when} 确认").format(
                        raised=raised,
                        what=self._what(e),
                        who=e.callsign or e.device,
                        where=self.where(e),
                        by=e.acknowledged_by,
                        when=when,
                    ),
                )
        self.history_button.setText(
            tr("报警记录 {n}").format(n=len(self.history)) if self.history else tr("报警记录")
        )

    def on_history_clicked(self) -> None:
        """The alarms that left the bar, newest first."""
        menu = QMenu(self)
        for line in self.history[:30] or [tr("暂无记录")]:
            menu.addAction(line).setEnabled(bool(self.history))
        menu.popup(self.history_button.mapToGlobal(self.history_button.rect().bottomLeft()))
        self.menu = menu

    def on_label_clicked(self) -> None:
        """A click on the bar (or 定位): the emergency the buttons name — the first one the
        bar lists (the newest) — on the map."""
        waiting = self.unacknowledged()
        if waiting:
            self.locate.emit(waiting[0])

    def refresh(self) -> None:
        """Rewrite the line; sound for alarms not seen before."""
        self._record_history()
        entries = self.entries()
        keys = {k for k, _, _ in entries}
        new = keys - self.known
        self.known = keys
        if new:
            self.muted = False
            self.sounded += 1
            if self.sound is not None:
                self.sound.play()
        waiting = self.unacknowledged()
        self.locate_button.setVisible(bool(waiting))
        self.ack.setVisible(bool(waiting))
        self.ack.setEnabled(bool(waiting) and self.ack_emergency is not None)
        if waiting:
            # the buttons say whom they act on: the first SOS the bar lists
            e = self.picture.emergencies[waiting[0]]
            who = e.callsign or e.device
            self.locate_button.setText(tr("定位：{who}").format(who=who))
            self.ack.setText(tr("确认求救：{who}").format(who=who))
        if self.sound is not None:
            # an SOS sounds until someone in the hall acknowledges it (or mutes the hall)
            self.sound.setLoopCount(-2 if waiting and not self.muted else 2)  # -2: Infinite
            if not waiting and not new and self.sound.isPlaying() and self.sound.loopCount() == -2:
                self.sound.stop()
        if not entries:
            self.label.setText(tr("无报警"))
            self.label.setProperty("level", "clear")
        else:
            urgent = sum(1 for _, _, u in entries if u)
            head = tr("报警 {n}（紧急 {urgent}）：").format(n=len(entries), urgent=urgent)
            shown = "　｜　".join(t for _, t, _ in entries[:6])
            more = tr("　｜　另有 {n} 条").format(n=len(entries) - 6) if len(entries) > 6 else ""
            self.label.setText(head + shown + more)
            self.label.setProperty("level", "urgent" if urgent else "warning")
        self._repolish()

    def unacknowledged(self) -> list[str]:
        """Emergency alerts nobody in the hall has acknowledged, newest first — the order
        the bar lists them in (the buttons acted on the oldest while the bar showed the
        newest first)."""
        waiting = [e for e in self.picture.emergencies.values() if not e.acknowledged_by]
        return [e.alert_id for e in sorted(waiting, key=lambda e: e.raised, reverse=True)]

    def on_ack_clicked(self) -> None:
        """Acknowledge the emergency the button names (its sender stops repeating)."""
        waiting = self.unacknowledged()
        if not waiting or self.ack_emergency is None:
            return
        alert_id = waiting[0]

        def answered(refusal: str | None) -> None:
            if refusal:
                self.label.setText(tr("确认失败（指挥中心拒绝）：{reason}").format(reason=refusal))

        self._actions.start(
            self.ack, self.ack_emergency(alert_id), tr("指挥中心未应答：已排队"), answered
        )

    def on_mute_clicked(self) -> None:
        """Silence until the next new alarm."""
        self.muted = True
        if self.sound is not None:
            self.sound.stop()

    def on_flash_timer(self) -> None:
        """Urgent alarms flash."""
        if self.label.property("level") != "urgent":
            return
        self._flash = not self._flash
        self.label.setProperty("level", "urgent")
        self.label.setProperty("flash", self._flash)
        self._repolish()

    def _repolish(self) -> None:
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
