"""Day and night high-contrast themes for rugged laptops: sunlight, gloves, 1366×768.
Every button and field is at least 48 px high; text is large."""

from __future__ import annotations

_COMMON = """
QWidget {{ font-size: 19px; }}
QPushButton, QComboBox, QLineEdit, QSpinBox {{ min-height: 48px; padding: 4px 12px; }}
QPushButton {{ border-radius: 6px; font-weight: bold; }}
QPushButton#sos {{ background: #dc2626; color: #ffffff; font-size: 24px; min-width: 120px; }}
QPushButton#sos[active="true"] {{ background: #ffffff; color: #dc2626; }}
QLabel#strip {{ font-size: 17px; padding: 4px; }}
QLabel#ring {{ background: #dc2626; color: #ffffff; font-size: 22px; padding: 8px; }}
QLabel#prealarm {{ background: #f59e0b; color: #000000; font-size: 22px; padding: 8px; }}
QListWidget::item {{ min-height: 56px; }}
QTabBar::tab {{ min-height: 48px; min-width: 120px; font-size: 19px; }}
QWidget {{ background: {bg}; color: {fg}; }}
QPushButton {{ background: {button}; color: {fg}; border: 2px solid {edge}; }}
QLineEdit, QTextEdit, QComboBox, QSpinBox, QListWidget {{
    background: {field}; color: {fg}; border: 2px solid {edge}; }}
QLabel#strip[link="online"] {{ color: {ok}; }}
QLabel#strip[link="offline"] {{ color: #dc2626; }}
"""

THEMES = {
    "day": _COMMON.format(
        bg="#ffffff", fg="#000000", button="#e5e7eb", edge="#111827", field="#ffffff", ok="#047857"
    ),
    "night": _COMMON.format(
        bg="#000000", fg="#f5f5f5", button="#1f2937", edge="#9ca3af", field="#111111", ok="#34d399"
    ),
}
