"""Guard against Qt bindings that corrupt None's reference count (PySide6 6.12 on 3.11)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsScene


def test_void_qt_calls_keep_none_alive(qapp: object) -> None:
    scene = QGraphicsScene()
    dot = scene.addEllipse(-6, -6, 12, 12)
    before = sys.getrefcount(None)
    for i in range(5000):
        dot.setPos(QPointF(i, i))
    drift = sys.getrefcount(None) - before
    assert abs(drift) < 500, f"None refcount drifted by {drift} over 5000 calls: broken binding"
