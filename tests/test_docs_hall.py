"""docs/command-hall.md is kept true: every tab the window has is in its table, and every
button it names (in bold) is a text the hall shows."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import hall_marked_texts, idle_replica

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "command-hall.md"


def test_every_tab_of_the_window_is_in_the_tab_table(qtbot: object) -> None:

    from command_center.app.qt_main_window import QtMainWindow
    from shared.client import SituationPicture

    replica = idle_replica()
    window = QtMainWindow(SituationPicture(), replica, use_map=False, media=lambda: (None, None))
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    text = DOC.read_text("utf-8")
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert len(tabs) == 8
    for tab in tabs:
        assert f"| {tab} |" in text, f"{DOC.name} does not describe the tab {tab!r}"


def test_every_button_the_page_names_is_one_the_hall_shows() -> None:
    texts = set(hall_marked_texts())
    named = re.findall(r"\*\*(.+?)\*\*", DOC.read_text("utf-8"))
    assert len(named) >= 10
    for name in named:
        # 下一步：核实 / 启动响应 / 已控制 names three texts at once
        parts = [p.strip() for p in re.split(r"[/：]", name) if p.strip()]
        for part in parts:
            assert any(part in t for t in texts), (
                f"{DOC.name} names {part!r}, the hall has no such text"
            )


def test_the_readme_links_the_page() -> None:
    assert "docs/command-hall.md" in (ROOT / "README.md").read_text("utf-8")
