"""The statistics view: open incidents by level, type and county as bar charts, and the time
from an incident to its first report as a line — the figures a leader wants as pictures."""

from __future__ import annotations

import math
from collections import Counter

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QWidget

from command_center.app.i18n import tr
from command_center.app.names import level_text
from shared.client import SituationPicture
from shared.domain import classification
from shared.geo import county_seats

TEXT = QColor("#e8eef5")
BACKGROUND = QColor("#0b0f14")


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setTitleBrush(TEXT)
    chart.setBackgroundBrush(BACKGROUND)
    chart.legend().setVisible(False)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _axes(
    chart: QChart, series: QBarSeries | QLineSeries, categories: list[str], top: float
) -> None:
    x = QBarCategoryAxis()
    x.append(categories)
    x.setLabelsBrush(TEXT)
    y = QValueAxis()
    y.setLabelFormat("%d")
    y.setLabelsBrush(TEXT)
    ceiling = max(1, math.ceil(top))
    y.setRange(0, ceiling)
    y.setTickCount(min(ceiling, 10) + 1)  # whole numbers only: counts have no halves
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)


class QtStatistics(QWidget):
    """Four charts, redrawn by :meth:`refresh`."""

    def __init__(self, picture: SituationPicture, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = picture
        self._counties = {p.code: tr(p.name) for p in county_seats()}
        self._types = {t.code: tr(t.name) for t in classification().types}
        grid = QGridLayout(self)
        self.views = [QChartView() for _ in range(4)]
        for i, view in enumerate(self.views):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            grid.addWidget(view, i // 2, i % 2)
        self.figures: dict[str, dict[str, float]] = {}

    def refresh(self) -> None:
        """Recount and redraw."""
        incidents = list(self.picture.incidents.values())
        by_level = Counter(level_text(i.level) for i in incidents)
        unclassified, unknown = tr("未分类"), tr("未知")
        by_type = Counter(
            self._types.get(i.type_code.split(".")[0], unclassified) for i in incidents
        )
        by_county = Counter(self._counties.get(i.division or "", unknown) for i in incidents)
        levels = [level_text(lv) for lv in (1, 2, 3, 4, None)]
        self.figures = {
            "level": {k: float(by_level.get(k, 0)) for k in levels},
            "type": {k: float(v) for k, v in by_type.most_common(8)},
            "county": {k: float(v) for k, v in by_county.most_common(12)},
            "first_report": dict(self.picture.first_report_minutes()),
        }
        self._bars(self.views[0], tr("按等级"), self.figures["level"], "#ff8c1a")
        self._bars(self.views[1], tr("按类型"), self.figures["type"], "#3b82f6")
        self._bars(self.views[2], tr("按区县"), self.figures["county"], "#3ddc84")
        self._line(self.views[3], tr("首报用时（分钟）"), self.figures["first_report"])

    def _bars(self, view: QChartView, title: str, values: dict[str, float], colour: str) -> None:
        chart = _chart(tr("{title}（共 {n}）").format(title=title, n=int(sum(values.values()))))
        bars = QBarSet(title)
        bars.setColor(QColor(colour))
        for v in values.values():
            bars.append(v)
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        _axes(chart, series, list(values) or ["—"], max(values.values(), default=1))
        view.setChart(chart)

    def _line(self, view: QChartView, title: str, values: dict[str, float]) -> None:
        chart = _chart(title)
        series = QLineSeries()
        series.setColor(QColor("#facc15"))
        for i, v in enumerate(values.values()):
            series.append(i, v)
        chart.addSeries(series)
        _axes(chart, series, list(values) or ["—"], max(values.values(), default=1))
        view.setChart(chart)
