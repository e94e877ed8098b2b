"""Acting on incidents from the hall: 接报登记 (a call taken), a new incident, the next
lifecycle step, a level override and closing — the same messages the command line sends,
with the hub's refusals shown in words and the field at fault highlighted."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from command_center.app.i18n import N_, refused, tr
from command_center.app.names import STAGE_NAMES, STATUS_NAMES
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture
from shared.domain import classification
from shared.geo import county_seats, find_place
from shared.protocol import IncidentClose, IncidentReopen, IncidentTransition, LevelOverride

Act = Callable[..., Awaitable[str | None]]
"""act(kind, **fields): send one message; None when stored, else the hub's refusal."""

TakeCall = Callable[..., Awaitable[tuple[bool, str | None]]]
"""take_call(declare fields, source=…, caller=…, phone=…, text=…): declare, then 初报;
(declared, None or the hub's refusal)."""

CALL_SOURCES = {
    "phone": N_("电话"),
    "public": N_("群众"),
    "department": N_("部门"),
    "county": N_("县区"),
    "written": N_("书面"),
    "monitoring": N_("监测"),
}
NEXT_STEP = {"reported": "verified", "verified": "responding", "responding": "stabilised"}
STEP_NAMES = {"verified": N_("核实"), "responding": N_("启动响应"), "stabilised": N_("已控制")}
INVALID = "border: 2px solid #ff5c5c;"
TOUCH = 40
"""Minimum height of the forms' buttons (the hall is worked with a mouse, often standing)."""


def _mark(widget: QWidget, bad: bool) -> None:
    widget.setStyleSheet(INVALID if bad else "")


def _now_edit() -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    return edit


def _aware(edit: QDateTimeEdit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), UTC)


