"""The incident board: filters, order, detail with the report timeline and countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from command_center.app.names import level_text
from command_center.app.qt_incident_board import countdown
from command_center.app.qt_main_window import QtMainWindow
from shared.client import SituationPicture
from shared.protocol import AlarmState, IncidentState, OrderStatus, ReportState
from tests.support import idle_replica


def test_countdown_and_level_texts() -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert countdown(now + timedelta(minutes=12, seconds=30), now) == ("还剩 12:30", False)
    assert countdown(now - timedelta(hours=1, minutes=2, seconds=3), now) == (
        "已超时 1:02:03",
        True,
    )
    assert level_text(2) == "Ⅱ级 重大" and level_text(None) == "未定级"


def _offline_window(qtbot: Any, picture: SituationPicture | None = None) -> QtMainWindow:
    """A window fed directly (its replica never started), with the simple view."""
    replica = idle_replica()
    window = QtMainWindow(picture or SituationPicture(), replica, use_map=False)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    return window


def _incident(key: str, level: int, status: str, division: str, type_code: str, **kw: Any) -> Any:
    now = datetime.now(UTC) - timedelta(minutes=int(key[-1]))
    return IncidentState(
        incident_id=key,
        title=f"事件{key}",
        lat=37.7,
        lon=115.6,
        status=status,
        updated=now,
        level=level,
        division=division,
        type_code=type_code,
        **kw,
    )


def test_board_filters_sorts_and_shows_timeline_and_deadlines(qtbot: Any, artifacts: Path) -> None:
    picture = SituationPicture()
    window = _offline_window(qtbot, picture)
    board = window.incidents
    for inc in (
        _incident("A1", 3, "reported", "131121", "hazchem.leak", dead=3),
        _incident("B2", 1, "responding", "131102", "flood"),
        _incident("C3", 4, "verified", "131121", "road_traffic"),
        _incident("D4", 3, "responding", "131182", "fire", exercise=True),
    ):
        picture.on_update("incident", inc.incident_id, inc)
    now = datetime.now(UTC)
    picture.on_update(
        "report",
        "r1",
        ReportState(
            report_id="r1",
            incident_id="A1",
            stage="initial",
            title="初报：氨气泄漏",
            sender="fire-01",
            sent=now,
            dead=3,
            version=1,
            source="phone",
            author="王队长",
        ),
    )
    picture.on_update(
        "alarm",
        "A1:to_province",
        AlarmState(
            incident_id="A1",
            rule="to_province",
            name="报送省级",
            due=now - timedelta(minutes=5),
            kind="overdue",
            raised=now,
        ),
    )
    picture.on_update(
        "alarm",
        "A1:follow_up",
        AlarmState(
            incident_id="A1",
            rule="follow_up",
            name="续报",
            due=now + timedelta(minutes=20),
            kind="due_soon",
            raised=now,
        ),
    )
    qtbot.waitUntil(lambda: board.table.rowCount() == 4, timeout=3000)
    # Highest level first; within a level the newest first.
    assert board.shown == ["B2", "A1", "D4", "C3"]
    board.county.setCurrentIndex(board.county.findData("131121"))
    assert board.shown == ["A1", "C3"]
    board.kind.setCurrentIndex(board.kind.findData("hazchem"))
    assert board.shown == ["A1"]
    board.kind.setCurrentIndex(0)
    board.county.setCurrentIndex(0)
    board.status.setCurrentIndex(board.status.findData("responding"))
    assert board.shown == ["B2", "D4"]
    board.status.setCurrentIndex(0)
    board.select("A1")
    text = board.detail.toPlainText()
    assert "初报 第1版" in text and "王队长" in text and "初报：氨气泄漏" in text
    assert "报送省级：已超时 0:0" in text or "报送省级：已超时 5:0" in text
    assert "续报：还剩 19:" in text or "续报：还剩 20:" in text
    assert "#ff5c5c" in board.detail.toHtml().lower()  # the overdue line is red
    board.select("C3")
    assert "尚无报告" in board.detail.toPlainText()
    board.select("A1")
    window.grab().save(str(artifacts / "command-hall-incidents.png"))


def test_alarm_bar_lists_alarms_flashes_when_urgent_and_sounds_for_new_ones(
    qtbot: Any, tmp_path: Path
) -> None:
    import wave

    from command_center.app.qt_alarm_bar import QtAlarmBar, alarm_tone
    from shared.protocol import MonitorAlarmState

    tone = alarm_tone(tmp_path / "tone.wav")
    with wave.open(str(tone)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (1, 22050, 11025)
    picture = SituationPicture()
    bar = QtAlarmBar(picture)
    qtbot.addWidget(bar)
    bar.show()
    bar.refresh()
    assert bar.label.text() == "无报警" and bar.sounded == 0
    now = datetime.now(UTC)
    picture.on_update(
        "alarm",
        "A1:phone",
        AlarmState(
            incident_id="A1", rule="phone", name="电话报告", due=now, kind="due_soon", raised=now
        ),
    )
    bar.refresh()
    assert bar.sounded == 1 and bar.label.property("level") == "warning"
    assert "A1 电话报告将到期" in bar.label.text()
    bar.refresh()  # nothing new: no second tone
    assert bar.sounded == 1
    bar.on_mute_clicked()
    assert bar.muted
    picture.on_update(
        "monitor",
        "WL-1",
        MonitorAlarmState(
            point_id="WL-1",
            name="滏阳河水位站",
            measure="water_level_m",
            value=23.6,
            threshold=23.5,
            severity="alarm",
            measured=now,
            raised=now,
            lat=37.7,
            lon=115.7,
        ),
    )
    picture.on_update(
        "alarm",
        "A1:phone",
        AlarmState(
            incident_id="A1", rule="phone", name="电话报告", due=now, kind="overdue", raised=now
        ),
    )
    bar.refresh()
    assert bar.sounded == 2 and not bar.muted  # a new alarm ends the mute
    assert bar.label.property("level") == "urgent"
    text = bar.label.text()
    assert text.startswith("报警 2（紧急 2）") and "滏阳河水位站 23.6（报警值 23.5）" in text
    seen = []
    for _ in range(2):
        bar.on_flash_timer()
        seen.append(bar.label.property("flash"))
    assert seen in ([True, False], [False, True])  # urgent alarms flash
    picture.on_update("alarm", "A1:phone", None)
    picture.on_update("monitor", "WL-1", None)
    bar.refresh()
    assert bar.label.text() == "无报警" and bar.sounded == 2
    # A device the hub cut off for sending malformed data is named, urgent.
    picture.on_update(
        "alarm",
        "device:stolen-laptop",
        AlarmState(
            incident_id="stolen-laptop",
            rule="device_abuse",
            name="持续发送异常数据",
            due=now,
            kind="overdue",
            raised=now,
        ),
    )
    bar.refresh()
    assert bar.sounded == 3 and bar.label.property("level") == "urgent"
    assert "设备 stolen-laptop 持续发送异常数据" in bar.label.text()


def test_statistics_count_by_level_type_county_and_time_to_first_report(
    qtbot: Any, artifacts: Path
) -> None:
    picture = SituationPicture()
    window = _offline_window(qtbot, picture)
    t0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    for key, level, division, kind, minutes in (
        ("A1", 3, "131121", "hazchem.leak", 12),
        ("B2", 1, "131102", "flood", 35),
        ("C3", 3, "131121", "road_traffic", None),
    ):
        inc = _incident(key, level, "reported", division, kind, occurred=t0)
        picture.on_update("incident", key, inc)
        if minutes is not None:
            sent = t0 + timedelta(minutes=minutes)
            picture.on_update(
                "report",
                f"r{key}",
                ReportState(
                    report_id=f"r{key}",
                    incident_id=key,
                    stage="initial",
                    title="初报",
                    sender="x",
                    sent=sent,
                ),
            )
    window.tabs.setCurrentWidget(window.statistics)
    figures = window.statistics.figures
    assert figures["level"]["Ⅲ级 较大"] == 2 and figures["level"]["Ⅰ级 特别重大"] == 1
    assert figures["county"] == {"枣强县": 2, "桃城区": 1}
    assert figures["type"] == {"危险化学品事故": 1, "洪涝灾害": 1, "道路交通事故": 1}
    assert figures["first_report"] == {"A1": 12.0, "B2": 35.0}  # C3 has no report yet
    charts = [v.chart() for v in window.statistics.views]
    assert [c.title() for c in charts] == [
        "按等级（共 3）",
        "按类型（共 3）",
        "按区县（共 3）",
        "首报用时（分钟）",
    ]
    level_bars = charts[0].series()[0].barSets()[0]
    assert [level_bars.at(i) for i in range(level_bars.count())] == [1, 0, 2, 0, 0]
    assert [(p.x(), p.y()) for p in charts[3].series()[0].points()] == [(0, 12.0), (1, 35.0)]
    window.grab().save(str(artifacts / "command-hall-statistics.png"))


def test_an_incident_report_exports_as_a_pdf_in_the_official_layout(
    qtbot: Any, tmp_path: Path, artifacts: Path
) -> None:
    import unicodedata

    from PySide6.QtPdf import QPdfDocument

    picture = SituationPicture()
    window = _offline_window(qtbot, picture)
    t0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    inc = _incident(
        "A1", 3, "responding", "131121", "hazchem.leak", occurred=t0, dead=3,
        level_criteria=["死亡 3 ≥ 3（Ⅲ级 较大）"],
    )  # fmt: skip
    picture.on_update("incident", "A1", inc)
    picture.on_update(
        "report",
        "r1",
        ReportState(
            report_id="r1",
            incident_id="A1",
            stage="initial",
            title="化工园区氨气泄漏初报",
            sender="fire-01",
            sent=t0,
            dead=3,
            version=1,
            source="phone",
            author="王队长",
        ),
    )
    picture.on_update(
        "order",
        "O-1",
        OrderStatus(
            order_id="O-1",
            recipient="liaison-health",
            text="派两辆救护车到园区东门",
            state="declined",
            issued_by="hall-1",
            updated=t0,
            incident_id="A1",
            issued_at=t0,
            note="车辆均在外，请改派",
        ),
    )
    board = window.incidents
    board.refresh()
    board.exported.setText("")
    board.export.click()
    assert board.exported.text() == "请先选择一个事件"
    board.select("A1")
    target = artifacts / "incident-report-A1.pdf"
    board.ask_path = lambda suggested: target  # type: ignore[method-assign]
    board.export.click()
    assert board.exported.text() == f"已导出：{target}"
    assert target.read_bytes().startswith(b"%PDF")
    doc = QPdfDocument()
    doc.load(str(target))
    assert 1 <= doc.pageCount() <= 2
    # PDF text extraction gives some CJK characters as their Kangxi-radical twins (⽔ for 水):
    # NFKC folds them back.
    text = unicodedata.normalize(
        "NFKC", "".join(doc.getAllText(i).text() for i in range(doc.pageCount()))
    )
    for expected in (
        "突发事件信息报告",
        "衡水市应急管理局",
        "化工园区氨气泄漏初报",
        "王队",  # (长 extracts as the radical ⻓, which NFKC leaves)
        "Ⅲ级 较大",
        "死亡 3 人",
        "枣强县",
        "指挥调度",
        "派两辆救护",  # (车 and 门 extract as radicals too)
        "已拒绝：",
        "均在外，请改派",
        "签发",
    ):
        # (and lines wrap inside table cells: compare without white space)
        want = unicodedata.normalize("NFKC", expected).replace(" ", "")
        assert want in "".join(text.split()), expected
    image = doc.render(0, doc.pagePointSize(0).toSize() * 2)
    image.save(str(artifacts / "incident-report-A1.png"))


def test_wall_display_controls_text_size_shortcuts_screens_and_saved_layout(
    qtbot: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    w = _offline_window(qtbot)
    keys = {s.key().toString() for s in w.shortcuts}
    assert {"F11", "Ctrl+=", "Ctrl+-", "Ctrl+0", "Ctrl+M", "Ctrl+1", "Ctrl+6"} <= keys
    w.scale_fonts(2.0)
    assert "font-size: 44px" in w.styleSheet()  # the 22 px title, doubled
    w.scale_fonts(10)
    assert w.font_scale == 3.0  # bounded
    problem = w.place_on_screen(7, full_screen=False)
    assert problem is not None and "没有第 8 块屏幕" in problem
    assert w.place_on_screen(0, full_screen=False) is None
    w.scale_fonts(1.5)
    w.tabs.setCurrentIndex(3)
    w.split.setSizes([500, 900])  # the panels wider than the map: not the default
    settings = QSettings(str(tmp_path / "hall.ini"), QSettings.Format.IniFormat)
    w.save_layout(settings)
    again = _offline_window(qtbot)
    again.restore_layout(QSettings(str(tmp_path / "hall.ini"), QSettings.Format.IniFormat))
    assert again.font_scale == 1.5 and again.tabs.currentIndex() == 3
    map_width, panel_width = again.split.sizes()
    assert panel_width > map_width


def test_map_on_the_wall_and_panels_on_the_desk(qtbot: Any) -> None:
    w = _offline_window(qtbot)
    problem = w.split_screens(0, 3)
    assert problem is not None and "没有第 4 块屏幕" in problem and w.desk is None
    assert w.split_screens(0, 0) is None  # Xvfb has one screen: both on it, still apart
    assert w.desk is not None and w.desk.isVisible() and w.isFullScreen()
    assert w.tabs.window() is w.desk and w.view.window() is w
    qtbot.addWidget(w.desk)


def test_the_window_in_english_through_qt_translation_files(
    qtbot: Any, qapp: Any, artifacts: Path
) -> None:
    import pytest

    from command_center.app import i18n

    with pytest.raises(LookupError, match=r"no translation for 'xx'.*run \./run setup"):
        i18n.install(qapp, "xx")
    assert i18n.install(qapp, "zh") is None  # the source language
    translator = i18n.install(qapp, "en")
    assert translator is not None
    try:
        w = _offline_window(qtbot)
        assert w.windowTitle() == "Hengshui Emergency Command — Command Hall"
        tabs = [w.tabs.tabText(i) for i in range(w.tabs.count())]
        assert tabs == [
            "Incidents",
            "Assessment",
            "Units",
            "Dispatch",
            "Duty",
            "Statistics",
            "Warnings · Relay",
        ]
        assert w.alarms.mute.text() == "Mute" and w.dispatch.send.text() == "Issue order"
        header = w.incidents.table.horizontalHeaderItem(2)
        assert header is not None and header.text() == "Level"
        # Texts built from data: the list, the detail, the alarm bar, the charts.
        now = datetime.now(UTC)
        inc = _incident("A1", 3, "reported", "131121", "hazchem.leak", dead=3, exercise=True)
        w.picture.on_update("incident", "A1", inc)
        report = ReportState(
            report_id="r1",
            incident_id="A1",
            stage="initial",
            title="初报：氨气泄漏",
            sender="fire-01",
            sent=now,
            dead=3,
            version=1,
            source="phone",
        )
        w.picture.on_update("report", "r1", report)
        due = AlarmState(
            incident_id="A1",
            rule="phone_report",
            name="电话报告",
            due=now - timedelta(minutes=5),
            kind="overdue",
            raised=now,
        )
        w.picture.on_update("alarm", "A1:phone_report", due)
        qtbot.waitUntil(lambda: w.incidents.table.rowCount() == 1, timeout=3000)
        row = [w.incidents.table.item(0, c).text() for c in range(5)]  # type: ignore[union-attr]
        assert row[2:] == ["Level Ⅲ Large", "reported", "Zaoqiang County"]
        assert row[1].startswith("[EXERCISE] ")
        w.incidents.select("A1")
        w.grab().save(str(artifacts / "command-hall-english.png"))
        text = w.incidents.detail.toPlainText()
        assert "dead 3, missing 0" in text and "Initial report, version 1" in text
        assert "Phone report: overdue 5:0" in text and "(due " in text
        assert "A1 Phone report overdue" in w.alarms.label.text()
        w.tabs.setCurrentWidget(w.statistics)
        w.statistics.refresh()
        titles = [v.chart().title() for v in w.statistics.views]
        assert titles[0] == "By level (total 1)" and titles[3] == "Time to first report (minutes)"
        assert w.statistics.figures["county"] == {"Zaoqiang County": 1}
    finally:
        qapp.removeTranslator(translator)


def test_a_requested_level_the_criteria_do_not_give_is_said_in_the_halls_words(
    qtbot: Any,
) -> None:
    import msgspec

    from shared.domain.grading import REQUESTED_LEVEL_WARNING

    picture = SituationPicture()
    window = _offline_window(qtbot, picture)
    warning = REQUESTED_LEVEL_WARNING.format(requested="Ⅱ", computed="Ⅲ")  # as the hub says
    inc = msgspec.structs.replace(
        _incident("A1", 3, "reported", "131121", "fire"), warnings=[warning]
    )
    picture.on_update("incident", "A1", inc)
    window.incidents.select("A1")
    text = window.incidents.detail.toPlainText()
    assert "请求定为 Ⅱ级，分级标准为 Ⅲ级" in text and "requested level" not in text
