"""The incident board: open incidents sorted and filtered by level, status, county and type,
and the selected incident's detail — its facts, the report timeline (初报 / 续报 / 终报) and
its reporting deadlines counting down, red once overdue."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from command_center.app.empty import EmptyHint
from command_center.app.i18n import N_, from_hub, refused, tr
from command_center.app.names import (
    HUB_WARNINGS,
    SOURCE_NAMES,
    STAGE_NAMES,
    STATUS_NAMES,
    level_text,
)
from command_center.app.qt_incident_forms import (
    Act,
    QtDeclareForm,
    QtIncidentSteps,
    QtRecordLookup,
    ReadRecord,
    TakeCall,
)
from command_center.app.theme import INCIDENT_COLOURS
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.domain import classification
from shared.geo import county_seats
from shared.protocol import IncidentState

HEADERS = [
    N_("事件"),
    N_("标题"),
    N_("等级"),
    N_("状态"),
    N_("区县"),
    N_("类型"),
    N_("报告"),
    N_("更新"),
]
ALL = ""


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """'还剩 12:30' or '已超时 1:02:03', and whether it is overdue."""
    seconds = int((due - now).total_seconds())
    overdue = seconds < 0
    s = abs(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    text = f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
    return (tr("已超时 {t}") if overdue else tr("还剩 {t}")).format(t=text), overdue


FileWritten = Callable[[str, bytes], Awaitable[str | None]]
"""(incident id, PDF bytes) → None when the written report was stored, else the refusal."""


class QtIncidentBoard(QWidget):
    """Filters, the list, and the detail of the selected incident."""

    selected = Signal(str)

    def __init__(
        self,
        picture: SituationPicture,
        parent: QWidget | None = None,
        *,
        file_written: FileWritten | None = None,
        act: Act | None = None,
        take_call: TakeCall | None = None,
        new_id: Callable[[], str] = lambda: "",
        read_record: ReadRecord | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.file_written = file_written
        self._counties = {p.code: tr(p.name) for p in county_seats()}
        self._types = {t.code: tr(t.name) for t in classification().types}
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.take = QPushButton(tr("接报登记"))
        self.take.setToolTip(tr("登记电话、群众或部门报来的事件：登记即开始报告时限计时"))
        self.declare = QPushButton(tr("新建事件"))
        for b in (self.take, self.declare):
            b.setMinimumHeight(40)
            b.setEnabled(take_call is not None)
            top.addWidget(b)
        top.addStretch(1)
        layout.addLayout(top)
        self.records = QtRecordLookup(read_record, act)
        layout.addWidget(self.records)
        filters = QHBoxLayout()
        self.level = self._combo(
            filters, tr("全部等级"), [(str(lv), level_text(lv)) for lv in (1, 2, 3, 4)]
        )
        self.status = self._combo(filters, tr("全部状态"), list(STATUS_NAMES.items())[:4])
        self.county = self._combo(filters, tr("全部区县"), list(self._counties.items()))
        self.kind = self._combo(filters, tr("全部类型"), list(self._types.items()))
        layout.addLayout(filters)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(HEADERS))
        self.empty = EmptyHint(self.table, tr("暂无事件：用“接报登记”或“新建事件”登记"))
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.verticalHeader().setVisible(False)
        # Whole ids, levels, statuses and counties; the title takes the rest (and wraps its
        # full text into a tooltip when even that is too narrow).
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self.on_selection_changed)
        self.table.cellClicked.connect(self.on_cell_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.on_context_menu)
        self.detail = QTextBrowser()
        self.form = QtDeclareForm(picture, take_call, new_id)
        self.form.done.connect(self.select)
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_area.setWidget(self.form)
        self.form_area.hide()
        self.form.closed.connect(self.close_form)
        self.take.clicked.connect(lambda: self.open_form(call=True))
        self.declare.clicked.connect(lambda: self.open_form(call=False))
        self.steps = QtIncidentSteps(picture, act)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.steps.reason.setFocus())
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.steps)
        lower_layout.addWidget(self.detail, 1)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.addWidget(self.form_area)
        split.setCollapsible(2, False)
        self.split = split
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.export = QPushButton(tr("导出报告（PDF）"))
        self.export.clicked.connect(self.on_export_clicked)
        self.send_up = QPushButton(tr("书面报告上报"))
        self.send_up.setToolTip(tr("生成正式报告（PDF），作为书面报告报送，随省级报送一并发出"))
        self.send_up.clicked.connect(self.on_send_up_clicked)
        self.send_up.setEnabled(file_written is not None)
        self.exported = QLabel("")
        row.addWidget(self.export)
        row.addWidget(self.send_up)
        row.addWidget(self.exported, 1)
        layout.addLayout(row)
        self.current: str | None = None
        self._detail_page = ""
        self._detail_of: str | None = None
        self.showing_record = False
        """A record looked up (调阅) fills the detail pane until an incident is selected."""
        self.shown: list[str] = []
        self._actions = UiActions()
        self.records.shown.connect(self.show_record)
        self.records.reopened.connect(self.select)
        self.show_detail()

    def show_record(self, text: str) -> None:
        """A record looked up (or why not) in the detail pane, until another is selected."""
        self.table.clearSelection()
        self.current = None
        self.steps.show_incident(None)
        self.detail.setHtml(text)
        self._detail_page, self._detail_of = "", None
        # kept through refreshes: a change in the picture must not wipe what was looked up
        self.showing_record = True

    def _combo(self, row: QHBoxLayout, everything: str, items: list[tuple[str, str]]) -> QComboBox:
        box = QComboBox()
        box.addItem(everything, ALL)
        for value, label in items:
            box.addItem(label, value)
        box.currentIndexChanged.connect(self.refresh)
        row.addWidget(box)
        return box

    def visible(self) -> list[IncidentState]:
        """The incidents passing the filters: highest level first, then the newest."""
        level, status = self.level.currentData(), self.status.currentData()
        county, kind = self.county.currentData(), self.kind.currentData()
        out = []
        for inc in self.picture.incidents.values():
            if level and str(inc.level) != level:
                continue
            if status and inc.status != status:
                continue
            if county and inc.division != county:
                continue
            if kind and inc.type_code.split(".", 1)[0] != kind:
                continue
            out.append(inc)
        out.sort(key=lambda i: i.updated, reverse=True)
        out.sort(key=lambda i: i.level or 9)
        return out

    def refresh(self) -> None:
        """Rewrite the list (and the detail of the selected incident)."""
        self.records.set_recent(list(reversed(self.picture.closed.values())))
        incidents = self.visible()
        self.shown = [i.incident_id for i in incidents]
        self.table.blockSignals(True)
        self.table.setRowCount(len(incidents))
        for row, inc in enumerate(incidents):
            cells = [
                inc.incident_id,
                (tr("【演练】") if inc.exercise else "") + inc.title,
                level_text(inc.level),
                tr(STATUS_NAMES.get(inc.status, inc.status)),
                self._counties.get(inc.division or "", inc.division or ""),
                self._types.get(inc.type_code.split(".", 1)[0], inc.type_code),
                str(len(self.picture.reports_of(inc.incident_id))),
                inc.updated.astimezone().strftime("%H:%M:%S"),
            ]
            for col, value in enumerate(cells):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, col, item)
                item.setText(value)
                item.setToolTip(value)
            colour = INCIDENT_COLOURS.get(inc.level or 0)
            level_item = self.table.item(row, 2)
            if level_item is not None and colour:
                level_item.setForeground(QColor(colour))
            if inc.incident_id == self.current:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self.show_detail()

    def ask_path(self, suggested: Path) -> Path | None:
        """Where to save (a file dialog; tests replace it)."""
        name, _ = QFileDialog.getSaveFileName(
            self, tr("导出事件报告"), str(suggested), "PDF (*.pdf)"
        )
        return Path(name) if name else None

    def on_export_clicked(self) -> None:
        """Export the selected incident's report as a PDF in the official layout."""
        from command_center.app.report_pdf import export_report_pdf

        if self.current not in self.picture.incidents:
            self.exported.setText(tr("请先选择一个事件"))
            return
        assert self.current is not None
        path = self.ask_path(Path.home() / f"突发事件信息报告-{self.current}.pdf")
        if path is None:
            return
        try:
            export_report_pdf(self.picture, self.current, path)
        except OSError as exc:
            self.exported.setText(tr("导出失败：{error}").format(error=exc))
            return
        self.exported.setText(tr("已导出：{path}").format(path=path))

    def on_send_up_clicked(self) -> None:
        """File the selected incident's official report (PDF) as a written report."""
        import tempfile

        from command_center.app.report_pdf import export_report_pdf

        if self.current not in self.picture.incidents or self.file_written is None:
            self.exported.setText(tr("请先选择一个事件"))
            return
        incident_id = self.current
        assert incident_id is not None
        with tempfile.TemporaryDirectory() as tmp:
            path = export_report_pdf(self.picture, incident_id, Path(tmp) / "report.pdf")
            document = path.read_bytes()
        self.exported.setText(tr("正在上报书面报告…"))

        def answered(refusal: str | None) -> None:
            self.exported.setText(
                refused(refusal) if refusal else tr("书面报告已报送（PDF 随报告上报省级平台）")
            )

        self._actions.start(
            self.send_up,
            self.file_written(incident_id, document),
            tr("指挥中心未应答：已排队，恢复连接后发送"),
            answered,
        )

    def open_form(self, *, call: bool) -> None:
        """Open the declaration form with room to work in: the list stays above it."""
        self.form.open(call=call)
        self.form_area.show()
        h = max(self.split.height(), 600)
        self.split.setSizes([h * 3 // 10, 0, h * 7 // 10])

    def close_form(self) -> None:
        """Put the form away; the list and the detail share the panel again."""
        self.form_area.hide()
        h = max(self.split.height(), 600)
        self.split.setSizes([h // 2, h // 2, 0])

    def on_context_menu(self, pos: Any) -> None:
        """Right-click on a row: its next step, a level override, closing it."""
        from PySide6.QtWidgets import QMenu

        item = self.table.itemAt(pos)
        if item is None:
            return
        self.table.selectRow(item.row())
        menu = QMenu(self)
        for button in (self.steps.step, self.steps.override, self.steps.close_button):
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.menu = menu

    def on_selection_changed(self) -> None:
        """Show the chosen incident."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            self.current = self.shown[min(rows)]
            self.selected.emit(self.current)
        self.show_detail()

    def select(self, incident_id: str) -> None:
        """Select an incident (a click on the map, a new 接报登记, a reopening): the row, the
        detail and everything following :attr:`selected` (研判) show that incident. The
        refresh redraws with signals blocked, so the selection is announced here — before,
        研判 kept showing the previous incident while another was highlighted."""
        self.current = incident_id
        self.refresh()
        self.selected.emit(incident_id)

    def on_cell_clicked(self, row: int, _col: int) -> None:
        """A click on the row already highlighted (no selection change): announced too."""
        if 0 <= row < len(self.shown) and self.shown[row] == self.current:
            self.selected.emit(self.current)

    def show_detail(self) -> None:
        """The selected incident's facts, report timeline and deadline countdowns."""
        e = html.escape
        inc = self.picture.incidents.get(self.current or "")
        if inc is None and self.showing_record:
            return  # a looked-up record stays until an incident is selected
        self.showing_record = False
        self.steps.show_incident(inc.incident_id if inc else None)
        if inc is None:
            empty = tr("暂无事件。用“接报登记”登记电话报告，或“新建事件”立案")
            hint = tr("选择一个事件查看详情") if self.picture.incidents else empty
            self.detail.setHtml(f"<p style='color:#9fb3c8'>{e(hint)}</p>")
            self._detail_page, self._detail_of = "", None
            return
        now = datetime.now(UTC)
        casualties = tr(
            "死亡 {dead} 失踪 {missing} 重伤 {injured} 被困 {trapped} 转移 {evacuated}"
        ).format(
            dead=inc.dead,
            missing=inc.missing,
            injured=inc.seriously_injured,
            trapped=inc.trapped,
            evacuated=inc.evacuated,
        )
        parts = [
            f"<h3>{e(tr('【演练】')) if inc.exercise else ''}{e(inc.title)}</h3>",
            f"<p>{e(level_text(inc.level))} · {e(tr(STATUS_NAMES.get(inc.status, inc.status)))}"
            f" · {e(self._counties.get(inc.division or '', tr('未知区县')))}"
            f" · {e(casualties)}</p>",
        ]
        for warning in inc.warnings:
            said = from_hub(warning, HUB_WARNINGS)
            parts.append(f"<p style='color:#facc15'>⚠ {e(said)}</p>")
        if inc.level_criteria:
            basis = tr("定级依据：{criteria}").format(criteria="；".join(inc.level_criteria))
            parts.append(f"<p style='color:#9fb3c8'>{e(basis)}</p>")
        alarms = self.picture.alarms_of(inc.incident_id)
        if alarms:
            parts.append(f"<h4>{e(tr('报告时限'))}</h4><ul>")
            for a in alarms:
                text, overdue = countdown(a.due, now)
                colour = "#ff5c5c" if overdue else "#facc15"
                line = e(tr("{name}：{left}（时限 {due}）")).format(
                    name=f"<b>{e(tr(a.name))}</b>",
                    left=e(text),
                    due=a.due.astimezone().strftime("%H:%M"),
                )
                parts.append(f"<li style='color:{colour}'>{line}</li>")
            parts.append("</ul>")
        reports = self.picture.reports_of(inc.incident_id)
        parts.append(f"<h4>{e(tr('报告'))}</h4>")
        if not reports:
            parts.append(f"<p style='color:#ff5c5c'>{e(tr('尚无报告'))}</p>")
        for r in reports:
            attached = " · " + tr("附件 {n}").format(n=len(r.attachments)) if r.attachments else ""
            version = tr("{stage} 第{version}版").format(
                stage=tr(STAGE_NAMES.get(r.stage, r.stage)), version=r.version
            )
            source = tr(SOURCE_NAMES.get(r.source, r.source))
            parts.append(
                f"<p><b>{e(version)}</b> "
                f"{r.sent.astimezone().strftime('%m-%d %H:%M')} · {e(r.author or r.sender)}"
                f"{e(tr('（{source}）').format(source=source))}{e(attached)}<br>{e(r.title)}</p>"
            )
        page = "".join(parts)
        if page == self._detail_page:
            return  # a redraw with nothing new: the reader's place stays as it is
        bar = self.detail.verticalScrollBar()
        kept = bar.value() if inc.incident_id == self._detail_of else 0
        self.detail.setHtml(page)
        bar.setValue(kept)  # the same incident redrawn: the reader stays where they were
        self._detail_page, self._detail_of = page, inc.incident_id
