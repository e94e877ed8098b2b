"""The order inbox (任务 / 指令): orders addressed to this device, unanswered first; new ones
ring (and raise a tray notification) until acknowledged; the next answers as big buttons,
a note (required to decline) and photos."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.domain.orders import recipient_answers
from shared.field import ANSWERS, FieldError, FieldSession
from shared.field.orders import NEEDS_ANSWER

TOUCH_PX = 48
"""The smallest height of a control a gloved finger must hit."""

STATE_NAMES = {
    "issued": "新指令",
    "delivered": "新指令",
    "acknowledged": "已收到",
    "accepted": "已接受",
    "declined": "已拒绝",
    "en_route": "在途",
    "on_scene": "在现场",
    "completed": "已完成",
    "cancelled": "已撤销",
}
NOTE_LABELS = {"cancelled": "撤销理由", "declined": "拒绝理由"}
"""What the words of an order's latest answer are, by its state (otherwise 说明)."""


class QtOrdersPanel(QWidget):
    """Orders and their answers."""

    def __init__(self, session: FieldSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        self.ring = QLabel("")
        self.ring.setObjectName("ring")
        self.ring.hide()
        layout.addWidget(self.ring)
        self.list = QListWidget()
        self.list.itemSelectionChanged.connect(self.on_list_selection_changed)
        layout.addWidget(self.list, 2)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)
        self.note = QLineEdit()
        self.note.setPlaceholderText("说明（拒绝时必填）")
        self.note.setMinimumHeight(TOUCH_PX)
        layout.addWidget(self.note)
        self.buttons = QHBoxLayout()
        layout.addLayout(self.buttons)
        attach = QHBoxLayout()
        self.attach = QPushButton("附照片…")
        self.attach.setMinimumHeight(TOUCH_PX)
        self.attach.clicked.connect(self.on_attach_clicked)
        self.files: list[Path] = []
        self.files_label = QLabel("")
        attach.addWidget(self.attach)
        attach.addWidget(self.files_label, 1)
        layout.addLayout(attach)
        self.status = QLabel("")
        layout.addWidget(self.status)
        self._ids: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_ring: list[object] = []

    def refresh(self) -> None:
        """Rewrite the list (keeping the selection) and the ringing banner."""
        selected = self.selected()
        orders = self.session.orders.sorted()
        self._ids = [o.order_id for o in orders]
        self.list.clear()
        for o in orders:
            line = f"【{STATE_NAMES.get(o.state, o.state)}】{o.text}"
            if o.note and o.state in NOTE_LABELS:
                line += f"（{NOTE_LABELS[o.state]}：{o.note}）"
            item = QListWidgetItem(line)
            if o.state in NEEDS_ANSWER:
                item.setForeground(Qt.GlobalColor.red)
            self.list.addItem(item)
        ringing = self.session.orders.ringing()
        if selected in self._ids:
            self.list.setCurrentRow(self._ids.index(selected))
        elif ringing:
            # nothing chosen and a new order waits: open it, with its answer buttons (the
            # list is unanswered first, newest first)
            self.list.setCurrentRow(0)
        self.ring.setVisible(bool(ringing))
        self.ring.setText(f"有 {len(ringing)} 条新指令，请确认收到" if ringing else "")
        self.on_list_selection_changed()

    def selected(self) -> str | None:
        """The selected order's id."""
        row = self.list.currentRow()
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def on_list_selection_changed(self) -> None:
        """Show the order and its next answers."""
        while self.buttons.count():
            item = self.buttons.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        order_id = self.selected()
        order = self.session.orders.orders.get(order_id or "")
        answers = recipient_answers(order.state) if order is not None else []
        # the note and photos belong to an answer: shown only when there is one to give
        for w in (self.note, self.attach, self.files_label):
            w.setVisible(bool(answers))
        if order is None:
            self.detail.setText("暂无指令" if not self._ids else "选择一条指令查看并答复")
            return
        incident = f"（事件 {order.incident_id}）" if order.incident_id else ""
        text = (
            f"{order.text}{incident}\n来自 {order.issued_by} · {order.updated.astimezone():%H:%M}"
        )
        if order.note:
            # the words of the latest answer: why it was cancelled, why it was declined
            label = NOTE_LABELS.get(order.state, "说明")
            text += f"\n{label}：{order.note}"
        self.detail.setText(text)
        for state in answers:
            button = QPushButton(ANSWERS[state])
            button.setMinimumHeight(TOUCH_PX)
            button.setObjectName(f"answer-{state}")
            button.clicked.connect(lambda _=False, s=state: self.on_answer_clicked(s))
            self.buttons.addWidget(button)

    def on_attach_clicked(self) -> None:
        """Choose photos to send with the next answer."""
        names, _ = QFileDialog.getOpenFileNames(self, "选择照片", "", "图片 (*.jpg *.jpeg *.png)")
        self.files = [Path(n) for n in names]
        self.files_label.setText("、".join(p.name for p in self.files))

    def on_answer_clicked(self, state: str) -> None:
        """Send the answer (queued when offline)."""
        order_id = self.selected()
        if order_id is None:
            return

        async def go() -> None:
            try:
                await self.session.answer(order_id, state, self.note.text(), self.files)
            except FieldError as exc:
                self.status.setText(str(exc))
                return
            self.note.clear()
            self.files = []
            self.files_label.setText("")
            sent = "已发送" if self.session.client.state.value == "online" else "已排队，联网后送达"
            self.status.setText(f"{ANSWERS[state]}：{sent}")

        task = asyncio.get_event_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
