"""A lightweight live situation view of Hengshui: county seats, units, incidents.

Until the offline Leaflet map lands, this draws in a QGraphicsScene with a simple
equirectangular projection centred on the city (fine for display at county scale).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from command_center.app.i18n import tr
from command_center.app.theme import INCIDENT_COLOURS, STALE_COLOUR, UNIT_COLOURS
from shared.client import PictureChanges, SituationPicture
from shared.geo import city_centre, county_seats

SCALE = 2400.0  # scene pixels per degree of latitude
_FIXED_SIZE = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations  # markers keep their size


class QtSituationView(QGraphicsView):
    """Draws the picture; redrawn in batches from :meth:`apply`."""

    def __init__(self, picture: SituationPicture, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = picture
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setBackgroundBrush(QColor("#0b0f14"))
        centre = city_centre()
        self._lat0, self._lon0 = centre.lat, centre.lon
        self._coslat = math.cos(math.radians(centre.lat))
        self._units: dict[str, tuple[QGraphicsEllipseItem, QGraphicsSimpleTextItem]] = {}
        self._incidents: dict[str, QGraphicsPolygonItem] = {}
        self._draw_places()

    def to_scene(self, lat: float, lon: float) -> QPointF:
        """Scene coordinates of a WGS-84 point."""
        return QPointF((lon - self._lon0) * self._coslat * SCALE, (self._lat0 - lat) * SCALE)

    def _draw_places(self) -> None:
        scene = self.scene()
        pen = QPen(QColor("#2b3a4a"), 1.5, Qt.PenStyle.DashLine)
        seats = county_seats()
        pts = [self.to_scene(p.lat, p.lon) for p in seats]
        xs, ys = [p.x() for p in pts], [p.y() for p in pts]
        bounds = QRectF(
            min(xs) - 120, min(ys) - 90, max(xs) - min(xs) + 240, max(ys) - min(ys) + 180
        )
        scene.addRect(bounds, pen)
        font = QFont()
        font.setPointSize(13)
        for place, pt in zip(seats, pts, strict=True):
            mark = scene.addEllipse(-6, -6, 12, 12, QPen(QColor("#7dd3fc"), 2))
            mark.setPos(pt)
            mark.setFlag(_FIXED_SIZE)
            label = scene.addSimpleText(tr(place.name), font)
            label.setBrush(QColor("#9fc9e8"))
            label.setPos(pt)
            label.setFlag(_FIXED_SIZE)
            # Offsets in screen pixels: the item ignores the view's scaling.
            label.setTransform(label.transform().translate(9, -24))
        scene.setSceneRect(bounds.adjusted(-40, -40, 40, 40))

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def apply(self, changes: PictureChanges) -> None:
        """Bring the drawn items in line with the picture for the changed keys."""
        for key in changes.units:
            self._update_unit(key)
        for key in changes.incidents:
            self._update_incident(key)

    def unit_count(self) -> int:
        """Units drawn on the view."""
        return len(self._units)

    def refresh_staleness(self) -> None:
        """Grey out units whose last fix is too old (called every few seconds)."""
        for key in self._units:
            self._update_unit(key)

    def _update_unit(self, key: str) -> None:
        unit = self.picture.units.get(key)
        items = self._units.get(key)
        if unit is None:
            if items:
                for item in items:
                    self.scene().removeItem(item)
                del self._units[key]
            return
        if items is None:
            dot = self.scene().addEllipse(-6, -6, 12, 12)
            dot.setZValue(10)
            dot.setFlag(_FIXED_SIZE)
            label = self.scene().addSimpleText("")
            label.setZValue(11)
            label.setFlag(_FIXED_SIZE)
            label.setTransform(label.transform().translate(8, 2))
            items = (dot, label)
            self._units[key] = items
        dot, label = items
        colour = QColor(
            STALE_COLOUR
            if self.picture.is_stale(unit)
            else UNIT_COLOURS.get(unit.unit_type, "#a3e635")
        )
        dot.setBrush(QBrush(colour))
        dot.setPen(QPen(QColor("#000000"), 1))
        pt = self.to_scene(unit.lat, unit.lon)
        dot.setPos(pt)
        label.setText(unit.callsign or unit.unit_id)
        label.setBrush(colour)
        label.setPos(pt)

    def _update_incident(self, key: str) -> None:
        incident = self.picture.incidents.get(key)
        item = self._incidents.pop(key, None)
        if item is not None:
            self.scene().removeItem(item)
        if incident is None:
            return
        pt = self.to_scene(incident.lat, incident.lon)
        tri = QPolygonF([QPointF(0, -14), QPointF(12, 8), QPointF(-12, 8)])
        poly = self.scene().addPolygon(tri, QPen(QColor("#000000"), 1.5))
        poly.setBrush(QColor(INCIDENT_COLOURS.get(incident.level or 4, "#3b82f6")))
        poly.setPos(pt)
        poly.setFlag(_FIXED_SIZE)
        poly.setZValue(20)
        poly.setToolTip(f"{incident.title}（{incident.status}）")
        self._incidents[key] = poly
