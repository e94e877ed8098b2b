"""The dispatch board: open orders by state, unacknowledged ones flashing, and a form to issue
an order. The board decides nothing: issuing goes through the shared client core (the same
``DispatchOrder`` the command line sends) and the state shown is what the hub publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from command_center.app.i18n import N_, tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture

HEADERS = [N_("指令"), N_("接收方"), N_("状态"), N_("事件"), N_("内容"), N_("已过(秒)")]
STATE_NAMES = {
    "issued": N_("已下达"),
    "delivered": N_("已送达"),
    "acknowledged": N_("已确认"),
    "accepted": N_("已接受"),
    "declined": N_("已拒绝"),
    "en_route": N_("途中"),
    "on_scene": N_("到场"),
    "completed": N_("已完成"),
    "cancelled": N_("已撤销"),
}
WAITING = frozenset({"issued", "delivered"})
"""Not yet acknowledged by a person: these rows flash."""
STATE_ORDER = {s: i for i, s in enumerate(STATE_NAMES)}

IssueOrder = Callable[[str, str, str | None], Awaitable[str | None]]
"""(recipient, text, incident) → None when the hub stored it, else the refusal."""


class QtDispatchBoard(QWidget):
    """Orders in flight and the issue form."""

    def __init__(
        self,
        picture: SituationPicture,
        issue: IssueOrder | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.issue = issue
        layout = QVBoxLayout(self)
        form = QHBoxLayout()
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.setPlaceholderText(tr("接收方（终端名）"))
        self.recipient.setMinimumWidth(170)
        self.incident = QComboBox()
        self.incident.setEditable(True)
        self.incident.setMinimumWidth(110)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("指令内容"))
        self.send = QPushButton(tr("下达指令"))
        self.send.setMinimumHeight(40)
        self.send.clicked.connect(self.on_send_clicked)
        self.send.setEnabled(issue is not None)
        for w in (self.recipient, self.incident):
            form.addWidget(w)
        form.addWidget(self.text, 1)
        form.addWidget(self.send)
        layout.addLayout(form)
        self.result = QLabel("" if issue else tr("只读：未连接指挥中心，不能下达指令"))
        self.result.setObjectName("result")
        layout.addWidget(self.result)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self._flash = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_flash_timer)
        self._timer.start(600)
        self._actions = UiActions()

    def on_send_clicked(self) -> None:
        """Issue the order in the form (asynchronously; the answer shows below the form)."""
        recipient = self.recipient.currentText().strip()
        text = self.text.text().strip()
        incident = self.incident.currentText().strip() or None
        if not recipient or not text:
            self.result.setText(tr("请填写接收方和指令内容"))
            return
        if self.issue is None:
            return
        self.result.setText(tr("正在下达给 {recipient} …").format(recipient=recipient))

        def answered(refusal: str | None) -> None:
            if refusal:
                self.result.setText(tr("未下达（指挥中心拒绝）：{reason}").format(reason=refusal))
            else:
                self.result.setText(tr("已下达给 {recipient}").format(recipient=recipient))
                self.text.clear()

        self._actions.start(
            self.send,
            self.issue(recipient, text, incident),
            tr("指挥中心未应答：指令已排队，连接恢复后自动发送"),
            answered,
        )

    def refresh(self) -> None:
        """Rewrite the rows and the form's choices from the picture."""
        now = datetime.now(UTC)
        orders = sorted(
            self.picture.orders.values(),
            key=lambda o: (STATE_ORDER.get(o.state, 99), o.issued_at or o.updated),
        )
        self.table.setRowCount(len(orders))
        for row, o in enumerate(orders):
            since = (now - (o.issued_at or o.updated)).total_seconds()
            cells = [
                o.order_id,
                o.recipient,
                tr(STATE_NAMES.get(o.state, o.state)),
                o.incident_id or "",
                (tr("【演练】") if o.exercise else "")
                + o.text
                + (tr("｜答复：{note}").format(note=o.note) if o.note else ""),
                f"{since:.0f}",
            ]
            for col, value in enumerate(cells):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, col, item)
                item.setText(value)
                item.setToolTip(value)
            self._paint(row, o.state in WAITING)
        known = {self.recipient.itemText(i) for i in range(self.recipient.count())}
        for name, p in sorted(self.picture.presence.items()):
            if p.role in ("liaison", "field", "county") and name not in known:
                self.recipient.addItem(name)
        known = {self.incident.itemText(i) for i in range(self.incident.count())}
        for key in sorted(self.picture.incidents):
            if key not in known:
                self.incident.addItem(key)

    def state_of(self, order_id: str) -> str | None:
        """The state shown for ``order_id`` (tests and the status line)."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == order_id:
                state = self.table.item(row, 2)
                return state.text() if state is not None else None
        return None

    def on_flash_timer(self) -> None:
        """Unacknowledged orders flash until someone answers them."""
        self._flash = not self._flash
        waiting_texts = {tr(STATE_NAMES[s]) for s in WAITING}
        for row in range(self.table.rowCount()):
            state = self.table.item(row, 2)
            self._paint(row, state is not None and state.text() in waiting_texts)

    def _paint(self, row: int, waiting: bool) -> None:
        colour = QColor("#7f1d1d") if waiting and self._flash else QColor("#0b0f14")
        for col in range(self.table.columnCount()):
            item = self.table.item(row, col)
            if item is not None:
                item.setBackground(colour)
