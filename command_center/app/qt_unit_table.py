"""The unit list: callsign, type, position, speed, age of the last fix."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from command_center.app.i18n import N_, tr
from shared.client import SituationPicture

HEADERS = [N_("呼号"), N_("类型"), N_("纬度"), N_("经度"), N_("速度 km/h"), N_("更新(秒前)")]


class QtUnitTable(QTableWidget):
    """Rows for every unit, redrawn in one pass by :meth:`refresh`."""

    def __init__(self, picture: SituationPicture, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.picture = picture
        self.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    def refresh(self) -> None:
        """Rewrite all rows (a few hundred at most on this panel)."""
        now = datetime.now(UTC)
        units = sorted(self.picture.units.values(), key=lambda u: u.callsign or u.unit_id)
        self.setRowCount(len(units))
        for row, u in enumerate(units):
            age = (now - u.fix_time).total_seconds()
            speed = "" if u.speed_mps is None else f"{u.speed_mps * 3.6:.0f}"
            cells = [
                u.callsign or u.unit_id,
                u.unit_type,
                f"{u.lat:.5f}",
                f"{u.lon:.5f}",
                speed,
                f"{age:.0f}",
            ]
            stale = self.picture.is_stale(u, now)
            for col, text in enumerate(cells):
                item = self.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, col, item)
                item.setText(text)
                item.setForeground(QColor("#5b6673" if stale else "#e8eef5"))