class QtDeclareForm(QWidget):
    """A call taken (接报登记) or an incident declared by the duty officer (新建事件)."""

    pick = Signal(bool)
    """Asks the map to report the next click as the incident's place (or to stop)."""
    done = Signal(str)
    """The id of the incident stored (the board selects it)."""
    closed = Signal()

    def __init__(
        self,
        picture: SituationPicture,
        take_call: TakeCall | None,
        new_id: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.take_call = take_call
        self.new_id = new_id
        self.area: list[tuple[float, float]] | None = None
        self._actions = UiActions()
        outer = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("formTitle")
        outer.addWidget(self.heading)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source = QComboBox()
        for code, name in CALL_SOURCES.items():
            self.source.addItem(tr(name), code)
        self.caller = QLineEdit()
        self.caller.setPlaceholderText(tr("姓名或单位"))
        self.phone = QLineEdit()
        self.received = _now_edit()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(tr("何时何地发生了什么，例如：景县化工厂储罐泄漏"))
        self.kind = QComboBox()
        self.kind.addItem(tr("未分类（不定级）"), "")
        cls = classification()
        for c_code, c in cls.classes.items():
            types = [t for t in cls.types if t.class_ == c_code]
            if not types:
                continue
            self.kind.addItem(f"— {tr(c.name)} —", None)
            self.kind.model().item(self.kind.count() - 1).setEnabled(False)  # type: ignore[attr-defined]
            for t in types:
                self.kind.addItem(tr(t.name), t.code)
                for s in t.subtypes:
                    self.kind.addItem(f"    {tr(s.name)}", s.code)
        self.place = QLineEdit()
        self.place.setPlaceholderText(tr("输入地名（区县、场所）或在地图上点选"))
        self.place.returnPressed.connect(self.on_place_entered)
        self.pick_button = QPushButton(tr("地图点选"))
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self.pick.emit)
        self.lat = QDoubleSpinBox()
        self.lon = QDoubleSpinBox()
        for box, low, high in ((self.lat, -90.0, 90.0), (self.lon, -180.0, 180.0)):
            box.setRange(low, high)
            box.setDecimals(5)
            box.setSingleStep(0.001)
            box.valueChanged.connect(self.on_point_changed)
        self.division = QLabel(tr("（选定地点后自动判定）"))
        self.occurred = _now_edit()
        self.counts: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        names = {
            "dead": N_("死亡"),
            "missing": N_("失踪"),
            "seriously_injured": N_("重伤"),
            "trapped": N_("被困"),
            "evacuated": N_("转移"),
        }
        for i, (key, name) in enumerate(names.items()):
            spin = QSpinBox()
            spin.setRange(0, 10_000_000)
            spin.setMinimumHeight(TOUCH)
            row, col = divmod(i, 3)
            grid.addWidget(QLabel(tr(name)), row * 2, col)
            grid.addWidget(spin, row * 2 + 1, col)
            self.counts[key] = spin
        self.loss = QDoubleSpinBox()
        self.loss.setRange(0, 1_000_000_000)
        self.loss.setDecimals(1)
        self.loss.setSuffix(tr(" 万元"))
        self.level = QComboBox()
        self.level.addItem(tr("按分级标准计算"), None)
        for lv, numeral in ((1, "Ⅰ"), (2, "Ⅱ"), (3, "Ⅲ"), (4, "Ⅳ")):
            self.level.addItem(tr("{numeral}级").format(numeral=numeral), lv)
        self.area_label = QLabel(tr("未绘制（可在地图左上角用多边形工具绘制）"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(tr("报告人所述情况：现场情况、已采取措施、需要的支援"))
        self.text.setFixedHeight(80)
        self.exercise = QCheckBox(tr("演练"))
        where = QHBoxLayout()
        where.addWidget(self.place, 1)
        where.addWidget(self.pick_button)
        point = QHBoxLayout()
        point.addWidget(QLabel(tr("纬度")))
        point.addWidget(self.lat)
        point.addWidget(QLabel(tr("经度")))
        point.addWidget(self.lon)
        point.addWidget(self.division, 1)
        self.call_rows: list[QWidget] = []
        for label, field in (
            (tr("来源"), self.source),
            (tr("报告人"), self.caller),
            (tr("联系电话"), self.phone),
            (tr("接报时间"), self.received),
        ):
            form.addRow(label, field)
            self.call_rows.append(field)
        form.addRow(tr("标题 *"), self.title_edit)
        form.addRow(tr("类型"), self.kind)
        form.addRow(tr("地点 *"), where)
        form.addRow("", point)
        form.addRow(tr("发生时间"), self.occurred)
        form.addRow(tr("伤亡"), grid)
        form.addRow(tr("直接经济损失"), self.loss)
        form.addRow(tr("请求等级"), self.level)
        form.addRow(tr("影响范围"), self.area_label)
        form.addRow(tr("情况说明"), self.text)
        self.text_row = self.text
        form.addRow("", self.exercise)
        outer.addLayout(form)
        buttons = QHBoxLayout()
        self.submit = QPushButton(tr("提交"))
        self.submit.setMinimumHeight(TOUCH)
        self.submit.clicked.connect(self.on_submit_clicked)
        self.cancel = QPushButton(tr("取消"))
        self.cancel.setMinimumHeight(TOUCH)
        self.cancel.clicked.connect(self.close_form)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons.addWidget(self.submit)
        buttons.addWidget(self.cancel)
        buttons.addStretch(1)
        outer.addWidget(self.message)
        outer.addLayout(buttons)
        outer.addStretch(1)
        self.form = form
        self.call = True

    # --- opening -------------------------------------------------------------------------

    def open(self, *, call: bool) -> None:
        """Start a fresh form: a call taken (with caller and time received), or a new
        incident declared by the duty officer."""
        self.call = call
        self.heading.setText(tr("接报登记") if call else tr("新建事件"))
        for field in self.call_rows:
            self.form.setRowVisible(field, call)
        self.source.setCurrentIndex(0)
        for edit in (self.caller, self.phone, self.title_edit, self.place):
            edit.clear()
        self.text.clear()
        now = QDateTime.currentDateTime()  # one instant for both: equal, not a tick apart
        self.received.setDateTime(now)
        self.occurred.setDateTime(now)
        self.kind.setCurrentIndex(0)
        for spin in self.counts.values():
            spin.setValue(0)
        self.loss.setValue(0)
        self.level.setCurrentIndex(0)
        self.exercise.setChecked(False)
        self.lat.setValue(0)
        self.lon.setValue(0)
        self.set_area(None)
        self.message.setText("")
        for w in (self.title_edit, self.place, self.lat, self.lon, self.received):
            _mark(w, False)
        names = [p.name for p in county_seats()] + sorted(
            {name for name, _, _ in self.picture.named_places()}
        )
        self.place.setCompleter(QCompleter(names, self.place))
        self.show()
        self.title_edit.setFocus()

    def close_form(self) -> None:
        """Put the form away (the map stops picking)."""
        self.pick_button.setChecked(False)
        self.hide()
        self.closed.emit()

    # --- the place -----------------------------------------------------------------------

    def on_place_entered(self) -> None:
        """A typed place name: its point (exact name first, then a name containing it)."""
        text = self.place.text().strip()
        hit = find_place(text, self.picture.named_places())
        if hit is None:
            _mark(self.place, True)
            self.message.setText(
                tr("找不到地名“{name}”：请输入区县或场所名称，或在地图上点选").format(name=text)
            )
            return
        _mark(self.place, False)
        self.message.setText("")
        self.set_point(*hit)

    def set_point(self, lat: float, lon: float) -> None:
        """The incident's place (from the map, a typed name or the boxes)."""
        self.lat.setValue(lat)
        self.lon.setValue(lon)
        self.pick_button.setChecked(False)

    def on_point_changed(self) -> None:
        """Say which county the point is in (the hub derives the division the same way)."""
        self.division.setText(self._division_text())

    def _division_text(self) -> str:
        code = self.division_code()
        if code is None:
            if self.lat.value() == 0 and self.lon.value() == 0:
                return tr("（选定地点后自动判定）")
            return tr("⚠ 该点不在衡水市境内，请核对")
        names = {p.code: tr(p.name) for p in county_seats()}
        return tr("区县：{name}").format(name=names.get(code, code))

    def division_code(self) -> str | None:
        """The county containing the point, or None (outside the city, or no data)."""
        from shared.geo.boundaries import BoundaryError, division_at

        try:
            place = division_at(self.lat.value(), self.lon.value())
        except BoundaryError:
            return None
        return place.code if place else None

    def set_area(self, ring: list[tuple[float, float]] | None) -> None:
        """The affected area drawn on the map (None: none)."""
        self.area = ring
        self.area_label.setText(
            tr("已绘制 {n} 个顶点").format(n=len(ring))
            if ring
            else tr("未绘制（可在地图左上角用多边形工具绘制）")
        )

    # --- sending -------------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        """The declaration's fields as the form holds them."""
        loss = round(self.loss.value() * 10_000)
        return {
            "incident_id": self.new_id(),
            "title": self.title_edit.text().strip(),
            "lat": self.lat.value(),
            "lon": self.lon.value(),
            "type_code": self.kind.currentData() or "",
            "division": self.division_code(),
            "level": self.level.currentData(),
            "occurred": _aware(self.occurred),
            "received": _aware(self.received) if self.call else None,
            "direct_loss_cny": loss,
            "area": self.area,
            "exercise": self.exercise.isChecked(),
            **{k: s.value() for k, s in self.counts.items()},
        }

    def problems(self) -> list[tuple[QWidget, str]]:
        """What must be put right before sending, with the field at fault."""
        out: list[tuple[QWidget, str]] = []
        if not self.title_edit.text().strip():
            out.append((self.title_edit, tr("请填写标题：何时何地发生了什么")))
        if self.lat.value() == 0 and self.lon.value() == 0:
            out.append((self.place, tr("请选定地点：输入地名或在地图上点选")))
        now = QDateTime.currentDateTime().addSecs(300)
        if self.occurred.dateTime() > now:
            out.append((self.occurred, tr("发生时间晚于现在，请核对")))
        if self.call and self.received.dateTime() > now:
            out.append((self.received, tr("接报时间晚于现在，请核对")))
        # (to the minute, as the boxes show them)
        if self.call and self.received.dateTime().addSecs(60) <= self.occurred.dateTime():
            out.append((self.received, tr("接报时间早于发生时间，请核对")))
        return out

    def on_submit_clicked(self) -> None:
        """Check the form, then declare (and, for a call, file what the caller said)."""
        for w in (self.title_edit, self.place, self.occurred, self.received):
            _mark(w, False)
        problems = self.problems()
        if problems:
            for widget, _text in problems:
                _mark(widget, True)
            problems[0][0].setFocus()
            self.message.setText("；".join(text for _w, text in problems))
            return
        if self.take_call is None:
            self.message.setText(tr("本机为只读，不能登记事件"))
            return
        fields = self.fields()
        incident_id = fields["incident_id"]
        self.message.setText(tr("正在提交…"))

        async def send() -> str | None:
            assert self.take_call is not None
            declared, refusal = await self.take_call(fields, **call)
            outcome["declared"] = declared
            return refusal

        outcome = {"declared": False}

        def queued() -> None:
            # in the outbox: it will be declared, once
            self.message.setText(
                tr("指挥中心未应答：{id} 已排队，恢复连接后自动登记，请勿重复登记").format(
                    id=incident_id
                )
            )
            self.close_form()

        def answered(refusal: str | None) -> None:
            if refusal and not outcome["declared"]:
                self.message.setText(refused(refusal))
                return
            # declared: never again from this form (a second press would make a second
            # incident), even when its 初报 was refused
            done = tr("已登记：{id}").format(id=incident_id)
            if refusal:
                done += tr("；初报未保存（{reason}），请在事件中补报").format(reason=refusal)
            self.message.setText(done)
            self.close_form()
            self.done.emit(incident_id)

        call = {
            "source": self.source.currentData() if self.call else "",
            "caller": self.caller.text(),
            "phone": self.phone.text(),
            "text": self.text.toPlainText(),
        }
        self._actions.start(self.submit, send(), queued, answered)


class QtIncidentSteps(QWidget):
    """The selected incident's next lifecycle step, a level override and closing, each
    with its note or reason."""

    def __init__(self, picture: SituationPicture, act: Act | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.picture = picture
        self.act = act
        self.incident_id: str | None = None
        self._actions = UiActions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("说明或理由（调整等级、关闭事件时必填）"))
        self.step = QPushButton(tr("下一步"))
        self.step.clicked.connect(self.on_step_clicked)
        self.level = QComboBox()
        for lv, numeral in ((1, "Ⅰ"), (2, "Ⅱ"), (3, "Ⅲ"), (4, "Ⅳ")):
            self.level.addItem(tr("{numeral}级").format(numeral=numeral), lv)
        self.override = QPushButton(tr("调整等级"))
        self.override.clicked.connect(self.on_override_clicked)
        self.close_button = QPushButton(tr("关闭事件"))
        self.close_button.clicked.connect(self.on_close_clicked)
        for b in (self.step, self.override, self.close_button):
            b.setMinimumHeight(TOUCH)
        row.addWidget(self.step)
        row.addWidget(self.level)
        row.addWidget(self.override)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        layout.addWidget(self.reason)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self._shown_level: int | None = None
        self.show_incident(None)

    def show_incident(self, incident_id: str | None) -> None:
        """Offer the steps of ``incident_id`` (None: nothing selected)."""
        other = incident_id != self.incident_id
        if other:
            self.message.setText("")
            self.reason.clear()
            _mark(self.reason, False)
        self.incident_id = incident_id
        inc = self.picture.incidents.get(incident_id or "")
        usable = inc is not None and self.act is not None
        nxt = NEXT_STEP.get(inc.status) if inc else None
        self.step.setText(
            tr("下一步：{step}").format(step=tr(STEP_NAMES[nxt])) if nxt else tr("下一步")
        )
        self.step.setEnabled(usable and nxt is not None)
        self.override.setEnabled(usable)
        self.close_button.setEnabled(usable)
        # The picker shows the incident's level when another incident is chosen or its level
        # changes — never on a redraw (every second): the level a person picked, while typing
        # the reason, is what 调整等级 sends (before, it went back within a second and
        # "level: 2 → 2" was recorded with the reason meant for Ⅰ级).
        level = inc.level if inc is not None else None
        if level in (1, 2, 3, 4) and (other or level != self._shown_level):
            self.level.setCurrentIndex(level - 1)
        self._shown_level = level

    def _needs_reason(self) -> str | None:
        text = self.reason.text().strip()
        if not text:
            _mark(self.reason, True)
            self.reason.setFocus()
            self.message.setText(tr("请填写理由：会记入事件记录并随报送"))
            return None
        _mark(self.reason, False)
        return text

    def _send(self, button: QPushButton, kind: type, done: str, **fields: Any) -> None:
        assert self.act is not None and self.incident_id is not None
        self.message.setText(tr("正在提交…"))

        def queued() -> None:
            self.message.setText(tr("指挥中心未应答：已排队，恢复连接后发送"))

        def answered(refusal: str | None) -> None:
            if refusal:
                self.message.setText(refused(refusal))
            else:
                self.message.setText(done)
                self.reason.clear()

        self._actions.start(
            button, self.act(kind, incident_id=self.incident_id, **fields), queued, answered
        )

    def on_step_clicked(self) -> None:
        """Move the incident to its next status, with the note typed (may be empty)."""
        inc = self.picture.incidents.get(self.incident_id or "")
        nxt = NEXT_STEP.get(inc.status) if inc else None
        if nxt is None:
            return
        self._send(
            self.step,
            IncidentTransition,
            tr("已提交：{step}").format(step=tr(STEP_NAMES[nxt])),
            to=nxt,
            note=self.reason.text().strip(),
        )

    def on_override_clicked(self) -> None:
        """Set the level by hand (a reason is required and kept)."""
        reason = self._needs_reason()
        if reason is None:
            return
        level = self.level.currentData()
        self._send(
            self.override,
            LevelOverride,
            tr("等级已调整为 {level}").format(level=self.level.currentText()),
            level=level,
            reason=reason,
        )

    def on_close_clicked(self) -> None:
        """Close the incident (a reason is required: 终报已报, 误报 …)."""
        reason = self._needs_reason()
        if reason is None:
            return
        self._send(self.close_button, IncidentClose, tr("事件已关闭"), reason=reason)


ReadRecord = Callable[[str], Awaitable[Any]]
"""read_record(incident id) → the IncidentRecord, or why not (a string)."""


class QtRecordLookup(QWidget):
    """调阅: any incident's record by its id, closed ones too, and 重新打开 for a closed one."""

    shown = Signal(str)
    """The record as HTML, for the board's detail pane."""
    reopened = Signal(str)

    def __init__(
        self, read: ReadRecord | None, act: Act | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.read = read
        self.act = act
        self.closed_id: str | None = None
        self._actions = UiActions()
        self._tasks: set[Any] = set()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        # closed incidents this hall saw close, newest first: looked up with the mouse alone
        self.recent = QComboBox()
        self.recent.setMinimumWidth(220)
        self.recent.activated.connect(self.on_recent_chosen)
        self.set_recent([])
        row.addWidget(self.recent)
        self.lookup_id = QLineEdit()
        self.lookup_id.setPlaceholderText(tr("事件编号（含已关闭的事件）"))
        self.lookup_id.returnPressed.connect(self.on_lookup_clicked)
        self.lookup = QPushButton(tr("调阅"))
        self.lookup.clicked.connect(self.on_lookup_clicked)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("重新打开的理由"))
        self.reopen = QPushButton(tr("重新打开"))
        self.reopen.clicked.connect(self.on_reopen_clicked)
        for w in (self.lookup_id, self.lookup, self.reason, self.reopen):
            w.setMinimumHeight(TOUCH)
            row.addWidget(w)
        self.lookup.setEnabled(read is not None)
        self.set_closed(None)

    def set_recent(self, closed: list[Any]) -> None:
        """Offer ``closed`` (IncidentStates, newest first) in the drop-down."""
        ids = [c.incident_id for c in closed]
        current = [self.recent.itemData(i) for i in range(1, self.recent.count())]
        if ids == current and self.recent.count():
            return
        self.recent.clear()
        self.recent.addItem(
            tr("最近关闭的事件（{n}）…").format(n=len(ids)) if ids else tr("本次未见关闭的事件"),
            None,
        )
        for c in closed:
            self.recent.addItem(f"{c.incident_id} · {c.title}", c.incident_id)
        self.recent.setEnabled(bool(ids))

    def on_recent_chosen(self, index: int) -> None:
        """A recently closed incident chosen: look its record up."""
        incident_id = self.recent.itemData(index)
        if incident_id:
            self.lookup_id.setText(str(incident_id))
            self.on_lookup_clicked()
        self.recent.setCurrentIndex(0)

    def set_closed(self, incident_id: str | None) -> None:
        """Offer 重新打开 for ``incident_id`` (a closed incident just looked up), or not."""
        self.closed_id = incident_id
        self.reason.setVisible(incident_id is not None)
        self.reopen.setVisible(incident_id is not None)
        self.reopen.setEnabled(incident_id is not None and self.act is not None)

    def on_lookup_clicked(self) -> None:
        """Read the record of the id typed and show it."""
        import asyncio

        incident_id = self.lookup_id.text().strip()
        if not incident_id or self.read is None:
            _mark(self.lookup_id, not incident_id)
            return
        _mark(self.lookup_id, False)
        read = self.read

        async def go() -> None:
            try:
                record = await read(incident_id)
            except TimeoutError:
                record = tr("指挥中心未应答，请稍后再试")
            if isinstance(record, str):
                self.set_closed(None)
                self.shown.emit(f"<p style='color:#ff5c5c'>{html.escape(record)}</p>")
                return
            closed = record.incident.get("status") == "closed"
            self.set_closed(incident_id if closed else None)
            self.shown.emit(record_html(record))

        task = asyncio.get_event_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_reopen_clicked(self) -> None:
        """Reopen the closed incident shown (a reason is required)."""
        reason = self.reason.text().strip()
        if not reason:
            _mark(self.reason, True)
            self.reason.setFocus()
            self.shown.emit(
                f"<p style='color:#ff5c5c'>{html.escape(tr('请填写重新打开的理由'))}</p>"
            )
            return
        _mark(self.reason, False)
        if self.act is None or self.closed_id is None:
            return
        incident_id = self.closed_id

        def say(text: str) -> None:
            self.shown.emit(f"<p style='color:#ff5c5c'>{html.escape(text)}</p>")

        def queued() -> None:
            say(tr("指挥中心未应答：已排队，恢复连接后发送"))

        def answered(refusal: str | None) -> None:
            if refusal:
                say(refused(refusal))
                return
            self.reason.clear()
            self.set_closed(None)
            self.reopened.emit(incident_id)

        self._actions.start(
            self.reopen,
            self.act(IncidentReopen, incident_id=incident_id, reason=reason),
            queued,
            answered,
        )


def _status(code: object) -> str:
    return tr(STATUS_NAMES.get(str(code), str(code)))


def _when(value: object) -> str:
    """A stored time as the hall shows times (local, to the second)."""
    try:
        return datetime.fromisoformat(str(value)).astimezone().strftime("%m-%d %H:%M:%S")
    except ValueError:
        return str(value or "")


def record_html(record: Any) -> str:
    """An incident's record as the board shows it: facts, steps, reports, changes."""
    e = html.escape
    inc = record.incident
    status = str(inc.get("status", ""))
    parts = [f"<h3>{e(str(inc.get('title', '')))}（{e(str(inc.get('incident_id', '')))}）</h3>"]
    state = tr("已关闭：{reason}").format(reason=inc.get("closed_reason") or "—")
    parts.append(f"<p>{e(state if status == 'closed' else _status(status))}</p>")
    if record.transitions:
        parts.append(f"<h4>{e(tr('处置过程'))}</h4><ul>")
        for t in record.transitions:
            line = (
                f"{_when(t.get('at'))} {_status(t.get('from_status'))} → "
                f"{_status(t.get('to_status'))}"
            )
            line += f" · {t.get('by', '')}" + (f"：{t.get('note')}" if t.get("note") else "")
            parts.append(f"<li>{e(line)}</li>")
        parts.append("</ul>")
    if record.reports:
        parts.append(f"<h4>{e(tr('报告'))}</h4>")
        for r in record.reports:
            stage = tr(STAGE_NAMES.get(str(r.get("stage", "")), str(r.get("stage", ""))))
            head = f"{stage} · {r.get('title', '')} · {r.get('sender', '')}"
            parts.append(f"<p><b>{e(head)}</b><br>{e(str(r.get('text', '')))}</p>")
    if record.changes:
        parts.append(f"<h4>{e(tr('事实变更'))}</h4><ul>")
        for c in record.changes:
            line = f"{c.get('fact', '')}: {c.get('before', '')} → {c.get('after', '')}"
            who = str(c.get("by", ""))
            if c.get("person"):
                who = f"{c.get('person')} @ {who}"
            line += f" · {who}" + (f"（{c.get('reason')}）" if c.get("reason") else "")
            parts.append(f"<li>{e(line)}</li>")
        parts.append("</ul>")
    return "".join(parts)
