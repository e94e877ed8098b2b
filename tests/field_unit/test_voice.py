"""The field window's 对讲 tab against a real hub and the hall's media relay: the hall opens
the incident's talk group, the field team holds the button, the hub grants the floor, the
hall hears the team and the team hears the hall; the team's camera answers the hall."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

from shared.client import HubClient, Replica
from shared.field import FieldSession
from shared.field.media import FieldMedia
from shared.media.agent import MediaAgent
from shared.media.hall import HallMedia
from shared.media.meter import VoiceMeter
from shared.media.sources import LocalMedia
from tests.conftest import HubHandle
from tests.support import run_in_qt as _run_in_qt
from tests.support import until


def test_push_to_talk_from_the_field_window(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from field_unit.app.qt_field_window import QtFieldWindow

    team = hub.enroll("team-7", "field")
    hall_b = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        session = FieldSession(team, tmp_path / "field", callsign="消防七中队")
        async with HubClient(hall_b, tmp_path / "h.db") as hc, Replica(hall_b) as hr:
            await session.start()
            await hc.wait_online(20)
            media = FieldMedia(session, camera="synthetic", mic="synthetic")
            media.start()
            window = QtFieldWindow(session)
            window.resize(1366, 768)
            window.show()
            window.tabs.setCurrentWidget(window.voice)
            window.voice.attach(media)
            hall = HallMedia(
                lambda **kw: MediaAgent(hc, hr, LocalMedia.open("none", "synthetic"), **kw)
            )
            hall.start()
            try:
                assert "未加入对讲组" in window.voice.group.text()
                await until(lambda: hr.get("presence", "team-7") is not None, 20)
                await hall.open_talkgroup("HZ-1", ["team-7"], incident_id="HZ-1")
                await until(lambda: "对讲组 HZ-1: 空闲" in window.voice.group.text(), 20)
                assert "对讲 → hall-1" in window.voice.sending.text()
                hall_ear = VoiceMeter()
                listen = asyncio.ensure_future(hall_ear.run(hall.groups["HZ-1"].listen("hall-1")))
                QTest.mousePress(window.voice.ptt, Qt.MouseButton.LeftButton)
                await until(lambda: "本机 正在讲话" in window.voice.group.text(), 10)
                # the hall hears the team: wait for two of its timed tones
                await until(lambda: len(hall_ear.delays_ms) >= 2, 15, what="two tones heard")
                window.grab().save(str(artifacts / "field-unit-push-to-talk.png"))
                # the hall heard the team's voice: its timed tones, read after they were spoken
                # (how soon is the benchmark's business: ./run bench media)
                assert len(hall_ear.delays_ms) >= 2
                assert all(math.isfinite(d) and d > 0 for d in hall_ear.delays_ms)
                QTest.mouseRelease(window.voice.ptt, Qt.MouseButton.LeftButton)
                await until(lambda: "空闲" in window.voice.group.text(), 10)
                # the hall talks: the team hears it
                heard = window.voice.heard
                await hall.press("HZ-1")
                await until(lambda: "hall-1 正在讲话" in window.voice.group.text(), 10)
                await until(lambda: window.voice.heard > heard + 50, 10)
                await hall.release("HZ-1")
                # and the hall watches the team's camera
                watch = await hall.watch("team-7", incident_id="HZ-1")
                await asyncio.wait_for(watch.connected.wait(), 20)
                await until(lambda: "视频回传 → hall-1" in window.voice.sending.text(), 10)
                listen.cancel()
            finally:
                window.voice.close_tasks()
                window.close()
                await hall.aclose()
                await media.aclose()
                await session.aclose()

    _run_in_qt(qapp, scenario)
