"""The video wall against a real hub and real aiortc peers: a unit's feed watched into a
tile, the layout changed, the feed forwarded to another unit, a talk group opened and the
hall taking the floor, the feed recorded, played back and exported, a tile full screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from command_center.app.media_setup import hall_media_for
from command_center.app.qt_main_window import QtMainWindow
from shared.client import HubClient, Replica, SituationPicture
from shared.media.agent import MediaAgent, Stream
from shared.media.hall import HallMedia
from shared.media.sources import LocalMedia
from shared.protocol import FloorRequest, IncidentDeclare
from tests.conftest import HubHandle
from tests.support import run_in_qt as _run_in_qt
from tests.support import until as _until


def test_the_video_wall_watches_forwards_talks_and_records(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    hall_b = hub.enroll("hall-1", "leader")
    unit_a, unit_b = hub.enroll("unit-a", "field"), hub.enroll("unit-b", "field")
    recordings = tmp_path / "recordings"

    async def scenario() -> None:
        picture = SituationPicture()
        got_b: list[Stream] = []
        async with (
            HubClient(hall_b, tmp_path / "h.db") as hc,
            HubClient(unit_a, tmp_path / "a.db") as ac,
            HubClient(unit_b, tmp_path / "b.db") as bc,
            Replica(hall_b) as hr,
            Replica(unit_a, topics=("media", "talkgroup")) as ar,
            Replica(unit_b, topics=("media", "talkgroup")) as br,
        ):
            hr.listeners.append(picture.on_update)
            for c in (hc, ac, bc):
                await c.wait_online(20)
            declare = hc.make(
                IncidentDeclare, incident_id="HZ-1", title="化工园区氨气泄漏", lat=37.5, lon=115.75
            )
            assert await hc.submit_and_wait(declare, 10) is None
            a = MediaAgent(ac, ar, LocalMedia.open("synthetic", "synthetic", width=640, height=360))
            b = MediaAgent(bc, br, LocalMedia.open("none", "synthetic"), on_stream=got_b.append)
            a.start()
            b.start()
            made: list[HallMedia] = []

            def media() -> tuple[HallMedia, Path]:
                # the window's own wiring: retention first, the microphone (missing: said)
                m, notes = hall_media_for(
                    hc, hr, picture, recordings, mic="alsa:no-such-card", keep_days=30
                )
                assert any("cannot open microphone" in n for n in notes), notes
                m.agent.local = LocalMedia.open("none", "synthetic")  # no sound card here
                made.append(m)
                return m, recordings

            window = QtMainWindow(picture, hr, media=media, use_map=False)
            window.resize(1920, 1080)
            window.show()
            try:
                # the tab starts the wall when first looked at
                assert window.video_wall is None
                before = window.split.sizes()
                window.tabs.setCurrentWidget(window.video_tab)
                wall = window.video_wall
                assert wall is not None and window.tabs.currentWidget() is wall
                # the wall opens in the panel as it was: the map keeps its width
                from PySide6.QtCore import QCoreApplication, QEvent

                # let the new tab's layout request be handled, as the next frame would
                QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
                assert window.split.sizes() == before, (before, window.split.sizes())
                await _until(
                    lambda: (
                        "HZ-1" in picture.incidents
                        and {"unit-a", "unit-b"} <= set(picture.presence)
                    ),
                    20,
                )
                wall.refresh()
                assert [wall.unit_box.itemText(i) for i in range(wall.unit_box.count())] == [
                    "unit-a",
                    "unit-b",
                ]
                wall.unit_box.setCurrentText("unit-a")
                wall.group_box.setCurrentText("HZ-1")
                QTest.mouseClick(wall.watch_button, Qt.MouseButton.LeftButton)
                tile = wall.tiles[0]
                await _until(lambda: tile.frames > 15, 30)
                assert tile.title.startswith("unit-a · HZ-1") and tile.image is not None
                # sound follows the selected tile (decoded for the speaker; on these machines
                # there is none, and the wall says so)
                wall.select(tile)
                heard = wall.heard
                await _until(lambda: wall.heard > heard + 50, 10)
                said = {
                    "": "声音: 跟随所选画面",
                    "no_device": "没有可用的扬声器: 现场声音不播放 (仍在录制)",
                    "open_failed": f"扬声器无法打开: {wall.speaker.error}",
                }
                assert wall.sound_label.text() == said[wall.speaker.problem]
                # 9 tiles, then back to 4
                wall.layout_box.setCurrentIndex(2)
                assert wall.count == 9 and wall.tiles[8].isVisible()
                wall.layout_box.setCurrentIndex(1)
                assert wall.count == 4 and not wall.tiles[8].isVisible()
                # forward the selected tile to unit-b
                wall.select(tile)
                wall.forward_box.setCurrentText("unit-b")
                QTest.mouseClick(wall.forward_button, Qt.MouseButton.LeftButton)
                await _until(lambda: any(s.kind == "video" for s in got_b), 20)
                # a talk group with both units; the hall takes the floor
                QTest.mouseClick(wall.open_group_button, Qt.MouseButton.LeftButton)
                await _until(lambda: "2 个成员" in wall.message.text(), 20)
                await _until(
                    lambda: (
                        (g := hr.get("talkgroup", "HZ-1")) is not None
                        and {"unit-a", "unit-b"} <= set(g.members)
                    ),
                    20,
                )
                # a unit takes the floor: the hall's operator hears it with no tile selected
                wall.select(wall.tiles[3])
                heard = wall.heard
                ca = ac.make(FloorRequest, group_id="HZ-1", action="request")
                assert await ac.submit_and_wait(ca, 10) is None
                await _until(lambda: "unit-a 正在讲话" in wall.talker.text(), 10)
                await _until(lambda: wall.heard > heard + 50, 10)
                QTest.mousePress(wall.ptt_button, Qt.MouseButton.LeftButton)
                # the leader pre-empts the field unit
                await _until(lambda: "本席 正在讲话" in wall.talker.text(), 10)
                await _until(lambda: tile.image is not None, 10)  # a picture in the tile
                window.grab().save(str(artifacts / "command-hall-video-wall.png"))
                QTest.mouseRelease(wall.ptt_button, Qt.MouseButton.LeftButton)
                await _until(lambda: "空闲" in wall.talker.text(), 10)
                # full screen and back
                wall.toggle_full(tile)
                assert wall.full is not None and wall.full.isVisible()
                wall.full.close()
                assert wall.full is None and tile.isVisible()
                # end it: the tile clears, the recording appears, plays back, exports
                QTest.mouseClick(wall.end_button, Qt.MouseButton.LeftButton)
                await _until(lambda: tile.feed is None, 10)
                await _until(lambda: wall.recording_list.count() >= 1, 10)
                lib = wall.library
                # listed at once; 录制中 until its card is closed, then its size
                await _until(lambda: any(c.peer == "unit-a" and c.ended for c in lib.cards()), 10)
                card = next(c for c in lib.cards() if c.peer == "unit-a" and c.ended)

                def shown_as() -> str:
                    for i in range(wall.recording_list.count()):
                        item = wall.recording_list.item(i)
                        if item.data(Qt.ItemDataRole.UserRole) == card.recording_id:
                            return str(item.text())
                    return ""

                await _until(lambda: shown_as().endswith(" MB"), 10)
                assert card.incident_id == "HZ-1" and card.video_packets > 30 and card.bytes > 0
                row = next(
                    i
                    for i in range(wall.recording_list.count())
                    if wall.recording_list.item(i).data(Qt.ItemDataRole.UserRole)
                    == card.recording_id
                )
                wall.recording_list.setCurrentRow(row)
                wall.select(wall.tiles[1])
                QTest.mouseClick(wall.play_button, Qt.MouseButton.LeftButton)
                await _until(lambda: wall.tiles[1].image is not None, 10)
                wall.export_to(card.recording_id, tmp_path / "export")
                assert (
                    tmp_path / "export" / card.file
                ).exists() and "已导出" in wall.message.text()
            finally:
                if window.video_wall is not None:
                    window.video_wall.close_tasks()
                window.close()
                for m in made:
                    await m.aclose()
                await a.aclose()
                await b.aclose()

    _run_in_qt(qapp, scenario)


def test_every_video_wall_text_has_an_english_translation() -> None:
    """The wall's chrome in --lang en: every tr() literal of the wall has a translation."""
    import html
    import re

    root = Path(__file__).resolve().parents[2] / "command_center"
    ts = (root / "i18n" / "hall_en.ts").read_text()
    translated = {
        html.unescape(m.group(1))
        for m in re.finditer(r"<source>(.*?)</source>\s*<translation>[^<]+</translation>", ts, re.S)
    }
    source = (root / "app" / "qt_video_wall.py").read_text()
    texts = set(re.findall(r'tr\("([^"]+)"\)', source))
    assert texts and texts <= translated, sorted(texts - translated)
