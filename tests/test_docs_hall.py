"""docs/command-hall.md is kept true: every tab the window has is in its table, and every
button it names (in bold) is a text the hall shows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "command-hall.md"


def _hall_texts() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "command_center" / "app").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_tab_of_the_window_is_in_the_tab_table(qtbot: object) -> None:
    import asyncio

    from command_center.app.qt_main_window import QtMainWindow
    from shared.client import Replica, SituationPicture

    replica = Replica.__new__(Replica)
    replica.synced = asyncio.Event()
    replica.last_beat = 0.0
    window = QtMainWindow(SituationPicture(), replica, use_map=False, media=lambda: (None, None))
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    text = DOC.read_text("utf-8")
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert len(tabs) == 8
    for tab in tabs:
        assert f"| {tab} |" in text, f"{DOC.name} does not describe the tab {tab!r}"


def test_every_button_the_page_names_is_one_the_hall_shows() -> None:
    texts = _hall_texts()
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
