"""The warnings and relay panel (预警与报送): inbound warnings in force (meteorological,
earthquake …), worst first, with the draft incident a duty officer confirms in one click;
and below, each relay destination's queue toward the provincial platform."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from command_center.app.empty import EmptyHint
from command_center.app.i18n import N_, refused, tr
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.protocol import IncidentDraft, RelayState, WarningState

SEVERITY = {
    "Extreme": (N_("特别严重"), "#ff2d2d"),
    "Severe": (N_("严重"), "#ff8c1a"),
    "Moderate": (N_("较重"), "#ffd60a"),
    "Minor": (N_("一般"), "#3b82f6"),
    "Unknown": (N_("未知"), "#9ca3af"),
}
_ORDER = {name: i for i, name in enumerate(SEVERITY)}
ConfirmDraft = Callable[[str, IncidentDraft], Awaitable[str | None]]
"""(draft_of, draft) → None when the incident was declared, else the refusal."""

NO_RELAY = N_(
    "未配置报送目的地：在指挥中心的 hub.toml 中加 [[relay.destinations]]（省级平台地址与证书，"
    "或摆渡目录），或以 serve --relay-url 启动；见 docs/interconnection.md"
)


def relay_line(st: RelayState, now: datetime) -> tuple[str, bool]:
    """One destination's queue as a sentence, and whether it needs attention."""
    text, attention = _queue_line(st, now)
    if st.quarantined:
        # an alert that could not be written is never sent: said, with its incident
        text += tr("；无法生成、已隔离 {n} 条：{note}").format(
            n=st.quarantined, note=st.quarantine_note[:160]
        )
    return text, attention or st.quarantined > 0


