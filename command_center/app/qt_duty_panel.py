"""The duty panel (值班): who is on duty now (the roster) and who is signed in where, signing
in at this station (every change made from it then names the person), the latest handover,
the duty log (newest first) and a line to add to it. Writing goes through the shared client
like every other action."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

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

from command_center.app.i18n import N_, refused, tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.protocol import HandoverState, ShiftSignIn, ShiftState

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
        self,
        picture: SituationPicture,
        write: WriteLog | None,
        parent: QWidget | None = None,
        *,
        act: Any = None,
        device: str = "",
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.write = write
        self.act = act
        self.device = device
        layout = QVBoxLayout(self)
        self.on_duty = QLabel("")
        self.on_duty.setWordWrap(True)
        layout.addWidget(self.on_duty)
        # signing in at this station: the hub then names the person on every change from it
        sign = QHBoxLayout()
        self.person = QLineEdit()
        self.person.setPlaceholderText(tr("本席值班人姓名"))
        self.post = QLineEdit()
        self.post.setPlaceholderText(tr("岗位（值班员、带班领导…）"))
        self.sign_in = QPushButton(tr("签到"))
        self.sign_in.clicked.connect(lambda: self.on_sign(True))
        self.sign_out = QPushButton(tr("签退"))
        self.sign_out.clicked.connect(lambda: self.on_sign(False))
        for b in (self.sign_in, self.sign_out):
            b.setEnabled(act is not None and bool(device))
        sign.addWidget(QLabel(tr("值班人")))
        sign.addWidget(self.person, 1)
        sign.addWidget(QLabel(tr("岗位")))
        sign.addWidget(self.post, 1)
        sign.addWidget(self.sign_in)
        sign.addWidget(self.sign_out)
        layout.addLayout(sign)
        self.signed = QLabel("")
        self.signed.setWordWrap(True)
        layout.addWidget(self.signed)
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
        signed = self.picture.sign_ins()
        if signed:
            head += (
                "<br>"
                + e(tr("在岗签到："))
                + "；".join(
                    e(
                        f"{s.person}（{s.post}）@ {s.device}"
                        if s.post
                        else f"{s.person} @ {s.device}"
                    )
                    for s in signed
                )
            )
        self.on_duty.setText(head)
        mine = self.picture.signed_in(self.device)
        if mine is not None:
            self.signed.setText(
                tr("本席 {device}：{person} 签到于 {at}，所做变更记录其姓名").format(
                    device=self.device,
                    person=mine.person,
                    at=mine.since.astimezone().strftime("%H:%M"),
                )
            )
        elif self.device:
            self.signed.setText(
                tr("本席 {device} 无人签到：变更只记录席位，请签到").format(device=self.device)
            )
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

    def on_sign(self, on: bool) -> None:
        """Sign the named person in at this station (or out)."""
        if self.act is None:
            return
        person = self.person.text().strip()
        mine = self.picture.signed_in(self.device)
        if not on and mine is not None:
            person = person or mine.person
        if not person:
            self.person.setFocus()
            self.status.setText(tr("请填写值班人姓名"))
            return

        def answered(refusal: str | None) -> None:
            if refusal:
                self.status.setText(refused(refusal))
            else:
                self.status.setText(tr("已签到") if on else tr("已签退"))

        self._actions.start(
            self.sign_in if on else self.sign_out,
            self.act(ShiftSignIn, person=person, post=self.post.text().strip(), on=on),
            tr("指挥中心未应答：已排队，恢复连接后发送"),
            answered,
        )
