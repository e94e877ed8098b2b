"""The unit list: callsign, type, position, speed, age of the last fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHeaderView, QMenu, QTableWidget, QTableWidgetItem, QWidget

from command_center.app.i18n import N_, tr
from command_center.app.names import UNIT_TYPES
from shared.client import SituationPicture

HEADERS = [N_("呼号"), N_("类型"), N_("纬度"), N_("经度"), N_("速度 km/h"), N_("更新(秒前)")]


class QtUnitTable(QTableWidget):
    """Rows for every unit, redrawn in one pass by :meth:`refresh`; right-click dispatches."""

    dispatch = Signal(str)
    """``unit:ID`` — the duty officer wants to give this unit an order."""

    def __init__(self, picture: SituationPicture, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.picture = picture
        self.shown: list[str] = []
        self.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self.on_context_menu)
        self.cellDoubleClicked.connect(lambda row, _c: self._dispatch_row(row))
        self.menu: QMenu | None = None

    def paintEvent(self, event: Any) -> None:
        """An empty list says why it is empty."""
        super().paintEvent(event)
        if self.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor("#9fb3c8"))
            painter.drawText(
                self.viewport().rect(),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                tr("暂无单位：现场终端上线并上报位置后显示在这里"),
            )
            painter.end()

    def _dispatch_row(self, row: int) -> None:
        if 0 <= row < len(self.shown):
            self.dispatch.emit(f"unit:{self.shown[row]}")

    def on_context_menu(self, pos: QPoint) -> None:
        """Right-click on a unit: 派遣 (an order to it)."""
        item = self.itemAt(pos)
        if item is None:
            return
        row = item.row()
        self.selectRow(row)
        menu = QMenu(self)
        menu.addAction(tr("派遣…")).triggered.connect(lambda: self._dispatch_row(row))
        menu.popup(self.viewport().mapToGlobal(pos))
        self.menu = menu

    def select_unit(self, unit_id: str) -> bool:
        """Select and show ``unit_id``'s row (an SOS, a click on the map)."""
        self.refresh()
        if unit_id not in self.shown:
            return False
        row = self.shown.index(unit_id)
        self.selectRow(row)
        item = self.item(row, 0)
        if item is not None:
            self.scrollToItem(item, QTableWidget.ScrollHint.PositionAtCenter)
        return True

    def refresh(self) -> None:
        """Rewrite all rows (a few hundred at most on this panel)."""
        now = datetime.now(UTC)
        units = sorted(self.picture.units.values(), key=lambda u: u.callsign or u.unit_id)
        self.setRowCount(len(units))
        self.shown = [u.unit_id for u in units]
        for row, u in enumerate(units):
            age = (now - u.fix_time).total_seconds()
            speed = "" if u.speed_mps is None else f"{u.speed_mps * 3.6:.0f}"
            cells = [
                u.callsign or u.unit_id,
                tr(UNIT_TYPES.get(u.unit_type, u.unit_type)) if u.unit_type else "",
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
