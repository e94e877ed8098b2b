"""The duty panel (值班): who is on duty now, the latest handover, the duty log (newest first)
and a line to add to it. Writing goes through the shared client like every other action."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from command_center.app.i18n import tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.protocol import HandoverState, ShiftState

CATEGORIES = {
    "call": "来电",
    "report": "报告",
    "instruction": "指示",
    "note": "记事",
    "handover": "交接",
    "system": "系统",
}
WriteLog = Callable[[str, str], Awaitable[str | None]]
"""(text, category) → None when stored, else the refusal."""


class QtDutyPanel(QWidget):
    """On duty now, the last handover, and the log."""

    def __init__(
        self, picture: SituationPicture, write: WriteLog | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.write = write
        layout = QVBoxLayout(self)
        self.on_duty = QLabel("")
        self.on_duty.setWordWrap(True)
        layout.addWidget(self.on_duty)
        form = QHBoxLayout()
        self.category = QComboBox()
        for code, name in CATEGORIES.items():
            if code not in ("handover", "system"):
                self.category.addItem(name, code)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("值班记录（来电、指示、记事…）"))
        self.text.returnPressed.connect(self.on_add_clicked)
        self.add = QPushButton(tr("记录"))
        self.add.clicked.connect(self.on_add_clicked)
        self.add.setEnabled(write is not None)
        form.addWidget(self.category)
        form.addWidget(self.text, 1)
        form.addWidget(self.add)
        layout.addLayout(form)
        self.status = QLabel("" if write else "只读：未连接指挥中心")
        layout.addWidget(self.status)
        self.log = QTextBrowser()
        layout.addWidget(self.log, 1)
        self._actions = UiActions()

    def refresh(self) -> None:
        """Redraw from the picture."""
        now = datetime.now(UTC)
        e = html.escape
        shifts = [
            v
            for v in self.picture.duty.values()
            if isinstance(v, ShiftState) and v.start <= now < v.end
        ]
        handover = self.picture.duty.get("handover")
        head = "当前值班：" + (
            "；".join(f"{e(s.post)} {e(s.person)} {e(s.phone)}".strip() for s in shifts)
            or "（排班表中无当前班次）"
        )
        if isinstance(handover, HandoverState):
            head += (
                f"<br>最近交接：{handover.at.astimezone().strftime('%m-%d %H:%M')} "
                f"{e(handover.from_person)} → {e(handover.to_person)}"
                f"，未结报警 {handover.open_alarms}、未结指令 {handover.open_orders}"
            )
        self.on_duty.setText(head)
        rows = []
        for entry in self.picture.duty_log()[:200]:
            drill = "【演练】" if entry.exercise else ""
            rows.append(
                f"<p><b>{entry.at.astimezone().strftime('%m-%d %H:%M')}</b> "
                f"[{e(CATEGORIES.get(entry.category, entry.category))}] {drill}{e(entry.text)}"
                f" <span style='color:#9fb3c8'>— {e(entry.author or entry.by)}</span></p>"
            )
        self.log.setHtml("".join(rows) or "<p style='color:#9fb3c8'>暂无值班记录</p>")

    def on_add_clicked(self) -> None:
        """Write the line to the duty log."""
        text = self.text.text().strip()
        if not text or self.write is None:
            return
        category = str(self.category.currentData())

        def answered(refusal: str | None) -> None:
            if refusal:
                self.status.setText(f"未记录：{refusal}")
            else:
                self.status.setText("已记录")
                self.text.clear()

        self._actions.start(
            self.add, self.write(text, category), "指挥中心未应答：记录已排队", answered
        )
