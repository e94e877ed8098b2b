"""Figures change only by typing or clicking: a mouse wheel turned over a spin box or a
drop-down that does not have the keyboard focus scrolls the form instead (three notches over
死亡 in a scrolling form once turned 0 into 3 without a click; casualties drive the grading).

:func:`guard_wheel` is called by a window once its forms are built; a spin box or drop-down
then takes the wheel only after it was clicked or tabbed into.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if watched.hasFocus():
            return False
        parent = watched.parentWidget()  # the form around it scrolls instead
        if parent is not None:
            QApplication.sendEvent(parent, event)
        return True


def guard_wheel(root: QWidget) -> int:
    """Guard every spin box and drop-down under ``root``; returns how many."""
    guard = root.findChild(_WheelGuard) or _WheelGuard(root)
    widgets = [*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox)]
    for w in widgets:
        w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # focus by click or tab, not the wheel
        w.installEventFilter(guard)
    return len(widgets)