def _queue_line(st: RelayState, now: datetime) -> tuple[str, bool]:
    name = tr("省级平台") if st.destination == "province" else st.destination
    if st.queued == 0:
        text = tr("{name}：已送达 {n}，无积压").format(name=name, n=st.delivered)
        if st.last_ack and st.transport == "drop":
            text += tr("（最近写入 {ack}）").format(ack=st.last_ack[:60])
        elif st.last_ack:
            text += tr("（最近回执 {ack}）").format(ack=st.last_ack)
        if st.rejected:
            text += tr("；被拒 {n}：{error}").format(n=st.rejected, error=st.last_error[:120])
        return text, st.rejected > 0
    age = ""
    if st.oldest_queued is not None:
        minutes = max(0, int((now - st.oldest_queued).total_seconds() // 60))
        age = tr("，最早一条已等 {minutes} 分钟").format(minutes=minutes)
    text = tr("{name}：积压 {queued} 条{age}，已送达 {n}").format(
        name=name, queued=st.queued, age=age, n=st.delivered
    )
    if st.last_error:
        text += tr("；第 {n} 次尝试失败：{error}").format(n=st.attempts, error=st.last_error[:160])
    return text, True


NO_WARNINGS = N_("暂无预警：省、市气象、地震等部门发布的预警接入后显示在这里")


class QtWarningPanel(QWidget):
    """Warnings in force and the relay's queues."""

    def __init__(
        self,
        picture: SituationPicture,
        confirm: ConfirmDraft | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.confirm = confirm
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("外部预警（气象、地震等）")))
        self.table = QTableWidget(0, 5)
        self.empty = EmptyHint(self.table, tr(NO_WARNINGS))
        self.table.setHorizontalHeaderLabels(
            [tr("等级"), tr("预警"), tr("发布单位"), tr("有效至"), tr("本市")]
        )
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in range(5):
            header.setSectionResizeMode(
                col,
                QHeaderView.ResizeMode.Stretch
                if col == 1
                else QHeaderView.ResizeMode.ResizeToContents,
            )
        self.table.itemSelectionChanged.connect(self.on_table_selection_changed)
        layout.addWidget(self.table, 2)
        self.detail = QTextBrowser()
        layout.addWidget(self.detail, 1)
        self.confirm_button = QPushButton(tr("确认为事件"))
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(self.on_confirm_clicked)
        layout.addWidget(self.confirm_button)
        self.status = QLabel("" if confirm else tr("只读：未连接指挥中心"))
        layout.addWidget(self.status)
        layout.addWidget(QLabel(tr("向上报送（省级平台）")))
        self.relay = QLabel(tr(NO_RELAY))
        self.relay.setWordWrap(True)
        self.relay.setObjectName("relay")
        layout.addWidget(self.relay)
        self._keys: list[str] = []
        self._actions = UiActions()

    def ordered(self) -> list[WarningState]:
        """Warnings in force: touching the city first, then by severity, newest first."""
        return sorted(
            self.picture.warnings.values(),
            key=lambda w: (not w.touches_city, _ORDER.get(w.severity, 9), -w.cap_sent.timestamp()),
        )

    def refresh(self) -> None:
        """Redraw the table (keeping the selection) and the relay lines."""
        selected = self.selected_key()
        warnings = self.ordered()
        self._keys = [w.key for w in warnings]
        self.table.setRowCount(len(warnings))
        for row, w in enumerate(warnings):
            name, colour = SEVERITY.get(w.severity, SEVERITY["Unknown"])
            expires = w.expires.astimezone().strftime("%m-%d %H:%M") if w.expires else "—"
            cells = [tr(name), w.headline or w.event, w.sender_name or w.cap_sender, expires]
            cells.append(tr("是") if w.touches_city else "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setForeground(QColor(colour))
                self.table.setItem(row, col, item)
        if selected in self._keys:
            self.table.selectRow(self._keys.index(selected))
        self.refresh_relay()
        self.on_table_selection_changed()

    def refresh_relay(self) -> None:
        """The relay destinations' queues."""
        now = datetime.now(UTC)
        lines = [relay_line(st, now) for _, st in sorted(self.picture.relay.items())]
        if not lines:
            self.relay.setText(tr(NO_RELAY))
            return
        self.relay.setText(
            "<br>".join(
                f'<span style="color:{"#ff8c1a" if bad else "#3ddc84"}">{html.escape(t)}</span>'
                for t, bad in lines
            )
        )
        self.relay.setTextFormat(Qt.TextFormat.RichText)

    def select(self, key: str) -> None:
        """Select the warning ``key`` (a click on the map)."""
        if key in self._keys:
            self.table.selectRow(self._keys.index(key))

    def selected_key(self) -> str | None:
        """The key of the selected warning."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self._keys[rows[0].row()] if rows and rows[0].row() < len(self._keys) else None

    def on_table_selection_changed(self) -> None:
        """Show the selected warning and whether its draft can be confirmed."""
        key = self.selected_key()
        w = self.picture.warnings.get(key) if key else None
        if w is None:
            self.detail.setHtml("")
            self.confirm_button.setEnabled(False)
            return
        e = html.escape
        parts = [
            f"<h3>{e(w.headline or w.event)}</h3>",
            f"<p>{e(w.sender_name or w.cap_sender)} · {e(w.event)} · "
            f"{e(tr(SEVERITY.get(w.severity, SEVERITY['Unknown'])[0]))}</p>",
            f"<p>{e(w.description)}</p>",
        ]
        if w.instruction:
            parts.append(f"<p><b>{e(tr('防御指引'))}</b>：{e(w.instruction)}</p>")
        areas = "、".join(a.desc for a in w.areas if a.desc)
        if areas:
            parts.append(f"<p>{e(tr('范围'))}：{e(areas)}</p>")
        if w.confirmed_as:
            parts.append(f"<p>{e(tr('已确认为事件'))} {e(w.confirmed_as)}</p>")
        self.detail.setHtml("".join(parts))
        can = self.confirm is not None and w.draft is not None and not w.confirmed_as
        self.confirm_button.setEnabled(can)

    def on_confirm_clicked(self) -> None:
        """Declare the incident the selected warning drafted."""
        key = self.selected_key()
        w = self.picture.warnings.get(key) if key else None
        if w is None or w.draft is None or self.confirm is None:
            return
        self.status.setText(tr("正在确认…"))

        def answered(refusal: str | None) -> None:
            self.status.setText(refused(refusal) if refusal else tr("已确认为事件，见事件列表"))
            self.on_table_selection_changed()  # enabled again only if still unconfirmed

        self._actions.start(
            self.confirm_button,
            self.confirm(f"warning:{w.key}", w.draft),
            tr("指挥中心未应答：已排队，恢复连接后发送"),
            answered,
        )
