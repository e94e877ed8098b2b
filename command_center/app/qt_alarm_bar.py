"""The alarm bar: every open alarm in one line across the top of the hall — reporting
deadlines (overdue red, due soon amber), unanswered orders, monitoring points over their
thresholds — flashing while anything is overdue, with a tone for every new alarm until
someone presses 静音 (mute lasts until the next new alarm)."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from command_center.app.i18n import tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.tones import write_tone

AckEmergency = Callable[[str], Awaitable[str | None]]
"""alert id → None when the acknowledgement was stored, else the refusal."""

TONE_HZ = (880.0, 660.0)
"""Two alternating tones, half a second: hard to mistake for anything else in the hall."""


def alarm_tone(path: Path) -> Path:
    """Write the hall's alarm tone as a WAV file."""
    return write_tone(path, TONE_HZ)


class QtAlarmBar(QWidget):
    """Open alarms, newest first, with sound for new ones."""

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
        self.label = QLabel(tr("无报警"))
        self.label.setObjectName("alarms")
        row.addWidget(self.label, 1)
        self.ack = QPushButton(tr("确认求救"))
        self.ack.setObjectName("sosack")
        self.ack.clicked.connect(self.on_ack_clicked)
        self.ack.hide()
        row.addWidget(self.ack)
        self.mute = QPushButton(tr("静音"))
        self.mute.clicked.connect(self.on_mute_clicked)
        row.addWidget(self.mute)
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
        for key, e in self.picture.emergencies.items():
            what = tr("人员倒地（无移动）") if e.kind == "man_down" else tr("紧急求救 SOS")
            where = f" {e.lat:.5f},{e.lon:.5f}" if e.lat is not None and e.lon is not None else ""
            state = (
                tr("已由 {who} 确认").format(who=e.acknowledged_by)
                if e.acknowledged_by
                else tr("未确认")
            )
            text = tr("{what}：{who}{where}（{state}）").format(
                what=what, who=e.callsign or e.device, where=where, state=state
            )
            out.append((f"!emergency:{key}", text, True))
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
        out.sort(key=lambda e: (not e[2], e[0]))
        return out

    def refresh(self) -> None:
        """Rewrite the line; sound for alarms not seen before."""
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
        self.ack.setVisible(bool(waiting))
        self.ack.setEnabled(bool(waiting) and self.ack_emergency is not None)
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
            self.label.setText(head + "　｜　".join(t for _, t, _ in entries[:6]))
            self.label.setProperty("level", "urgent" if urgent else "warning")
        self._repolish()

    def unacknowledged(self) -> list[str]:
        """Emergency alerts nobody in the hall has acknowledged, oldest first."""
        waiting = [e for e in self.picture.emergencies.values() if not e.acknowledged_by]
        return [e.alert_id for e in sorted(waiting, key=lambda e: e.raised)]

    def on_ack_clicked(self) -> None:
        """Acknowledge the oldest unacknowledged emergency (its sender stops repeating)."""
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
