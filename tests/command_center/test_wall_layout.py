"""The hall on the wall: key columns never cut at 1920×1080 (measured with the fonts in
use), and the window drawn at 1366×768, 1920×1080 and 3840×2160 for people to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from command_center.app.qt_main_window import QtMainWindow
from shared.client import SituationPicture
from shared.protocol import IncidentState, OrderStatus, PresenceState, UnitState
from tests.support import idle_replica


def _picture() -> SituationPicture:
    """A busy afternoon: long ids and titles as the hall makes them."""
    picture = SituationPicture()
    now = datetime.now(UTC)
    titles = [
        "景县化工园区储罐区氨气泄漏，周边三个村庄正在转移",
        "滏阳河冀州段漫堤",
        "衡德高速故城段多车追尾，两辆危化品运输车受损",
        "桃城区人民路积水",
        "深州市某商场火灾",
    ]
    for i, title in enumerate(titles):
        incident_id = f"HS-20261129-{i:02d}K3F9A"
        picture.on_update(
            "incident",
            incident_id,
            IncidentState(
                incident_id=incident_id,
                title=title,
                lat=37.6 + i / 50,
                lon=115.7,
                status="responding",
                updated=now,
                level=1 + i % 4,
                division="131127",
                exercise=False,
                closed_reason="",
                type_code="hazchem.leak",
            ),
        )
    for i in range(6):
        order_id = f"O-01M8JRVX8SD8K2KKFRBYJT0N{i:02d}"
        picture.on_update(
            "order",
            order_id,
            OrderStatus(
                order_id=order_id,
                recipient="liaison-emergency",
                text="请市应急管理局协调周边企业停产，组织群众转移",
                state="acknowledged",
                issued_by="hall-1",
                updated=now - timedelta(minutes=i),
                incident_id="HS-20261129-00K3F9A",
            ),
        )
    for name, role in (("liaison-emergency", "liaison"), ("team-hazmat", "field")):
        picture.on_update(
            "presence", name, PresenceState(device=name, role=role, status="online", last_seen=now)
        )
    for i in range(30):
        picture.on_update(
            "unit",
            f"U-{i}",
            UnitState(
                unit_id=f"U-{i}",
                device="sim",
                lat=37.7,
                lon=115.6,
                fix_time=now,
                heading_deg=None,
                speed_mps=10.0,
                unit_type="ambulance",
                callsign=f"急救{i:02d}",
            ),
        )
    return picture


def _cut(table: Any, columns: list[int]) -> list[str]:
    """Cells of ``columns`` whose text does not fit their cell, measured with the table's
    font (wrapped where the table wraps)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtWidgets import QStyle

    metrics = table.fontMetrics()
    # the text margin Qt's item delegate keeps on each side of a cell
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    flags = int(Qt.TextFlag.TextWordWrap) if table.wordWrap() else 0
    out = []
    for row in range(table.rowCount()):
        for col in columns:
            item = table.item(row, col)
            if item is None or not item.text():
                continue
            rect = table.visualItemRect(item)
            room = rect.width() - 2 * margin
            need = metrics.boundingRect(QRect(0, 0, room, 10_000), flags, item.text())
            if need.width() > room or need.height() > rect.height():
                out.append(
                    f"{row},{col}: {item.text()} ({need.width()}×{need.height()} in "
                    f"{room}×{rect.height()})"
                )
    return out


def test_no_key_column_is_cut_at_1920x1080(qtbot: Any) -> None:
    picture = _picture()
    window = QtMainWindow(picture, idle_replica(), use_map=False)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    window.incidents.refresh()
    window.dispatch.refresh()
    window.table.refresh()
    board = window.incidents
    assert board.table.rowCount() == 5
    # id, title, level, status, county, type on the incident board
    assert _cut(board.table, [0, 1, 2, 3, 4, 5]) == []
    window.tabs.setCurrentWidget(window.dispatch)
    qtbot.wait(50)
    # order id, recipient, state, incident on the dispatch board (the words wrap)
    assert _cut(window.dispatch.table, [0, 1, 2, 3, 4]) == []
    window.tabs.setCurrentWidget(window.table)
    qtbot.wait(50)
    assert _cut(window.table, [0, 1]) == []  # call signs, unit types


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080), (3840, 2160)])
def test_the_hall_at_three_screen_sizes(qtbot: Any, artifacts: Path, size: tuple[int, int]) -> None:
    picture = _picture()
    window = QtMainWindow(picture, idle_replica(), use_map=False)
    qtbot.addWidget(window)
    window.resize(*size)
    if size[0] > 2000:
        window.scale_fonts(2.0)  # a 4K wall is read from twice as far
    window.show()
    qtbot.waitExposed(window)
    window.incidents.refresh()
    window.incidents.table.selectRow(0)
    qtbot.wait(100)
    assert window.width() == size[0] and window.height() == size[1]
    window.grab().save(str(artifacts / f"hall-{size[0]}x{size[1]}.png"))
    # nothing pushed out of reach: the action buttons are inside the window at every size
    for button in (window.incidents.take, window.incidents.steps.close_button):
        corner = button.mapTo(window, button.rect().bottomRight())
        assert window.rect().contains(corner), (size, button.text())


def test_empty_tables_say_why_they_are_empty(qtbot: Any, artifacts: Path) -> None:
    window = QtMainWindow(SituationPicture(), idle_replica(), use_map=False)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    views = {
        "事件": window.incidents.table,
        "研判": window.assessment.teams,
        "单位": window.table,
        "调度": window.dispatch.table,
        "预警·报送": window.warnings.table,
    }
    for tab, view in views.items():
        window.tabs.setCurrentIndex([window.tabs.tabText(i) for i in range(8)].index(tab))
        image = view.viewport().grab().toImage()
        # the hint is drawn in its own colour (#9fb3c8) over the empty table
        hint = sum(
            1
            for x in range(0, image.width(), 2)
            for y in range(0, image.height(), 2)
            if image.pixelColor(x, y).name() == "#9fb3c8"
        )
        assert view.model().rowCount() == 0 and hint > 20, (tab, hint)
    window.tabs.setCurrentIndex(0)
    window.grab().save(str(artifacts / "hall-empty.png"))
