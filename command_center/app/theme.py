"""The dark high-contrast theme for wall displays, and unit-type colours."""

from __future__ import annotations

STYLE = """
QWidget { background: #0b0f14; color: #e8eef5; font-size: 15px; }
QLabel#title { font-size: 22px; font-weight: bold; color: #ffffff; }
QLabel#status { font-size: 15px; color: #9fb3c8; }
QLabel#status[state="online"] { color: #3ddc84; }
QLabel#status[state="offline"] { color: #ff5c5c; }
QLabel#alarms { font-size: 17px; padding: 4px; border-radius: 3px; }
QLabel#alarms[level="clear"] { color: #3ddc84; }
QLabel#alarms[level="warning"] { background: #4a3b00; color: #ffe58a; }
QLabel#alarms[level="urgent"] { background: #7f1d1d; color: #ffffff; font-weight: bold; }
QLabel#alarms[level="urgent"][flash="true"] { background: #dc2626; }
QLabel#problem { background: #3b1d1d; color: #ffd0d0; padding: 6px; font-size: 16px; }
QTableWidget { gridline-color: #1f2a36; selection-background-color: #1d4ed8; }
QHeaderView::section { background: #16202b; color: #cfe0f1; border: 0; padding: 4px; }
"""

UNIT_COLOURS = {
    "fire": "#ff6b35",
    "ambulance": "#ffffff",
    "police": "#3b82f6",
    "rescue": "#facc15",
}
STALE_COLOUR = "#5b6673"
INCIDENT_COLOURS = {1: "#ff2d2d", 2: "#ff8c1a", 3: "#ffd60a", 4: "#3b82f6"}


def scaled_style(scale: float) -> str:
    """The style sheet with every font size multiplied by ``scale`` (wall-distance reading)."""
    import re

    return re.sub(
        r"font-size: (\d+)px", lambda m: f"font-size: {round(int(m.group(1)) * scale)}px", STYLE
    )
