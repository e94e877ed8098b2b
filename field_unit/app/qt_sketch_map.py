"""A small map of the incident for sketching the area seen on the scene (标绘范围).

Drawn by Qt itself, with no web page: the county boundaries (built in, WGS-84), the
incident and this device's position, a scale bar, and the points tapped in order. Kept
light for rugged laptops (the field window opens no map page) and fully offline.
Tap to add a point, 撤销 to take the last back, 完成 when the ring is drawn.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.geo.project import to_metric, to_metric_many, to_wgs84


@cache
def _boundaries() -> list[tuple[str, list[tuple[float, float]]]]:
    """County rings as (name, [(x, y) metric]) — converted once per process."""
    from shared.geo.boundaries import hengshui_boundaries

    out = []
    for feature in hengshui_boundaries()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            ring = polygon[0]
            xs, ys = to_metric_many([p[1] for p in ring], [p[0] for p in ring])
            out.append((feature["properties"]["name"], list(zip(xs, ys, strict=True))))
    return out


class QtSketchCanvas(QWidget):
    """The map: ``half_width_m`` either side of the centre; taps become (lat, lon) points."""

    def __init__(
        self,
        centre: tuple[float, float],
        *,
        here: tuple[float, float] | None = None,
        half_width_m: float = 1500.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.centre = centre
        self.here = here
        self.half_width_m = half_width_m
        self.points: list[tuple[float, float]] = []
        self.setMinimumSize(600, 420)
        self._cx, self._cy = to_metric(*centre)

    def _scale(self) -> float:
        return min(self.width(), self.height()) / (2 * self.half_width_m)

    def to_screen(self, lat: float, lon: float) -> QPointF:
        """Where a WGS-84 point is drawn."""
        x, y = to_metric(lat, lon)
        return self._metric_to_screen(x, y)

    def _metric_to_screen(self, x: float, y: float) -> QPointF:
        k = self._scale()
        return QPointF(
            self.width() / 2 + (x - self._cx) * k, self.height() / 2 - (y - self._cy) * k
        )

    def to_latlon(self, point: QPointF) -> tuple[float, float]:
        """The WGS-84 point under a screen point."""
        k = self._scale()
        x = self._cx + (point.x() - self.width() / 2) / k
        y = self._cy - (point.y() - self.height() / 2) / k
        lat, lon = to_wgs84(x, y)
        return round(lat, 6), round(lon, 6)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A tap adds a point."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.points.append(self.to_latlon(event.position()))
            self.update()

    def undo(self) -> None:
        """Take the last point back."""
        if self.points:
            self.points.pop()
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Boundaries, the incident, this device, the sketch, a scale bar."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#f8fafc"))
        self._grid(p)
        p.setPen(QPen(QColor("#64748b"), 2, Qt.PenStyle.DashLine))
        for _name, ring in _boundaries():
            p.drawPolyline(QPolygonF([self._metric_to_screen(x, y) for x, y in ring]))
        self._dot(p, self.centre, "#dc2626", "事件", QPointF(12, 22))
        if self.here is not None:
            self._dot(p, self.here, "#2563eb", "本机", QPointF(12, -12))
        if self.points:
            pts = [self.to_screen(*pt) for pt in self.points]
            p.setPen(QPen(QColor("#d97706"), 4))
            p.setBrush(QColor(217, 119, 6, 60))
            if len(pts) >= 3:
                p.drawPolygon(QPolygonF(pts))
            else:
                p.drawPolyline(QPolygonF(pts))
            for pt in pts:
                p.drawEllipse(pt, 7, 7)
        self._scale_bar(p)
        p.end()

    def _dot(
        self, p: QPainter, where: tuple[float, float], colour: str, label: str, offset: QPointF
    ) -> None:
        pt = self.to_screen(*where)
        p.setPen(QPen(QColor(colour), 3))
        p.setBrush(QColor(colour))
        p.drawEllipse(pt, 8, 8)
        p.drawText(pt + offset, label)

    def _grid(self, p: QPainter) -> None:
        """A 500 m grid (CGCS2000 / 3° Gauss-Krüger), for distances at a glance."""
        step = 500.0
        p.setPen(QPen(QColor("#e2e8f0"), 1))
        k = self._scale()
        x0 = self._cx - self.width() / 2 / k
        x1 = self._cx + self.width() / 2 / k
        y0 = self._cy - self.height() / 2 / k
        y1 = self._cy + self.height() / 2 / k
        x = (x0 // step) * step
        while x <= x1:
            p.drawLine(self._metric_to_screen(x, y0), self._metric_to_screen(x, y1))
            x += step
        y = (y0 // step) * step
        while y <= y1:
            p.drawLine(self._metric_to_screen(x0, y), self._metric_to_screen(x1, y))
            y += step

    def _scale_bar(self, p: QPainter) -> None:
        metres = 500 if self.half_width_m >= 1000 else 100
        length = metres * self._scale()
        y = self.height() - 20
        p.setPen(QPen(QColor("#111827"), 3))
        p.drawLine(QPointF(20, y), QPointF(20 + length, y))
        p.drawText(QPointF(20, y - 8), f"{metres} 米")


class QtSketchDialog(QDialog):
    """The sketch, with 撤销 / 清除 / 完成; :attr:`ring` holds the result when accepted."""

    def __init__(
        self, centre: tuple[float, float], here: tuple[float, float] | None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("标绘现场范围：依次点击边界各点")
        layout = QVBoxLayout(self)
        self.canvas = QtSketchCanvas(centre, here=here)
        layout.addWidget(self.canvas, 1)
        row = QHBoxLayout()
        self.hint = QLabel("至少点 3 个点，按边界顺序")
        undo = QPushButton("撤销")
        undo.clicked.connect(self.canvas.undo)
        clear = QPushButton("清除")
        clear.clicked.connect(self.on_clear_clicked)
        self.finish = QPushButton("完成")
        self.finish.clicked.connect(self.on_done_clicked)
        row.addWidget(self.hint, 1)
        for b in (undo, clear, self.finish):
            row.addWidget(b)
        layout.addLayout(row)
        self.ring: list[tuple[float, float]] | None = None
        self.resize(900, 700)

    def on_clear_clicked(self) -> None:
        """Start again."""
        self.canvas.points.clear()
        self.canvas.update()

    def on_done_clicked(self) -> None:
        """Keep the ring (three points at least)."""
        if len(self.canvas.points) < 3:
            self.hint.setText("范围至少需要 3 个点")
            return
        self.ring = list(self.canvas.points)
        self.accept()
