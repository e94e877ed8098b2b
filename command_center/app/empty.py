"""Empty tables and lists say why they are empty and what fills them."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QAbstractItemView


class EmptyHint(QObject):
    """Paints ``text`` in the middle of ``view`` while it has no rows."""

    def __init__(self, view: QAbstractItemView, text: str) -> None:
        super().__init__(view)
        self.view = view
        self.text = text
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.view.model().rowCount() == 0:
            painter = QPainter(self.view.viewport())
            painter.setPen(QColor("#9fb3c8"))
            painter.drawText(
                self.view.viewport().rect().adjusted(12, 12, -12, -12),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                self.text,
            )
            painter.end()
            return True
        return False
