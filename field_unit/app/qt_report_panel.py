"""The report form (报告): the incident, 初报/续报/终报, the fields its type's template asks
for (required ones marked), casualty counts and photos. Sent through the durable outbox:
with no link it shows as queued and leaves when the link returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from field_unit.app.qt_sketch_map import QtSketchDialog
from shared.field import FieldError, FieldSession, FormProblem

STAGES = (("initial", "初报"), ("follow_up", "续报"), ("final", "终报"))
TOUCH_PX = 48
"""The smallest height of a control a gloved finger must hit."""
INVALID = "border: 2px solid #ff5c5c;"
TOUCH_STYLE = (
    "QSpinBox { min-height: 48px; min-width: 120px; font-size: 20px; }"
    "QSpinBox::up-button, QSpinBox::down-button { width: 40px; }"
)


class QtReportPanel(QWidget):
    """A report on an incident, from its type's template."""

    def __init__(self, session: FieldSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.incident = QComboBox()
        self.incident.setEditable(True)
        self.incident.setPlaceholderText("事件编号")
        self.incident.currentTextChanged.connect(self.on_incident_changed)
        self.stage = QComboBox()
        for code, name in STAGES:
            self.stage.addItem(name, code)
        top.addWidget(QLabel("事件"))
        top.addWidget(self.incident, 2)
        top.addWidget(QLabel("报告类别"))
        top.addWidget(self.stage, 1)
        for w in (self.incident, self.stage):
            w.setMinimumHeight(TOUCH_PX)
        layout.addLayout(top)
        self.title = QLineEdit()
        self.title.setPlaceholderText("标题（必填）")
        self.title.setMinimumHeight(TOUCH_PX)
        title_row = QHBoxLayout()
        title_row.addWidget(QLabel("标题＊"))
        title_row.addWidget(self.title, 1)
        layout.addLayout(title_row)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        counts = QHBoxLayout()
        self.dead, self.missing, self.injured = QSpinBox(), QSpinBox(), QSpinBox()
        for label, box in (("死亡", self.dead), ("失踪", self.missing), ("受伤", self.injured)):
            box.setRange(0, 100000)
            box.setStyleSheet(TOUCH_STYLE)
            counts.addWidget(QLabel(label))
            counts.addWidget(box)
        layout.addLayout(counts)
        self.note = QTextEdit()
        self.note.setPlaceholderText("补充说明")
        self.note.setMaximumHeight(90)
        layout.addWidget(self.note)
        row = QHBoxLayout()
        self.sketch = QPushButton("标绘范围…")
        self.sketch.clicked.connect(self.on_sketch_clicked)
        row.addWidget(self.sketch)
        self.area: list[tuple[float, float]] | None = None
        self.dialog: QtSketchDialog | None = None
        self.attach = QPushButton("附照片/文件…")
        self.attach.clicked.connect(self.on_attach_clicked)
        self.files: list[Path] = []
        self.files_label = QLabel("")
        self.send = QPushButton("发送报告")
        for b in (self.sketch, self.attach, self.send):
            b.setMinimumHeight(TOUCH_PX)
        self.send.clicked.connect(self.on_send_clicked)
        row.addWidget(self.attach)
        row.addWidget(self.files_label, 1)
        row.addWidget(self.send)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.fields: dict[str, QLineEdit] = {}
        self._task: asyncio.Task[None] | None = None
        self.on_incident_changed("")

    def refresh_incidents(self) -> None:
        """The incidents the device knows, newest first (free text stays possible)."""
        current = self.incident.currentText()
        known = sorted(self.session.incidents.values(), key=lambda i: i.updated, reverse=True)
        self.incident.blockSignals(True)
        self.incident.clear()
        for inc in known:
            self.incident.addItem(f"{inc.incident_id}", inc.incident_id)
        self.incident.setEditText(current)
        self.incident.blockSignals(False)

    def on_incident_changed(self, text: str) -> None:
        """Rebuild the form for the incident's type."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        template = self.session.template_for(text.strip())
        for f in template.fields:
            edit = QLineEdit()
            if f.kind == "count":
                edit.setPlaceholderText("整数")
            self.fields[f.key] = edit
            self.form.addRow(f.label + ("＊" if f.required else ""), edit)

    def on_sketch_clicked(self) -> None:
        """Open the small map of the incident to sketch the area seen."""
        inc = self.session.incidents.get(self.incident.currentText().strip())
        fix = self.session.fix
        here = (fix.lat, fix.lon) if fix else None
        centre = (inc.lat, inc.lon) if inc else here
        if centre is None:
            self.status.setText("没有事件位置，也没有本机定位：无法打开地图")
            return
        self.dialog = QtSketchDialog(centre, here, self)
        self.dialog.accepted.connect(self.on_sketch_accepted)
        self.dialog.open()

    def on_sketch_accepted(self) -> None:
        """Keep the sketched ring for the next report."""
        if self.dialog is not None and self.dialog.ring:
            self.area = self.dialog.ring
            self.sketch.setText(f"已标绘（{len(self.area)} 点）")

    def on_attach_clicked(self) -> None:
        """Choose photos and files."""
        names, _ = QFileDialog.getOpenFileNames(self, "选择照片或文件")
        self.files = [Path(n) for n in names]
        self.files_label.setText("、".join(p.name for p in self.files))

    def on_send_clicked(self) -> None:
        """Check and queue the report."""
        self.send.setEnabled(False)
        self._task = asyncio.get_event_loop().create_task(self._send())

    def _mark(self, problems: list[str]) -> None:
        """Highlight every field a problem names (and clear the others)."""
        self.title.setStyleSheet(INVALID if any("标题" in p for p in problems) else "")
        self.incident.setStyleSheet(INVALID if any("事件" in p for p in problems) else "")
        template = self.session.template_for(self.incident.currentText().strip())
        for f in template.fields:
            edit = self.fields.get(f.key)
            if edit is not None:
                edit.setStyleSheet(INVALID if any(f.label in p for p in problems) else "")
        for problem in problems:  # the first field at fault takes the cursor
            for widget, word in ((self.incident, "事件"), (self.title, "标题")):
                if word in problem:
                    widget.setFocus()
                    return

    async def _send(self) -> None:
        if not self.incident.currentText().strip():
            self._mark(["请选择或填写事件编号"])
            self.status.setText("请补全：请选择或填写事件编号（在上方“事件”框）")
            self.send.setEnabled(True)
            return
        try:
            report_id = await self.session.send_report(
                self.incident.currentText().strip(),
                str(self.stage.currentData()),
                self.title.text(),
                {k: e.text() for k, e in self.fields.items()},
                note=self.note.toPlainText(),
                dead=self.dead.value(),
                missing=self.missing.value(),
                injured=self.injured.value(),
                files=self.files,
                area=self.area,
            )
        except FormProblem as exc:
            self._mark(exc.problems)
            self.status.setText("请补全（已标红）：" + "；".join(exc.problems))
        except FieldError as exc:
            self.status.setText(str(exc))
        else:
            self._mark([])
            link = self.session.client.state.value
            where = "正在发送" if link == "online" else "无网络：已排队，恢复后自动发送"
            self.status.setText(f"报告 {report_id[-6:]} {where}")
            self.title.clear()
            self.note.clear()
            for edit in self.fields.values():
                edit.clear()
            self.files = []
            self.files_label.setText("")
            self.area = None
            self.sketch.setText("标绘范围…")
        finally:
            self.send.setEnabled(True)
