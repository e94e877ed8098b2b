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

from command_center.app.i18n import N_, tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.protocol import HandoverState, ShiftState

CATEGORIES = {
    "call": N_("来电"),
    "report": N_("报告"),
    "instruction": N_("指示"),
    "note": N_("记事"),
    "handover": N_("交接"),
    "system": N_("系统"),
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
                self.category.addItem(tr(name), code)
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
        self.status = QLabel("" if write else tr("只读：未连接指挥中心"))
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
        head = e(tr("当前值班：")) + (
            "；".join(f"{e(s.post)} {e(s.person)} {e(s.phone)}".strip() for s in shifts)
            or e(tr("（排班表中无当前班次）"))
        )
        if isinstance(handover, HandoverState):
            last = tr("最近交接：{at} {giver} → {taker}，未结报警 {alarms}、未结指令 {orders}")
            head += "<br>" + e(
                last.format(
                    at=handover.at.astimezone().strftime("%m-%d %H:%M"),
                    giver=handover.from_person,
                    taker=handover.to_person,
                    alarms=handover.open_alarms,
                    orders=handover.open_orders,
                )
            )
        self.on_duty.setText(head)
        rows = []
        for entry in self.picture.duty_log()[:200]:
            drill = e(tr("【演练】")) if entry.exercise else ""
            rows.append(
                f"<p><b>{entry.at.astimezone().strftime('%m-%d %H:%M')}</b> "
                f"[{e(tr(CATEGORIES.get(entry.category, entry.category)))}] {drill}{e(entry.text)}"
                f" <span style='color:#9fb3c8'>— {e(entry.author or entry.by)}</span></p>"
            )
        empty = f"<p style='color:#9fb3c8'>{e(tr('暂无值班记录'))}</p>"
        self.log.setHtml("".join(rows) or empty)

    def on_add_clicked(self) -> None:
        """Write the line to the duty log."""
        text = self.text.text().strip()
        if not text or self.write is None:
            return
        category = str(self.category.currentData())

        def answered(refusal: str | None) -> None:
            if refusal:
                self.status.setText(tr("未记录（指挥中心拒绝）：{reason}").format(reason=refusal))
            else:
                self.status.setText(tr("已记录"))
                self.text.clear()

        self._actions.start(
            self.add, self.write(text, category), tr("指挥中心未应答：记录已排队"), answered
        )
