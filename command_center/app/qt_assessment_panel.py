"""The assessment panel (综合研判): for the selected incident, its hazard zone, the facilities
and people inside, the nearest teams with arrival times, shelters with room, the suggested
level — and one action to activate the plan at that level. The numbers come from the same shared
functions the command line uses (its indexes kept until the resources change); the activation
is the same ``response`` command."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
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
from command_center.app.i18n import N_, refused, tr, tr_filled
from command_center.app.names import NUMERALS, UNIT_TYPES, level_text
from command_center.app.qt_dispatch_board import IssueOrder, cannot_receive, order_text
from command_center.app.ui_actions import UiActions
from shared.client import SituationPicture, context_from_resources, domain_incident
from shared.client.recipients import team_recipient
from shared.domain import (
    Assessment,
    AssessmentContext,
    DomainError,
    Wind,
    assess,
    classification,
    sample_data,
)
from shared.domain.plans import RESPONSE_WARNINGS

KIND_NAMES = {
    "school": N_("学校"),
    "hospital": N_("医院"),
    "chemical_plant": N_("化工企业"),
    "shelter": N_("避难场所"),
}
Respond = Callable[[str, str, int | None], Awaitable[str | None]]
"""(incident, action, level) → None when stored, else the refusal."""


class QtAssessmentPanel(QWidget):
    """Assess the selected incident; activate or raise its response."""

    zone = Signal(str, list)
    """(incident id, zone ring as (lat, lon)) — for the map."""

    def __init__(
        self,
        picture: SituationPicture,
        respond: Respond | None,
        parent: QWidget | None = None,
        *,
        issue: IssueOrder | None = None,
    ) -> None:
        super().__init__(parent)
        self.picture = picture
        self.respond = respond
        self.issue = issue
        self.dispatched: dict[tuple[str, str], str] = {}
        """(incident, team) → what the 派遣 button says now (sent, queued …)."""
        self.incident_id: str | None = None
        self.result: Assessment | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("风向(来向°)")))
        self.wind_from = QDoubleSpinBox()
        self.wind_from.setRange(-1, 360)
        self.wind_from.setSpecialValueText(tr("无"))
        self.wind_from.setValue(-1)
        row.addWidget(self.wind_from)
        row.addWidget(QLabel(tr("风速 m/s")))
        self.wind_speed = QDoubleSpinBox()
        self.wind_speed.setRange(0, 60)
        self.wind_speed.setValue(3.0)
        row.addWidget(self.wind_speed)
        self.wind_from.valueChanged.connect(self.on_wind_changed)
        self.wind_speed.valueChanged.connect(self.on_wind_changed)
        self.run = QPushButton(tr("研判"))
        self.run.clicked.connect(self.assess)
        row.addWidget(self.run)
        row.addStretch(1)
        layout.addLayout(row)
        self.report = QTextBrowser()
        layout.addWidget(self.report, 1)
        self.teams_title = QLabel(tr("最近可用队伍"))
        layout.addWidget(self.teams_title)
        self.teams = QTableWidget(0, 4)
        self.empty = EmptyHint(self.teams, tr("选择事件后列出最近的可用队伍"))
        self.teams.setHorizontalHeaderLabels([tr("队伍"), tr("距离 / 到达"), tr("接收终端"), ""])
        self.teams.verticalHeader().setVisible(False)
        self.teams.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.teams.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.teams.verticalHeader().setDefaultSectionSize(44)
        self.teams.setMinimumHeight(44 * 5 + 30)
        layout.addWidget(self.teams)
        act = QHBoxLayout()
        self.level = QComboBox()
        for lv in (4, 3, 2, 1):
            self.level.addItem(tr("{numeral}级响应").format(numeral=NUMERALS[lv]), lv)
        act.addWidget(self.level)
        self.activate = QPushButton(tr("启动预案"))
        self.activate.setMinimumHeight(44)
        self.activate.clicked.connect(self.on_activate_clicked)
        self.activate.setEnabled(False)
        act.addWidget(self.activate, 1)
        layout.addLayout(act)
        self.status = QLabel("" if respond else tr("只读：未连接指挥中心"))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._actions = UiActions()
        self._context: AssessmentContext | None = None

    def on_wind_changed(self) -> None:
        """Wind typed in: the zone is recomputed at once (a plume, or why not)."""
        if self.incident_id is not None:
            self.assess()

    def zone_text(self, a: Assessment) -> str:
        """The zone in words, and why the wind was not used when it was given."""
        from shared.domain.assessment import assessment_params

        area = f"{a.zone_area_km2}"
        if a.zone_model == "plume":
            return tr(
                "危险区：下风向扩散扇区（风从 {deg}° 来，风速 {speed} m/s），面积 {area} km²"
            ).format(
                deg=f"{self.wind_from.value():.0f}",
                speed=f"{self.wind_speed.value():.1f}",
                area=area,
            )
        radius = a.zone_model.removeprefix("radius ").removesuffix(" m")
        text = tr("危险区：以事发点为中心半径 {radius} m，面积 {area} km²").format(
            radius=radius, area=area
        )
        if self.wind_from.value() >= 0:
            names = {t.code: t.name for t in classification().types}
            names.update({s.code: s.name for t in classification().types for s in t.subtypes})
            kinds = "、".join(tr(names.get(c, c)) for c in assessment_params().plume.types)
            text += tr("（风向风速只用于{kinds}类事件的下风向扩散扇区，本事件类型不适用）").format(
                kinds=kinds
            )
        return text

    def resources_changed(self) -> None:
        """The resources moved on: the next assessment rebuilds its indexes."""
        self._context = None

    def show_incident(self, incident_id: str) -> None:
        """Assess ``incident_id`` now."""
        self.incident_id = incident_id
        self.assess()

    def assess(self) -> None:
        """Run the assessment with the current wind and show it."""
        inc = self.picture.incidents.get(self.incident_id or "")
        if inc is None:
            hint = html.escape(tr("在事件列表或地图上选择一个事件"))
            self.report.setHtml(f"<p style='color:#9fb3c8'>{hint}</p>")
            self.activate.setEnabled(False)
            return
        wind = None
        if self.wind_from.value() >= 0:
            wind = Wind(self.wind_from.value(), self.wind_speed.value())
        try:
            if self._context is None:  # spatial indexes: built once per set of resources
                self._context = context_from_resources(
                    self.picture.resources.values(), sample_data().population_cells()
                )
            result = assess(domain_incident(inc), self._context, wind=wind)
        except DomainError as exc:
            failed = tr("无法研判：{error}").format(error=exc)
            self.report.setHtml(f"<p style='color:#ff5c5c'>{html.escape(failed)}</p>")
            return
        self.result = result
        self.zone.emit(inc.incident_id, list(result.zone_wgs84))
        if result.suggested_level:
            self.level.setCurrentIndex(self.level.findData(result.suggested_level))
        self.activate.setEnabled(self.respond is not None)
        self._update_button()
        self.report.setHtml(self._html(result))
        self._fill_teams(result)

    def _fill_teams(self, a: Assessment) -> None:
        """The nearest teams, each with who receives an order and a 派遣 button."""
        self.teams.setRowCount(len(a.nearest_teams))
        for row, t in enumerate(a.nearest_teams):
            resource = self.picture.resources.get(t.team_id)
            target = team_recipient(resource, self.picture.presence) if resource else None
            kind = tr(UNIT_TYPES.get(t.kind, t.kind)) if t.kind else ""
            eta = tr("{km} km，约 {minutes} 分钟").format(
                km=t.distance_km, minutes=f"{t.eta_min:.0f}"
            )
            receiver = ((target.device or tr("✕ 无")) if target is not None else tr("✕ 无")) + (
                f"（{target.through}）" if target is not None and target.through else ""
            )
            name = f"{t.name}（{kind}）" if kind else t.name
            for col, value in enumerate((name, eta, receiver)):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.teams.setItem(row, col, item)
            said = self.dispatched.get((a.incident_id, t.team_id))
            button = QPushButton(said or tr("派遣"))
            button.setObjectName(f"dispatch:{t.team_id}")
            button.setMinimumHeight(40)
            button.setEnabled(self.issue is not None and said is None)
            button.clicked.connect(
                lambda _c=False, b=button, tid=t.team_id: self.on_dispatch_clicked(b, tid)
            )
            self.teams.setCellWidget(row, 3, button)

    def dispatch_button(self, team_id: str) -> QPushButton | None:
        """The 派遣 button of ``team_id`` in the current list."""
        for row in range(self.teams.rowCount()):
            w = self.teams.cellWidget(row, 3)
            if isinstance(w, QPushButton) and w.objectName() == f"dispatch:{team_id}":
                return w
        return None

    def on_dispatch_clicked(self, button: QPushButton, team_id: str) -> None:
        """Order the team out to the incident, through whoever receives for it."""
        inc = self.picture.incidents.get(self.incident_id or "")
        resource = self.picture.resources.get(team_id)
        if self.issue is None or inc is None or resource is None:
            return
        target = team_recipient(resource, self.picture.presence)
        if target.device is None:
            self.status.setText(cannot_receive(target))
            return
        text = order_text(
            target,
            tr("请立即出动前往“{title}”（{lat:.5f}, {lon:.5f}），到达后报告。").format(
                title=inc.title, lat=inc.lat, lon=inc.lon
            ),
        )
        key = (inc.incident_id, team_id)
        self.status.setText(tr("正在派遣 {team} …").format(team=resource.name))

        def answered(refusal: str | None) -> None:
            if refusal:
                self.status.setText(refused(refusal))
                return
            self.dispatched[key] = tr("已派遣")
            button.setText(tr("已派遣"))
            button.setEnabled(False)
            self.status.setText(
                tr("已派遣 {team}，指令发往 {device}").format(
                    team=resource.name, device=target.device
                )
            )

        self._actions.start(
            button,
            self.issue(target.device, text, inc.incident_id),
            tr("指挥中心未应答：指令已排队，连接恢复后自动发送"),
            answered,
        )

    def _update_button(self) -> None:
        response = self.picture.responses.get(self.incident_id or "")
        if response is not None and response.active:
            numeral = NUMERALS.get(response.level or 0, "")
            self.activate.setText(tr("调整响应（当前 {numeral}级）").format(numeral=numeral))
        else:
            self.activate.setText(tr("启动预案"))

    def _title(self, incident_id: str) -> str:
        inc = self.picture.incidents.get(incident_id)
        return ((tr("【演练】") if inc.exercise else "") + inc.title) if inc else ""

    def _html(self, a: Assessment) -> str:
        e = html.escape
        kinds = "、".join(
            f"{tr(KIND_NAMES.get(k, k))} {n}" for k, n in sorted(a.facilities_by_kind.items())
        )
        zone = self.zone_text(a)
        inside = tr("区内设施：{kinds}；区内人口约 {people} 人（样例人口网格）").format(
            kinds=kinds or tr("无"), people=f"{a.population_inside:,}"
        )
        heading = tr("研判：{title}（{incident}）").format(
            title=self._title(a.incident_id), incident=a.incident_id
        )
        parts = [
            f"<h3>{e(heading)}</h3>",
            f"<p>{e(zone)}</p>",
            f"<p>{e(inside)}</p>",
            f"<p>{e(tr('建议等级：'))}<b>{e(level_text(a.suggested_level))}</b></p>",
        ]
        inc = self.picture.incidents.get(a.incident_id)
        if inc is not None and inc.level != a.suggested_level:
            differs = tr(
                "事件当前定为 {current}，与研判建议不同；如需调整，在“事件”页调整等级并写明理由"
            )
            parts.append(
                f"<p style='color:#facc15'>⚠ {e(differs.format(current=level_text(inc.level)))}</p>"
            )
        if not a.nearest_teams:
            parts.append(f"<p style='color:#9fb3c8'>{e(tr('附近没有可用的救援队伍'))}</p>")
        if a.level_criteria:
            basis = tr("依据：{criteria}").format(criteria="；".join(a.level_criteria))
            parts.append(f"<p style='color:#9fb3c8'>{e(basis)}</p>")
        parts.append(f"<h4>{e(tr('可用避难场所'))}</h4><ol>")
        for s in a.shelters:
            room = tr("空余 {free} 人，{km} km").format(free=f"{s.free:,}", km=s.distance_km)
            parts.append(f"<li>{e(s.name)} — {e(room)}</li>")
        parts.append("</ol>")
        response = self.picture.responses.get(a.incident_id)
        if response is not None:
            state = tr("进行中") if response.active else tr("已终止")
            title = tr("应急响应：{level}（{state}）").format(
                level=level_text(response.level), state=state
            )
            plan = tr("预案 {plan}，指令 {n} 条").format(plan=response.plan, n=len(response.orders))
            parts.append(f"<h4>{e(title)}</h4><p>{e(plan)}</p>")
            for w in response.warnings:
                parts.append(f"<p style='color:#facc15'>⚠ {e(tr_filled(w, RESPONSE_WARNINGS))}</p>")
        return "".join(parts)

    def on_activate_clicked(self) -> None:
        """Activate the plan at the chosen level (or raise / lower an active response)."""
        if self.respond is None or self.incident_id is None:
            return
        level = int(self.level.currentData())
        response = self.picture.responses.get(self.incident_id)
        action = "activate"
        if response is not None and response.active and response.level is not None:
            if level == response.level:
                self.status.setText(tr("响应已在该级别"))
                return
            action = "raise" if level < response.level else "lower"
        self.status.setText(tr("正在提交…"))
        names = {"activate": tr("已启动"), "raise": tr("已提升至"), "lower": tr("已降低至")}

        def answered(refusal: str | None) -> None:
            done = tr("{done}{numeral}级响应").format(done=names[action], numeral=NUMERALS[level])
            failed = tr("未执行（指挥中心拒绝）：{reason}").format(reason=refusal)
            self.status.setText(failed if refusal else done)

        self._actions.start(
            self.activate,
            self.respond(self.incident_id, action, level),
            tr("指挥中心未应答：命令已排队"),
            answered,
        )

    def refresh(self) -> None:
        """Redraw after the incident, its response or the resources changed."""
        if self.incident_id is not None and self.result is not None:
            self._update_button()
            self.report.setHtml(self._html(self.result))
