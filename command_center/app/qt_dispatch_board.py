"""The dispatch board: open orders by state, unacknowledged ones flashing, and a form to issue
an order. The board decides nothing: issuing goes through the shared client core (the same
``DispatchOrder`` the command line sends) and the state shown is what the hub publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
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

from command_center.app.empty import EmptyHint
from command_center.app.i18n import N_, tr
from command_center.app.names import ORDER_STATE_NAMES, RECIPIENT_KINDS, ROLE_NAMES, UNIT_TYPES
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.client.recipients import Recipient, recipients

HEADERS = [N_("指令"), N_("接收方"), N_("状态"), N_("事件"), N_("内容"), N_("已过(秒)")]
WAITING = frozenset({"issued", "delivered"})
"""Not yet acknowledged by a person: these rows flash."""
STATE_ORDER = {s: i for i, s in enumerate(ORDER_STATE_NAMES)}

IssueOrder = Callable[[str, str, str | None], Awaitable[str | None]]
"""(recipient, text, incident) → None when the hub stored it, else the refusal."""


def recipient_label(r: Recipient) -> str:
    """How a recipient is listed: 【队伍】消防特勤一队（消防）→ liaison-fire."""
    detail = tr(UNIT_TYPES.get(r.detail, ROLE_NAMES.get(r.detail, r.detail))) if r.detail else ""
    head = tr("【{kind}】{name}").format(kind=tr(RECIPIENT_KINDS[r.kind]), name=r.name)
    if detail and r.kind != "department":
        head += tr("（{detail}）").format(detail=detail)
    if r.device is None:
        return head + " " + tr("✕ 无可接收的终端")
    if r.device != r.name:
        head += f" → {r.device}"
    return head


def cannot_receive(r: Recipient) -> str:
    """Why an order to ``r`` cannot be sent, and what to do."""
    if r.missing:
        return tr(
            "{name} 无法接收指令：终端 {device} 未登记或不接收指令，请电话通知并为其登记终端"
        ).format(name=r.name, device=r.missing)
    return tr("{name} 无法接收指令：没有登记终端，也没有所属部门的联络员，请电话通知").format(
        name=r.name
    )


def order_text(r: Recipient, text: str) -> str:
    """The order as sent: when it goes through someone else's device, it names who is meant."""
    if r.kind in ("team", "unit") and r.device != r.name:
        return tr("【{name}】{text}").format(name=r.name, text=text)
    return text


NO_ORDERS = N_("暂无指令：在上方选择接收方、写明指令后下达，或在“研判”页派遣队伍")


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
        self.recipient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.recipient.setPlaceholderText(tr("搜索单位、队伍、部门或终端"))
        self.recipient.setToolTip(tr("输入名称的任意部分筛选；也可直接输入终端名"))
        self.recipient.setMinimumWidth(260)
        completer = self.recipient.completer()
        assert completer is not None  # an editable combo box has one
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.choices: dict[str, Recipient] = {}
        """Label shown → recipient."""
        self.incident = QComboBox()
        self.incident.setEditable(True)
        self.incident.setMinimumWidth(110)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("指令内容"))
        self.send = QPushButton(tr("下达指令"))
        self.send.setMinimumHeight(40)
        self.send.clicked.connect(self.on_send_clicked)
        self.send.setEnabled(issue is not None)
        form.addWidget(QLabel(tr("接收方")))
        form.addWidget(self.recipient)
        form.addWidget(QLabel(tr("事件")))
        form.addWidget(self.incident)
        form.addWidget(self.text, 1)
        form.addWidget(self.send)
        layout.addLayout(form)
        self.result = QLabel("" if issue else tr("只读：未连接指挥中心，不能下达指令"))
        self.result.setObjectName("result")
        layout.addWidget(self.result)
        self.table = QTableWidget(0, len(HEADERS))
        self.empty = EmptyHint(self.table, tr(NO_ORDERS))
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.verticalHeader().setVisible(False)
        # whole ids, recipients, states and incidents; the order's words take the rest and
        # wrap (its full text is also the cell's tooltip)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.legend = QLabel(
            tr("红色闪烁：指令已下达或已送达，接收方尚未确认；确认后停止。空表：暂无指令")
        )
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #9fb3c8;")
        layout.addWidget(self.legend)
        self._flash = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_flash_timer)
        self._timer.start(600)
        self._actions = UiActions()

    def choose(self, key: str, incident_id: str | None = None) -> bool:
        """Put the recipient ``key`` (``team:ID``, ``unit:ID`` …) and the incident in the
        form, ready for the order's words; False when there is no such recipient."""
        self.refresh()
        for label, r in self.choices.items():
            if r.key == key:
                self.recipient.setCurrentText(label)
                if incident_id:
                    self.incident.setCurrentText(incident_id)
                self.text.setFocus()
                return True
        return False

    def on_send_clicked(self) -> None:
        """Issue the order in the form (asynchronously; the answer shows below the form)."""
        typed = self.recipient.currentText().strip()
        text = self.text.text().strip()
        chosen = self.choices.get(typed)
        if chosen is not None and chosen.device is None:
            self.result.setText(cannot_receive(chosen))
            return
        recipient = chosen.device if chosen is not None and chosen.device else typed
        if chosen is not None and text:
            text = order_text(chosen, text)
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
                tr(ORDER_STATE_NAMES.get(o.state, o.state)),
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
        self._refresh_recipients()
        known = {self.incident.itemText(i) for i in range(self.incident.count())}
        for key in sorted(self.picture.incidents):
            if key not in known:
                self.incident.addItem(key)

    def _refresh_recipients(self) -> None:
        """The picker's list: devices, departments, teams and units, by name and type."""
        choices = {recipient_label(r): r for r in recipients(self.picture)}
        if list(choices) == list(self.choices):
            self.choices = choices
            return
        self.choices = choices
        typed = self.recipient.currentText()
        self.recipient.blockSignals(True)
        self.recipient.clear()
        for label in choices:
            self.recipient.addItem(label)
        self.recipient.setCurrentText(typed)
        self.recipient.blockSignals(False)

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
        waiting_texts = {tr(ORDER_STATE_NAMES[s]) for s in WAITING}
        for row in range(self.table.rowCount()):
            state = self.table.item(row, 2)
            self._paint(row, state is not None and state.text() in waiting_texts)

    def _paint(self, row: int, waiting: bool) -> None:
        colour = QColor("#7f1d1d") if waiting and self._flash else QColor("#0b0f14")
        for col in range(self.table.columnCount()):
            item = self.table.item(row, col)
            if item is not None:
                item.setBackground(colour)
